import Engine
import Foundation
import Plan
import Strategy
import Tools
import YAML

/// A chart that cannot serve the strategy as written: found before anything is installed.
public struct ChartRefusal: Error, Sendable, CustomStringConvertible, HintedError {
    public var release: String
    public var chart: String
    public var problems: [String]
    public var hint: String?

    public var description: String {
        "release `\(release)` (chart \(chart)): nothing was installed, because\n" + problems.map { "    - \($0)" }.joined(separator: "\n")
            + (hint.map { "\n  hint: \($0)" } ?? "")
    }
}

/// Reads every chart the plan installs (its Chart.yaml), checks it can express what the strategy
/// declares, renders it with the rendered values and checks the result, all before the first
/// release is installed: a strategy/chart combination that cannot work, a value helm would
/// ignore, or a missing workload stops the deploy with nothing changed.
public enum ChartPreflight {
    /// Runs the commands the plan carries for its helm steps (`Plan.preflight` shows them).
    public static func run(
        _ plan: Plan, rendered: Rendered, target: TargetOptions, helm: Helm, log: String,
        report: (String) -> Void
    ) async throws -> [String: ChartInfo] {
        var infos: [String: ChartInfo] = [:]
        for step in plan.steps {
            guard case .helm(let rel) = step.action, let commands = step.helm, let r = rendered.release(forStep: step.name) else { continue }
            let chart = Planner.chart(for: rel, strategyFile: rendered.strategy.file, target: target)
            if let repoAdd = commands.repoAdd { try await helm.run(repoAdd, log: log) }
            let yaml = try await helm.showChart(commands.showChart, log: log)
            guard let info = ChartInfo(chartYAML: try YAML.load(yaml, file: "Chart.yaml of \(chart.display)")) else {
                throw ChartRefusal(release: rel.release, chart: chart.display, problems: ["its Chart.yaml has no name or version"], hint: nil)
            }
            infos[rel.release] = info
            let generation = rendered.strategy.generation
            var problems = ChartFit.problems(chart: info, release: rel, generation: generation)
            if !problems.isEmpty {
                throw ChartRefusal(
                    release: rel.release, chart: info.display, problems: problems + ChartFit.keyHints(chart: info, values: r.values),
                    hint: generationHint(info, rendered: rendered))
            }
            let rendering = try await helm.render(commands.template, log: log)
            problems = rendering.warnings.map { ignoredValue($0, chart: info, release: r) }
            if !problems.isEmpty {
                throw ChartRefusal(
                    release: rel.release, chart: info.display, problems: problems + ChartFit.keyHints(chart: info, values: r.values),
                    hint:
                        "make the value the shape chart \(info.display) declares (see `helm show values`), or choose the chart generation the values were written for"
                )
            }
            let docs = try YAML.loadAll(rendering.manifests, file: "helm template \(rel.release)")
            do {
                try ChartCheck.check(
                    manifests: docs, expect: rel.expect.map(Expected.init), release: rel.release, chart: info.display,
                    generation: rel.chart.generation, valuesKeysHint: ChartFit.keyHints(chart: info, values: r.values))
            } catch let m as ChartMismatch {
                throw ChartRefusal(
                    release: rel.release, chart: info.display, problems: m.problems + ["it rendered: " + m.rendered.joined(separator: ", ")],
                    hint: m.hint)
            }
            report("chart \(info.display) for release \(rel.release): renders what the strategy expects")
        }
        return infos
    }

    /// A helm coalesce warning as an error naming the key and the layer that set it.
    static func ignoredValue(_ warning: String, chart: ChartInfo, release: RenderedRelease) -> String {
        let text = warning.range(of: "warning: ").map { String(warning[$0.upperBound...]) } ?? warning
        guard let path = ChartFit.ignoredValuePath(text, chart: chart.name) else { return "helm: \(text)" }
        let key = path.joined(separator: ".")
        let origin = release.origin(of: path).map { " (set by \($0.name))" } ?? ""
        return
            "values key `\(key)`\(origin) does not fit chart \(chart.display), so helm ignored it: \(text.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))"
    }

    static func generationHint(_ info: ChartInfo, rendered: Rendered) -> String? {
        let strategy = rendered.strategy
        let supported = strategy.generations.filter { $0.unsupported == nil }.map(\.name)
        if let shape = ChartFit.valuesShape(info), supported.contains(shape), shape != strategy.generation {
            return "run with --generation \(shape), which has values for chart \(info.display)"
        }
        if supported.isEmpty { return "use a chart of the generation the strategy's values were written for" }
        return "strategy `\(strategy.name)` has values for chart generation\(supported.count > 1 ? "s" : "") \(supported.joined(separator: ", "))"
            + (strategy.generation.map { "; this run uses \($0)" } ?? "") + ": give a chart of that generation, or choose another with --generation"
    }
}
