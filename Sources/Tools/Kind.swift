import Foundation

/// The one place that spells kind's flags. Every call is checked: a cluster that already exists
/// is found with `get clusters` first, never hidden behind `|| true`.
public struct Kind: Sendable {
    public var executable: String
    /// Passed to kind as its environment (e.g. `KIND_EXPERIMENTAL_PROVIDER=podman`); nil inherits.
    public var environment: [String: String]?

    public init(executable: String = "kind", environment: [String: String]? = nil) {
        self.executable = executable
        self.environment = environment
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

    // MARK: running

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var argv: [String]
        public var status: Int32
        public var lastLines: [String]
        public var description: String {
            var s = "`\(argv.prefix(3).joined(separator: " "))` exited with status \(status)"
            if !lastLines.isEmpty { s += ":\n" + lastLines.map { "    " + $0 }.joined(separator: "\n") }
            return s
        }
    }

    /// Names of existing clusters. kind prints "No kind clusters found." (on stderr) when there
    /// are none; only lines that are valid cluster names count.
    public func clusters(log: String) async throws -> [String] {
        let out = try await capture(getClustersArgv(), log: log)
        return out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter(Self.isClusterName)
    }

    public func create(name: String, config: String, log: String) async throws {
        try await run(createArgv(name: name, config: config), log: log)
    }

    public func delete(name: String, log: String) async throws {
        try await run(deleteArgv(name: name), log: log)
    }

    /// The cluster's admin kubeconfig, as kind prints it (from its `apiVersion:` line on, so a
    /// warning kind printed first is not part of it).
    public func kubeconfig(name: String, log: String) async throws -> String {
        let out = try await capture(kubeconfigArgv(name: name), log: log, echo: false)
        guard let r = out.range(of: "apiVersion:") else {
            throw Failure(argv: kubeconfigArgv(name: name), status: 0, lastLines: ["kind printed no kubeconfig"])
        }
        return String(out[r.lowerBound...])
    }

    public func loadImage(_ image: String, cluster: String, log: String) async throws {
        try await run(loadImageArgv(image: image, cluster: cluster), log: log)
    }

    static func isClusterName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "-._".contains($0) }
    }

    func run(_ argv: [String], log: String) async throws {
        Log.append(log, "$ " + argv.joined(separator: " ") + "\n")
        let status = try await Spawn.run(argv, environment: environment, log: log)
        guard status == 0 else { throw Failure(argv: argv, status: status, lastLines: Log.tail(log, 8)) }
    }

    /// Output is kept out of the step log when it holds credentials (`echo: false`).
    func capture(_ argv: [String], log: String, echo: Bool = true) async throws -> String {
        Log.append(log, "$ " + argv.joined(separator: " ") + "\n")
        let (status, out) = try await Spawn.capture(argv, environment: environment, timeout: .seconds(120))
        if echo { Log.append(log, out) }
        guard status == 0 else { throw Failure(argv: argv, status: status, lastLines: Array(out.split(separator: "\n").suffix(8).map(String.init))) }
        return out
    }
}

/// Appending to step logs, shared by the tool wrappers.
public enum Log {
    public static func append(_ path: String, _ text: String) {
        let fm = FileManager.default
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
        if !fm.fileExists(atPath: path) { _ = fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) }
        guard let h = FileHandle(forWritingAtPath: path) else { return }
        defer { try? h.close() }
        _ = try? h.seekToEnd()
        try? h.write(contentsOf: Data(text.utf8))
    }

    public static func tail(_ path: String, _ n: Int) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return Array(text.split(separator: "\n", omittingEmptySubsequences: true).suffix(n).map(String.init))
    }
}
