import Foundation

/// What the process-running kubelet can make of a container image. The table is the
/// simulator's own: it says which real program stands for an image's entrypoint, and it is
/// written from the images' published contents (SLIM's image runs `/slim --config FILE`; the
/// test-apps image is python with `slim-bindings[examples]` installed), not from slimctl.
public enum SimImage: Sendable, Equatable {
    /// `ghcr.io/agntcy/slim:<tag>`: a real SLIM data-plane node, run through the Python
    /// bindings in `venv` (the bindings release built from that SLIM release, or the nearest
    /// one published) by `nodeScript`, which takes the config file the container's `--config`
    /// names.
    case slimNode(venv: String, nodeScript: String)
    /// An image whose programs are console scripts of a Python venv (`slim-bindings-p2p`):
    /// the container's command and args run with that venv's `bin` first on PATH.
    case pythonApps(venv: String)
    /// An image whose command and args run with the host's own tools (`sh`, `python3`): how
    /// tests give a pod a small program of their own.
    case host
    /// An image that cannot run here (SPIRE's server and agent, SLIM's controller): its pods go
    /// Ready without a process, and an `Inert` event on each pod says so.
    case inert(String)
    /// SPIRE's server, inert like the rest of SPIRE, but with the one effect other pods wait
    /// for: its BundlePublisher `k8s_configmap` plugin publishes the trust bundle into the
    /// ConfigMap its config names (the agents mount it). The bundle holds the simulator's CA.
    case spireServer
}

/// The image table: exact references first, then repository prefixes; anything else cannot be
/// pulled (ErrImagePull, then ImagePullBackOff), as on a cluster without that image.
public struct SimImageTable: Sendable {
    public var exact: [String: SimImage] = [:]
    public var prefixes: [(prefix: String, image: SimImage)] = []

    public init() {}

    public func resolve(_ reference: String) -> SimImage? {
        if let e = exact[reference] { return e }
        return prefixes.first { reference.hasPrefix($0.prefix) }?.image
    }

    /// SLIM releases and the slim-bindings version that carries each one's data plane, as the
    /// upstream tags `slim-version-vX`/`slim-bindings-vX` pair them; where PyPI has no bindings
    /// of a release (2.3.0), the nearest earlier published one.
    public static let slimBindingsForRelease: [String: String] = [
        "1.4.0": "1.4.1", "2.0.0": "2.0.0", "2.1.0": "2.1.0", "2.2.0": "2.2.0", "2.3.0": "2.2.0"
    ]

    /// The images of SPIRE (server, agent, CSI driver, controller manager, helpers) and SLIM's
    /// controller: none can run in this sandbox.
    public static let inertRepositories: [(String, String)] = [
        ("ghcr.io/spiffe/spire-server", "SPIRE cannot run here"),
        ("ghcr.io/agntcy/slim/control-plane", "the SLIM controller image (Go) cannot run here"),
        ("ghcr.io/spiffe/", "SPIRE cannot run here"),
        ("cgr.dev/chainguard/", "SPIRE's helper images cannot run here"),
        ("registry.k8s.io/sig-storage/", "the CSI sidecars cannot run here"),
        ("docker.io/rancher/kubectl", "the SPIRE chart's hook and test images cannot run here"),
        ("docker.io/smallstep/", "the SPIRE chart's hook and test images cannot run here"),
        ("busybox", "the SPIRE chart's hook and test images cannot run here")
    ]
}
