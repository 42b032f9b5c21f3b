import Foundation
import Local
import Plan
import Strategy
import Tools
import YAML

/// What a completion function may read, found from the words on the line and the environment as
/// the command itself would find it: strategy folders, the state folder, a strategy's steps.
/// Only reads: a folder that is missing is left out rather than reported, a strategy that does not
/// load offers nothing, and no folder or generated secret is ever created.
struct CompletionSources {
    var words: CompletionWords
    var environment: [String: String] = ProcessInfo.processInfo.environment

    var workspace: Workspace {
        let home = Workspace.homeFolder() ?? FileManager.default.currentDirectoryPath
        let extra = (environment["SLIMCTL_STRATEGIES"] ?? "").split(separator: ":").map(String.init) + words.values("--strategies")
        let dirs = ["\(home)/strategies"] + extra.map(Workspace.absolute).filter { FileSystem.kind($0) == .directory }
        let state = StateRoot.resolve(flag: words.last("--state-dir"), environment: environment)
        return Workspace(home: home, strategyDirs: dirs, stateRoot: Workspace.absolute(state))
    }

    /// The strategy names `deploy <TAB>` offers: built-in ones and those of `--strategies` folders.
    var strategyNames: [String] { workspace.catalog().map(\.name) }

    /// The strategy the line names, loaded with the line's `--var`, `-n` and `--generation` (its
    /// steps and namespaces can depend on them); nil when it cannot be loaded.
    func strategy(_ nameOrPath: String) -> Strategy? {
        let ws = workspace
        guard let file = try? ws.strategyFile(nameOrPath), let text = try? FileSystem.readText(file, what: "strategy file"),
            let declared = try? StrategyLoader.declarations(text: text, file: file)
        else { return nil }
        let generations = declared.generations
        let name = (try? YAML.parseDocument(text, file: file))?.scalarField("name") ?? nameOrPath
        let requested =
            words.last("--generation") ?? environment["SLIMCTL_GENERATION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ws.rememberedGeneration(name)
        let generation =
            (try? GenerationChoice.choose(generations, requested: requested, strategy: name))
            ?? (try? GenerationChoice.choose(generations, requested: nil, strategy: name)) ?? nil
        guard
            let resolved = try? VariableResolver.resolve(
                declared.variables, overrides: variables, remembered: [:],
                presets: GenerationChoice.presets(generation), generate: { _ in "<generated>" })
        else { return nil }
        return try? StrategyLoader.load(text: text, file: file, values: resolved.values)
    }

    /// The chart generations the strategy can be deployed with (not those it refuses).
    func generations(_ nameOrPath: String) -> [String] {
        guard let file = try? workspace.strategyFile(nameOrPath), let text = try? FileSystem.readText(file, what: "strategy file"),
            let declared = try? StrategyLoader.declarations(text: text, file: file)
        else { return [] }
        return declared.generations.filter { $0.unsupported == nil }.map(\.name)
    }

    /// The simulated nodes `local-node` edits: those of the strategy's local state, else the ones
    /// a first deploy would make from its layout.
    func localNodes(_ strategy: Strategy) -> [String] {
        let layout = StateLayout(root: workspace.stateRoot, strategy: strategy.name, target: .local)
        let recorded = LocalState.load(LocalTarget.statePath(stateDir: layout.localDir))?.nodes.map(\.name) ?? []
        return recorded.isEmpty ? LocalNames.nodes(strategy.cluster).map(\.name) : recorded
    }

    /// `--var name=value` and `-n` as the command reads them; malformed ones are skipped.
    var variables: [String: String] {
        var out: [String: String] = [:]
        for v in words.values("--var") {
            guard let eq = v.firstIndex(of: "="), eq != v.startIndex else { continue }
            out[String(v[..<eq])] = String(v[v.index(after: eq)...])
        }
        if let ns = words.last("-n", "--namespace") { out["namespace"] = ns }
        return out
    }

    /// The strategy word of the command on the line, or the command's default when it has one.
    var strategyWord: String? {
        let p = words.positionals
        switch words.path.first {
        case "test": return p.count > 1 ? p[1] : "daemonset"
        case "local-node": return words.last("-s", "--strategy") ?? "daemonset"
        case "logs":
            guard p.count > 1 else { return p.first.flatMap { workspaceHas($0) ? $0 : nil } ?? "daemonset" }
            return p[0]
        case "deploy", "render", "plan", "diff", "ci": return p.first
        default: return p.first ?? "daemonset"
        }
    }

    /// Whether `word` names a strategy (not a component or pod), as `logs` decides it.
    func workspaceHas(_ word: String) -> Bool { (try? workspace.strategyFile(word)) != nil }
}
