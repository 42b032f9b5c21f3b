import Foundation

/// Running helm: every command through the wrapper's `runner`, logged to the step log, a
/// non-zero exit a `CommandFailure` with helm's own error lines.
extension Helm {
    /// Runs `argv` and returns its combined output; the command and output are appended to `log`.
    /// Throws `CommandFailure` carrying helm's own error text on a non-zero exit.
    public func output(_ argv: [String], log: String, timeout: Duration? = nil) async throws -> String {
        let r = try await (runner ?? ProcessRunner()).run(argv, environment: nil, timeout: timeout)
        Log.append(log, "$ " + argv.joined(separator: " ") + "\n" + r.output)
        guard r.status == 0 else { throw CommandFailure(argv: argv, status: r.status, log: log, lastLines: CommandFailure.errorLines(r.output)) }
        return r.output
    }

    /// What helm printed besides the manifests: coalesce warnings name values helm ignored.
    public struct Rendering: Sendable {
        public var manifests: String
        public var warnings: [String]
    }

    /// The chart's Chart.yaml text (`helm show chart`).
    public func showChart(_ chart: Chart, log: String) async throws -> String {
        try await showChart(showChartArgv(chart), log: log)
    }

    /// A planned `helm show chart` argv; the Chart.yaml it prints.
    public func showChart(_ argv: [String], log: String) async throws -> String {
        let out = try await output(argv, log: log)
        // helm may print INFO lines (e.g. a pull from a registry) before the YAML on the same stream.
        return out.split(separator: "\n", omittingEmptySubsequences: false).filter {
            !$0.hasPrefix("level=") && !$0.hasPrefix("Pulled:") && !$0.hasPrefix("Digest:")
        }
        .joined(separator: "\n")
    }

    /// Runs `argv` (built above) with its output appended to `log`; throws `Failure` on a non-zero exit.
    public func run(_ argv: [String], log: String, timeout: Duration? = nil) async throws {
        _ = try await output(argv, log: log, timeout: timeout)
    }

    /// Renders the chart and returns its manifests as text, one document per template. Uses
    /// `--output-dir` so helm's warnings (which go to the same log) never mix into the YAML.
    public func template(release: String, chart: Chart, namespace: String, valuesFile: String, log: String) async throws -> String {
        try await render(release: release, chart: chart, namespace: namespace, valuesFile: valuesFile, log: log).manifests
    }

    /// `template` with the warnings helm printed (lines saying a value was ignored).
    public func render(release: String, chart: Chart, namespace: String, valuesFile: String, log: String) async throws -> Rendering {
        try await render(templateArgv(release: release, chart: chart, namespace: namespace, valuesFile: valuesFile), log: log)
    }

    /// Runs a `helm template` argv as planned, with `--output-dir` added (a temporary folder the
    /// manifests are read back from).
    public func render(_ argv: [String], log: String) async throws -> Rendering {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-template-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try await output(argv + ["--output-dir", dir], log: log)
        let warnings = out.split(separator: "\n").map(String.init).filter { $0.contains("warning:") }
        var docs: [String] = []
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: dir) else { return Rendering(manifests: "", warnings: warnings) }
        var files: [String] = []
        while let f = walker.nextObject() as? String {
            if f.hasSuffix(".yaml") || f.hasSuffix(".yml") { files.append(f) }
        }
        for f in files.sorted() {
            if let t = try? String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8) { docs.append(t) }
        }
        return Rendering(manifests: docs.joined(separator: "\n---\n"), warnings: warnings)
    }

    /// A release as `helm list -o json` reports it.
    public struct Release: Sendable, Equatable, Codable {
        public var name: String
        public var namespace: String
        public var revision: String
        public var status: String
        public var chart: String
        public var appVersion: String
        enum CodingKeys: String, CodingKey {
            case name, namespace, revision, status, chart
            case appVersion = "app_version"
        }
    }

    public func list(log: String) async throws -> [Release] {
        let out = try await output(listArgv(), log: log, timeout: .seconds(60))
        // The JSON is one line on stdout; warnings (e.g. about kubeconfig permissions) may share the stream.
        guard let line = out.split(separator: "\n").last(where: { $0.hasPrefix("[") }) else { return [] }
        return try JSONDecoder().decode([Release].self, from: Data(line.utf8))
    }
}
