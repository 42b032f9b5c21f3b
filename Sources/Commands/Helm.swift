import Foundation

/// The one place that spells helm's flags (as helmfile's `helmexec` does): the planner shows these
/// argvs and the Kubernetes targets run them, so what `plan` prints is exactly what runs. This
/// module only builds argvs; running them is `Tools`' (`Helm+Run.swift`), through `runner`.
public struct Helm: Sendable {
    /// `helm`, looked up on PATH, or a path.
    public var executable: String
    public var kubeconfig: String?
    public var context: String?
    /// Who runs the commands; nil: real processes (`Tools.ProcessRunner`).
    public var runner: (any CommandRunner)?

    public init(executable: String = "helm", kubeconfig: String? = nil, context: String? = nil, runner: (any CommandRunner)? = nil) {
        self.executable = executable
        self.kubeconfig = kubeconfig
        self.context = context
        self.runner = runner
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

        public var argv: [String] {
            guard !isLocal else { return [ref] }
            var a = [ref] + (version.map { ["--version", $0] } ?? [])
            if plainHTTP && ref.hasPrefix("oci://") { a.append("--plain-http") }
            if let caFile { a += ["--ca-file", caFile] }
            return a
        }

        /// How the chart is named in messages: `oci://…/slim 2.2.0`, or the path.
        public var display: String { ref + (version.map { " \($0)" } ?? "") }
    }

    public var kubeFlags: [String] {
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
}
