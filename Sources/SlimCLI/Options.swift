import ArgumentParser
import Foundation
import Plan
import Tools
import Values

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, yaml

    /// json or yaml: the answer is data (written by `Output`), and progress goes to stderr.
    var structured: Bool { self != .text }
}

/// Options every strategy command shares: which strategy files, variables, values layers, output.
struct StrategyOptions: ParsableArguments {
    @Option(
        name: .customLong("strategies"), help: ArgumentHelp("Extra folder of strategy files (repeatable; also SLIMCTL_STRATEGIES).", valueName: "dir"),
        completion: .directory)
    var strategyDirs: [String] = []

    @Option(name: .customLong("var"), help: ArgumentHelp("Set a strategy variable (repeatable).", valueName: "name=value"))
    var vars: [String] = []

    @Option(
        name: [.customShort("n"), .customLong("namespace")],
        help: ArgumentHelp("Namespace of SLIM and its controller, as kubectl -n (the strategy variable `namespace`).", valueName: "ns"))
    var namespace: String?

    @Option(
        name: [.customShort("f"), .customLong("values")],
        help: ArgumentHelp(
            "Values file layered after the strategy's, as helm -f. Prefix RELEASE: for a release other than SLIM's.", valueName: "[release:]file"),
        completion: .file(extensions: ["yaml", "yml"]))
    var valuesFiles: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp("Helm --set on the rendered values.", valueName: "[release:]path=value"))
    var set: [String] = []
    @Option(name: .customLong("set-string"), help: ArgumentHelp("Helm --set-string (values stay strings).", valueName: "[release:]path=value"))
    var setString: [String] = []
    @Option(
        name: .customLong("set-file"), help: ArgumentHelp("Helm --set-file (value read from a file).", valueName: "[release:]path=file"),
        completion: .file())
    var setFile: [String] = []
    @Option(name: .customLong("set-json"), help: ArgumentHelp("Helm --set-json (JSON value).", valueName: "[release:]path=json"))
    var setJSON: [String] = []
    @Option(name: .customLong("set-literal"), help: ArgumentHelp("Helm --set-literal (the rest taken verbatim).", valueName: "[release:]path=value"))
    var setLiteral: [String] = []

    @Option(
        name: .customLong("generation"),
        help: ArgumentHelp(
            "SLIM chart generation the strategy deploys: 2 (slim chart 2.2.0, SLIM 2.3.0) or 1.4 (slim chart 1.4.0); default: the strategy's (also SLIMCTL_GENERATION).",
            valueName: "gen"),
        completion: Completions.generations)
    var generation: String?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Where state, logs and generated secrets are kept (default $XDG_STATE_HOME/slimctl, else ~/.local/state/slimctl; also SLIMCTL_STATE_DIR).",
            valueName: "dir"),
        completion: .directory)
    var stateDir: String?

    var userArgs: [(SetKind?, String)] {
        valuesFiles.map { (nil, $0) } + setJSON.map { (.json, $0) } + set.map { (.set, $0) } + setString.map { (.string, $0) }
            + setFile.map { (.file, $0) } + setLiteral.map { (.literal, $0) }
    }

    func variables() throws -> [String: String] {
        var out: [String: String] = [:]
        for v in vars {
            guard let eq = v.firstIndex(of: "="), eq != v.startIndex else {
                throw CLIError.config("--var \(v): expected name=value")
            }
            out[String(v[..<eq])] = String(v[v.index(after: eq)...])
        }
        if let namespace {
            if let given = out["namespace"], given != namespace {
                throw CLIError.config("-n \(namespace) and --var namespace=\(given) disagree: give one")
            }
            out["namespace"] = namespace
        }
        return out
    }

    var workspace: Workspace { get throws { try Workspace.discover(extraStrategyDirs: strategyDirs, stateDir: stateDir) } }

    /// For commands that write state: the state folder must be writable before anything runs.
    func checkWritableState() throws { try workspace.checkStateRoot(writable: true) }

    func render(_ strategy: String, persistSecrets: Bool) throws -> Rendered {
        let gen = generation ?? ProcessInfo.processInfo.environment["SLIMCTL_GENERATION"].flatMap { $0.isEmpty ? nil : $0 }
        return try workspace.load(strategy, vars: try variables(), userArgs: userArgs, generation: gen, persistSecrets: persistSecrets)
    }
}

struct TargetFlags: ParsableArguments {
    @Option(
        name: .customLong("target"), help: "Where to run: local (default; real SLIM processes, no Docker), kind, or cluster (an existing kubeconfig context).",
        completion: Completions.targets)
    var target: TargetKind = .local

    @Option(name: .customLong("context"), help: "kubeconfig context (cluster target).", completion: Completions.contexts)
    var context: String?

    @Option(name: .customLong("kubeconfig"), help: "kubeconfig file (default: KUBECONFIG or ~/.kube/config).", completion: .file())
    var kubeconfig: String?
}

extension TargetKind: ExpressibleByArgument {}

struct OutputFlags: ParsableArguments {
    @Option(name: [.customShort("o"), .customLong("output")], help: "text, json or yaml.")
    var output: OutputFormat = .text

    @OptionGroup var terminal: TerminalFlags
}

/// How much is printed and whether in colour; `Terminal.setUp` turns them into one decision.
struct TerminalFlags: ParsableArguments {
    @Flag(name: .customLong("no-color"), help: "No colour (also a non-empty NO_COLOR, or when output is not a terminal).")
    var noColor = false

    @Flag(
        name: [.customShort("v"), .customLong("verbose")],
        help: "Print each external command (helm, kubectl, kind, …) and each Kubernetes API call on stderr as it runs.")
    var verbose = false

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print only errors and the result: no progress.")
    var quiet = false

    func validate() throws {
        if verbose && quiet { throw ValidationError("-v/--verbose and -q/--quiet do not go together: give one") }
    }
}

/// A command whose flags say how its output looks; `SlimctlMain` sets up `Terminal` from them
/// before the command runs. Commands without them run with the defaults.
protocol TerminalCommand {
    var terminalFlags: TerminalFlags { get }
}

/// The commands that take `-o` carry the terminal flags inside `OutputFlags`.
protocol OutputCommand: TerminalCommand {
    var out: OutputFlags { get }
}

extension OutputCommand {
    var terminalFlags: TerminalFlags { out.terminal }
}

/// Where charts come from on kind/cluster: a chart in hand for one release, registry mirrors for
/// air-gapped users, and the registry access helm needs for them.
struct ChartSourceOptions: ParsableArguments {
    @Option(
        name: .customLong("chart"),
        help: ArgumentHelp("kind/cluster: install RELEASE from a local chart directory or packaged .tgz (repeatable).", valueName: "release=path"))
    var charts: [String] = []

    @Option(
        name: .customLong("chart-mirror"),
        help: ArgumentHelp(
            "kind/cluster: fetch charts whose reference or repository URL starts with FROM from TO instead, e.g. ghcr.io/agntcy=registry.internal:5000/agntcy (repeatable; also SLIMCTL_CHART_MIRROR, comma-separated).",
            valueName: "from=to"))
    var mirrors: [String] = []

    @Flag(
        name: .customLong("plain-http"), help: "kind/cluster: reach OCI chart registries over plain HTTP (helm --plain-http; also SLIMCTL_CHART_PLAIN_HTTP=1).")
    var plainHTTP = false

    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp("kind/cluster: CA bundle for the chart registry or repository (helm --ca-file; also SLIMCTL_CHART_CA_FILE).", valueName: "file"),
        completion: .file())
    var caFile: String?

    /// The mirrors in order: flags first, then the environment's.
    func chartMirrors() throws -> [ChartMirror] {
        do {
            return try mirrors.map(ChartMirror.parse) + Self.environmentMirrors()
        } catch let e as ChartMirror.Invalid {
            throw CLIError.config("--chart-mirror: \(e)")
        }
    }

    var usePlainHTTP: Bool { plainHTTP || Self.environmentPlainHTTP }

    func caBundle() throws -> String? { try Self.checkedCA(caFile) ?? Self.environmentCA() }

    static func environmentMirrors() throws -> [ChartMirror] {
        do {
            return try ChartMirror.parseList(ProcessInfo.processInfo.environment["SLIMCTL_CHART_MIRROR"] ?? "")
        } catch let e as ChartMirror.Invalid {
            throw CLIError.config("SLIMCTL_CHART_MIRROR: \(e)")
        }
    }

    static var environmentPlainHTTP: Bool {
        ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["SLIMCTL_CHART_PLAIN_HTTP"]?.lowercased() ?? "")
    }

    static func environmentCA() throws -> String? {
        try checkedCA(ProcessInfo.processInfo.environment["SLIMCTL_CHART_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 })
    }

    static func checkedCA(_ f: String?) throws -> String? {
        guard let f else { return nil }
        let p = Workspace.absolute(f)
        switch FileSystem.kind(p) {
        case .regular: break
        case .missing: throw CLIError.config("--ca-file \(f): \(p) does not exist")
        case .directory: throw CLIError.config("--ca-file \(f): \(p) is a directory, not a CA bundle file")
        case .other: throw CLIError.config("--ca-file \(f): \(p) is not a regular file")
        }
        guard FileManager.default.isReadableFile(atPath: p) else { throw CLIError.config("--ca-file \(f): cannot read \(p): permission denied") }
        return p
    }
}

/// Timeouts as users type them elsewhere (kubectl, helm `--timeout 5m`): a number of seconds or
/// a Go duration, rounded up to whole seconds. Zero or negative values are parsed here and
/// refused by the command, which names the option.
enum Timeout {
    static func parse(_ text: String) throws -> Int {
        if let n = Int(text) { return n }
        guard let d = GoDuration.parse(text), d.isFinite, abs(d) < 1e9 else {
            throw ValidationError("`\(text)` is not a timeout: give seconds or a Go duration such as 90s, 2m or 1h30m")
        }
        return d > 0 ? max(1, Int(d.rounded(.up))) : Int(d.rounded(.down))
    }
}
