import ArgumentParser
import Foundation
import Plan
import Values

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Options every strategy command shares: which strategy files, variables, values layers, output.
struct StrategyOptions: ParsableArguments {
    @Option(name: .customLong("strategies"), help: ArgumentHelp("Extra folder of strategy files (repeatable; also SLIMCTL_STRATEGIES).", valueName: "dir"))
    var strategyDirs: [String] = []

    @Option(name: .customLong("var"), help: ArgumentHelp("Set a strategy variable (repeatable).", valueName: "name=value"))
    var vars: [String] = []

    @Option(name: [.customShort("f"), .customLong("values")], help: ArgumentHelp("Values file layered after the strategy's, as helm -f. Prefix RELEASE: for a release other than SLIM's.", valueName: "[release:]file"))
    var valuesFiles: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp("Helm --set on the rendered values.", valueName: "[release:]path=value"))
    var set: [String] = []
    @Option(name: .customLong("set-string"), help: ArgumentHelp("Helm --set-string (values stay strings).", valueName: "[release:]path=value"))
    var setString: [String] = []
    @Option(name: .customLong("set-file"), help: ArgumentHelp("Helm --set-file (value read from a file).", valueName: "[release:]path=file"))
    var setFile: [String] = []
    @Option(name: .customLong("set-json"), help: ArgumentHelp("Helm --set-json (JSON value).", valueName: "[release:]path=json"))
    var setJSON: [String] = []
    @Option(name: .customLong("set-literal"), help: ArgumentHelp("Helm --set-literal (the rest taken verbatim).", valueName: "[release:]path=value"))
    var setLiteral: [String] = []

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where state, logs and generated secrets are kept (default ./.slimctl; SLIMCTL_STATE_DIR).", valueName: "dir"))
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
        return out
    }

    var workspace: Workspace { Workspace.discover(extraStrategyDirs: strategyDirs, stateDir: stateDir) }

    func render(_ strategy: String, persistSecrets: Bool) throws -> Rendered {
        try workspace.load(strategy, vars: try variables(), userArgs: userArgs, persistSecrets: persistSecrets)
    }
}

struct TargetFlags: ParsableArguments {
    @Option(name: .customLong("target"), help: "Where to run: local (default; real SLIM processes, no Docker), kind, or cluster (an existing kubeconfig context).")
    var target: TargetKind = .local

    @Option(name: .customLong("context"), help: "kubeconfig context (cluster target).")
    var context: String?

    @Option(name: .customLong("kubeconfig"), help: "kubeconfig file (default: KUBECONFIG or ~/.kube/config).")
    var kubeconfig: String?
}

extension TargetKind: ExpressibleByArgument {}

struct OutputFlags: ParsableArguments {
    @Option(name: [.customShort("o"), .customLong("output")], help: "text or json.")
    var output: OutputFormat = .text

    @Flag(name: .customLong("no-color"), help: "No colour (also NO_COLOR, or when output is not a terminal).")
    var noColor = false

    var color: Bool {
        !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(1) == 1
    }
}
