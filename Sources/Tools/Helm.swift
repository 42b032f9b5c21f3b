import Foundation

/// The one place that spells helm's flags (as helmfile's `helmexec` does): the planner shows these
/// argvs and the Kubernetes targets run them, so what `plan` prints is exactly what runs.
public struct Helm: Sendable {
    /// `helm`, looked up on PATH, or a path.
    public var executable: String
    public var kubeconfig: String?
    public var context: String?

    public init(executable: String = "helm", kubeconfig: String? = nil, context: String? = nil) {
        self.executable = executable
        self.kubeconfig = kubeconfig
        self.context = context
    }

    /// Where a chart comes from: a repository or OCI reference pinned to a version, or a local
    /// directory (whose version is whatever its Chart.yaml says).
    public struct Chart: Sendable, Hashable {
        public var ref: String
        public var version: String?
        public var isLocal: Bool
        /// Registry access options helm needs for some mirrors: plain HTTP, a private CA.
        public var plainHTTP: Bool
        public var caFile: String?
        public init(ref: String, version: String?, isLocal: Bool, plainHTTP: Bool = false, caFile: String? = nil) {
            self.ref = ref
            self.version = version
            self.isLocal = isLocal
            self.plainHTTP = plainHTTP
            self.caFile = caFile
        }

        /// A local chart directory or packaged `.tgz`; never given `--version`, which helm ignores for paths.
        public static func local(_ path: String) -> Chart { Chart(ref: path, version: nil, isLocal: true) }

        /// `oci://…` or `repo/name` at a pinned version.
        public static func remote(_ ref: String, version: String, plainHTTP: Bool = false, caFile: String? = nil) -> Chart {
            Chart(ref: ref, version: version.isEmpty ? nil : version, isLocal: false, plainHTTP: plainHTTP, caFile: caFile)
        }

        var argv: [String] {
            guard !isLocal else { return [ref] }
            var a = [ref] + (version.map { ["--version", $0] } ?? [])
            if plainHTTP && ref.hasPrefix("oci://") { a.append("--plain-http") }
            if let caFile { a += ["--ca-file", caFile] }
            return a
        }

        /// How the chart is named in messages: `oci://…/slim 2.2.0`, or the path.
        public var display: String { ref + (version.map { " \($0)" } ?? "") }
    }

    var kubeFlags: [String] {
        var f: [String] = []
        if let kubeconfig { f += ["--kubeconfig", kubeconfig] }
        if let context { f += ["--kube-context", context] }
        return f
    }

    // MARK: argv (pure)

    public func repoAddArgv(name: String, url: String, caFile: String? = nil) -> [String] {
        [executable, "repo", "add", "--force-update", name, url] + (caFile.map { ["--ca-file", $0] } ?? [])
    }

    /// The chart's own Chart.yaml, for a directory, a `.tgz`, an OCI or a repository chart alike.
    public func showChartArgv(_ chart: Chart) -> [String] {
        [executable, "show", "chart"] + chart.argv
    }

    /// Renders offline (no cluster contact), so the check runs before anything is changed.
    public func templateArgv(release: String, chart: Chart, namespace: String, valuesFile: String, outputDir: String? = nil) -> [String] {
        var a = [executable, "template", release] + chart.argv + ["--namespace", namespace, "--values", valuesFile]
        if let outputDir { a += ["--output-dir", outputDir] }
        return a
    }

    /// `upgrade --install`: one command for first install and every later change. No `--wait`:
    /// slimctl watches readiness itself, against the strategy's expectations.
    public func upgradeInstallArgv(release: String, chart: Chart, namespace: String, createNamespace: Bool, valuesFile: String) -> [String] {
        var a = [executable, "upgrade", "--install", release] + chart.argv + ["--namespace", namespace]
        if createNamespace { a.append("--create-namespace") }
        return a + ["--values", valuesFile] + kubeFlags
    }

    public func uninstallArgv(release: String, namespace: String) -> [String] {
        [executable, "uninstall", release, "--namespace", namespace, "--ignore-not-found"] + kubeFlags
    }

    public func listArgv() -> [String] {
        [executable, "list", "--all-namespaces", "--deployed", "--failed", "--pending", "--output", "json"] + kubeFlags
    }

    public func lintArgv(chart: String, valuesFile: String) -> [String] {
        [executable, "lint", chart, "--values", valuesFile]
    }

    public func versionArgv() -> [String] { [executable, "version", "--short"] }

    // MARK: running

    /// A helm command that failed, with helm's own error (or the last lines it printed; its full
    /// output is in `log`).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var argv: [String]
        public var status: Int32
        public var log: String
        public var lastLines: [String]
        public var description: String {
            var s = "`\(argv.prefix(3).joined(separator: " "))` exited with status \(status)"
            if !lastLines.isEmpty { s += ":\n" + lastLines.map { "    " + $0 }.joined(separator: "\n") }
            return s
        }

        /// helm's `Error: …` text and what follows it, else the last lines.
        static func errorLines(_ output: String) -> [String] {
            let lines = output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if let i = lines.lastIndex(where: { $0.hasPrefix("Error:") }) { return Array(lines[i...].prefix(12)) }
            return Array(lines.suffix(8))
        }
    }

    /// Runs `argv` and returns its combined output; the command and output are appended to `log`.
    /// Throws `Failure` carrying helm's own error text on a non-zero exit.
    public func output(_ argv: [String], log: String, timeout: Duration? = nil) async throws -> String {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-helm-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let status = try await Spawn.run(argv, log: tmp, timeout: timeout)
        let out = (try? String(contentsOfFile: tmp, encoding: .utf8)) ?? ""
        Log.append(log, "$ " + argv.joined(separator: " ") + "\n" + out)
        guard status == 0 else { throw Failure(argv: argv, status: status, log: log, lastLines: Failure.errorLines(out)) }
        return out
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
        return out.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("level=") && !$0.hasPrefix("Pulled:") && !$0.hasPrefix("Digest:") }
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
        let argv = listArgv()
        let (status, out) = try await Spawn.capture(argv, timeout: .seconds(60))
        Log.append(log, "$ " + argv.joined(separator: " ") + "\n" + out)
        guard status == 0 else {
            throw Failure(argv: argv, status: status, log: log, lastLines: Array(out.split(separator: "\n").suffix(8).map(String.init)))
        }
        // The JSON is one line on stdout; warnings (e.g. about kubeconfig permissions) may share the stream.
        guard let line = out.split(separator: "\n").last(where: { $0.hasPrefix("[") }) else { return [] }
        return try JSONDecoder().decode([Release].self, from: Data(line.utf8))
    }
}
