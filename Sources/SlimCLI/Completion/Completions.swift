import ArgumentParser
import Foundation
import Kube
import KubeTarget
import Plan
import Strategy

/// The values `<TAB>` offers where a fixed list cannot know them: strategies, the steps of the
/// strategy on the line, kubeconfig contexts, pods. ArgumentParser runs these from the shell's
/// completion script as `slimctl ---completion <command> -- <argument> <index> <cursor> <words>…`;
/// each only reads, never prints an error (a failure offers nothing), and answers in a few
/// milliseconds — except pods on a cluster, which are bounded by `ClusterPodNames`.
enum Completions {
    /// Every strategy argument and `local-node -s`.
    static let strategies = CompletionKind.custom { words, index, _ in
        CompletionSources(words: CompletionWords(words, completing: index)).strategyNames
    }

    /// `--from`, `--only`, `--skip`: the steps of the strategy named on the line, in run order.
    static let steps = CompletionKind.custom { words, index, _ in
        let sources = CompletionSources(words: CompletionWords(words, completing: index))
        guard let word = sources.strategyWord, let strategy = sources.strategy(word) else { return [] }
        return StepOrder.ordered(strategy.steps).map(\.name)
    }

    /// `local-node remove|label|taint|cordon|uncordon NAME`: the strategy's simulated nodes.
    static let localNodes = CompletionKind.custom { words, index, _ in
        let sources = CompletionSources(words: CompletionWords(words, completing: index))
        guard let word = sources.strategyWord, let strategy = sources.strategy(word) else { return [] }
        return sources.localNodes(strategy)
    }

    /// `--generation`: the chart generations the strategy on the line can deploy.
    static let generations = CompletionKind.custom { words, index, _ in
        let sources = CompletionSources(words: CompletionWords(words, completing: index))
        return sources.strategyWord.map(sources.generations) ?? []
    }

    /// `--context`: the contexts of the kubeconfig the command would read (`--kubeconfig`,
    /// else `KUBECONFIG`, else `~/.kube/config`), current one first.
    static let contexts = CompletionKind.custom { words, index, _ in
        let line = CompletionWords(words, completing: index)
        guard let config = try? KubeconfigLoader.load(explicitPath: line.last("--kubeconfig").map(Workspace.absolute)) else { return [] }
        let current = config.currentContext.map { [$0] } ?? []
        return current + config.contexts.keys.sorted().filter { !current.contains($0) }
    }

    /// `logs [strategy] [selector]`: strategies (first word only), the components, and the pods
    /// of the strategy on the target the line names.
    static let logWords = CompletionKind.custom { (words: [String], index: Int, _: String) async -> [String] in
        let line = CompletionWords(words, completing: index)
        let sources = CompletionSources(words: line)
        let first = line.positionals.isEmpty
        var out = (first ? sources.strategyNames : []) + LogSelectors.components
        if let word = sources.strategyWord, let strategy = sources.strategy(word) {
            let target = line.last("--target").flatMap(TargetKind.init(rawValue:)) ?? .local
            out += await Targets.podNames(
                strategy: strategy, stateRoot: sources.workspace.stateRoot, target: target,
                context: line.last("--context"), kubeconfig: line.last("--kubeconfig"))
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// `--target`: a fixed list, spelled from the type so a new target is offered too.
    static let targets = CompletionKind.list(TargetKind.allCases.map(\.rawValue))
}
