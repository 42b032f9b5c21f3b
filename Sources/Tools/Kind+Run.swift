import Foundation

/// Running kind: every command through the wrapper's `runner`, each checked (a cluster that
/// already exists is found with `get clusters` first, never hidden behind `|| true`).
extension Kind {
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
            throw CommandFailure(argv: kubeconfigArgv(name: name), status: 0, log: log, lastLines: ["kind printed no kubeconfig"])
        }
        return String(out[r.lowerBound...])
    }

    public func loadImage(_ image: String, cluster: String, log: String) async throws {
        try await run(loadImageArgv(image: image, cluster: cluster), log: log)
    }

    func run(_ argv: [String], log: String) async throws {
        _ = try await capture(argv, log: log, timeout: nil)
    }

    /// Output is kept out of the step log when it holds credentials (`echo: false`).
    func capture(_ argv: [String], log: String, echo: Bool = true, timeout: Duration? = .seconds(120)) async throws -> String {
        Log.append(log, "$ " + argv.joined(separator: " ") + "\n")
        let r = try await (runner ?? ProcessRunner()).run(argv, environment: environment, timeout: timeout)
        if echo { Log.append(log, r.output) }
        guard r.status == 0 else {
            throw CommandFailure(argv: argv, status: r.status, log: log, lastLines: echo ? CommandFailure.errorLines(r.output) : [])
        }
        return r.output
    }
}
