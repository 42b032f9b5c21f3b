import Foundation

/// Turns the simulator's kubelet into one that runs real processes: what it needs to know.
/// Without a runtime (the default) the kubelet stand-in plays pods through their phases
/// without running anything, which the API-level tests use.
public final class SimRuntime: @unchecked Sendable {
    public let images: SimImageTable
    public let network: SimPodNetwork
    /// Where pod folders (volumes, service-account files) are made.
    public let root: String
    /// The kubelet's crash-loop back-off starts here and doubles per restart up to 300 s (the
    /// kubelet's own figures: 10 s and 5 min); tests may start it lower, never at zero.
    public var backOffBase: Double = 10
    public var backOffMax: Double = 300
    /// Grace the kubelet gives a container that ignores SIGTERM when the pod's own
    /// `terminationGracePeriodSeconds` is longer (tests end clusters quickly).
    public var maxGrace: Double = 30
    /// The API server as pods see it (set when the server starts): CA and port for the
    /// service-account files and `KUBERNETES_SERVICE_*`.
    public internal(set) var apiCA = ""
    public internal(set) var apiPort = 0

    let queue = DispatchQueue(label: "kubesim.kubelet")
    let probeQueue = DispatchQueue(label: "kubesim.probes", attributes: .concurrent)

    public init(images: SimImageTable, network: SimPodNetwork = SimPodNetwork(), root: String? = nil) {
        self.images = images
        self.network = network
        self.root = root ?? (NSTemporaryDirectory() + "kubesim-pods-\(UUID().uuidString.prefix(8))")
    }
}

/// What the process-running kubelet knows about one pod it runs.
final class RealPod: @unchecked Sendable {
    enum Phase { case creating, running, terminating, gone }

    struct Container {
        var name: String
        var image: String
        var kind: SimImage?
        var pid: pid_t = 0
        var running = false
        var ready = false
        var startedAt: String?
        var restarts = 0
        /// The last exit: code, reason, start and finish.
        var lastExit: (code: Int, reason: String, started: String, finished: String)?
        /// Why it is waiting (ContainerCreating, CrashLoopBackOff, ErrImagePull...) and the message.
        var waiting: (reason: String, message: String?)? = ("ContainerCreating", nil)
        /// Exited for good (restart policy says no restart).
        var done = false
        var probeGeneration = 0
    }

    let uid: String
    let namespace: String
    let name: String
    var phase: Phase = .creating
    var containers: [Container]
    var ip: String?
    var netns: String?
    var dir: String
    var hosts = ""
    var env: [String: [String: String]] = [:]
    var argv: [String: [String]] = [:]
    var mountFailure: String?
    var configFailure: String?

    init(uid: String, namespace: String, name: String, containers: [Container], dir: String) {
        self.uid = uid; self.namespace = namespace; self.name = name; self.containers = containers; self.dir = dir
    }
}
