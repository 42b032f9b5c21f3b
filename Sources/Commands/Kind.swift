import Foundation

/// The one place that spells kind's flags. Every call is checked: a cluster that already exists
/// is found with `get clusters` first, never hidden behind `|| true`.
public struct Kind: Sendable {
    public var executable: String
    /// Passed to kind as its environment (e.g. `KIND_EXPERIMENTAL_PROVIDER=podman`); nil inherits.
    public var environment: [String: String]?
    /// Who runs the commands; nil: real processes (`Tools.ProcessRunner`).
    public var runner: (any CommandRunner)?

    public init(executable: String = "kind", environment: [String: String]? = nil, runner: (any CommandRunner)? = nil) {
        self.executable = executable
        self.environment = environment
        self.runner = runner
    }

    // MARK: argv (pure)

    public func getClustersArgv() -> [String] { [executable, "get", "clusters"] }

    public func createArgv(name: String, config: String, wait: String = "60s") -> [String] {
        [executable, "create", "cluster", "--name", name, "--config", config, "--wait", wait]
    }

    public func deleteArgv(name: String) -> [String] { [executable, "delete", "cluster", "--name", name] }

    public func kubeconfigArgv(name: String) -> [String] { [executable, "get", "kubeconfig", "--name", name] }

    public func loadImageArgv(image: String, cluster: String) -> [String] {
        [executable, "load", "docker-image", image, "--name", cluster]
    }

    /// The context name kind gives a cluster in kubeconfigs.
    public static func contextName(cluster: String) -> String { "kind-\(cluster)" }

    public static func isClusterName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "-._".contains($0) }
    }
}
