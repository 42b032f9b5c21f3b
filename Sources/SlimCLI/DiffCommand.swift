import ArgumentParser
import Engine
import Foundation
import Plan
import YAML

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what a deploy would change, step by step, as unified diffs. Nothing changes; secrets are masked.",
        discussion: """
            Per step: the rendered values against the values its last successful deploy used; on kind and cluster the objects \
            `helm template` renders (and a manifests step's objects) against the live ones, only the fields the manifest sets; \
            on the local target each running SLIM node's config against the config the values would give it. \
            Exit codes: 0 (also with differences), 1 with --exit-code when something differs (a step not deployed counts), \
            2 usage or configuration error, 3 the cluster cannot be reached or helm is missing.
            """)

    @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String
    @Flag(name: .customLong("exit-code"), help: "Exit 1 when a deploy would change something, as diff and `helm diff --detailed-exitcode` do.")
    var exitCode = false
    @OptionGroup var sources: ChartSourceOptions
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        let t = try Targets.open(strategy: strategy, options: options, flags: target, sources: sources)
        try t.requireTools()
        let diffs = try await Self.steps(t)
        let redactor = t.rendered.redactor
        if out.output.structured {
            printJSON(Value.list(diffs.flatMap(\.json)).redacted(redactor))
        } else {
            for d in diffs { for line in d.lines { print(redactor.redact(line)) } }
            let changed = diffs.filter(\.differs).count
            print(changed == 0 ? "no differences: a deploy would change nothing" : "\(changed) of \(diffs.count) step(s) would change")
        }
        if exitCode && diffs.contains(where: \.differs) { throw CLIError.silent(.failed) }
    }

    /// Every step deploy runs (the test apps are `test`'s), compared.
    static func steps(_ t: any DeploymentTarget) async throws -> [StepDiff] {
        let apps = appStepNames(t.rendered)
        let steps = t.plan.steps.filter { !apps.contains($0.name) }
        let state = RunState.load(t.layout.statePath)
        var snapshots: [String: DeployedSnapshot] = [:]
        for step in steps { snapshots[step.name] = StepSnapshots.load(step: step.name, in: t.layout.deployedDir) }
        // Deployed once: finished now, or finished before and kept what it deployed.
        let deployed = steps.filter { snapshots[$0.name] != nil || state?.steps[$0.name]?.status == .done }
        let live = try await t.diffs(deployed, snapshots: snapshots)
        let executor = await t.executor()
        return steps.map { step in
            let release = t.rendered.release(forStep: step.name)?.release
            let record = state?.steps[step.name]
            let targetDiff = live[step.name] ?? TargetDiff()
            let kind: DiffEntry.Kind = ["helm": .values, "manifests": .manifest][step.kind] ?? .config
            guard deployed.contains(where: { $0.name == step.name }), targetDiff.unavailable == nil else {
                let verb = ["helm": "install", "manifests": "apply"][step.kind] ?? "create"
                let why = targetDiff.unavailable ?? record.map { "its last run \($0.status.rawValue)" }
                return StepDiff(
                    step: step.name, release: release, kind: kind, headline: "not deployed: would \(verb)" + (why.map { " (\($0))" } ?? ""),
                    entries: [], notDeployed: true)
            }
            let entries = valuesEntry(step, release: release, snapshot: snapshots[step.name], rendered: t.rendered) + targetDiff.entries
            return StepDiff(
                step: step.name, release: release, kind: kind,
                headline: headline(step, record: record, satisfied: executor.stillSatisfied(step), hasEntries: !entries.isEmpty),
                entries: entries, notDeployed: false)
        }
    }

    /// Why a deploy would run the step again, or that it would not although something differs.
    static func headline(_ step: PlannedStep, record: RunState.StepRecord?, satisfied: Bool, hasEntries: Bool) -> String? {
        guard let record else { return "would re-run (no record of its last run)" }
        if record.status != .done { return "would run again (its last run \(record.status.rawValue))" }
        if record.hash != step.inputsHash {
            return "would re-run (" + (StepInputs.changes(now: step.inputs, recorded: record.inputs) ?? "inputs changed") + ")"
        }
        if !satisfied { return "would re-run (inputs unchanged, but what it deployed is gone or out of date)" }
        return hasEntries ? "inputs unchanged, so deploy skips this step; `deploy --force` would apply this" : nil
    }

    /// A helm step's values against those of its last successful deploy.
    static func valuesEntry(_ step: PlannedStep, release: String?, snapshot: DeployedSnapshot?, rendered: Rendered) -> [DiffEntry] {
        guard let r = rendered.release(forStep: step.name) else { return [] }
        guard let snapshot else {
            return [
                DiffEntry(
                    step: step.name, release: release, kind: .values, diff: "",
                    note: "not compared: deployed before slimctl kept the values each step deployed (the next deploy keeps them)")
            ]
        }
        let before = (try? YAML.load(snapshot.text, file: "deployed values of \(step.name)")) ?? .null
        guard
            let d = SecretDiff.diff(
                deployed: [before], wouldDeploy: [r.values], deployedSecrets: snapshot.secrets,
                secrets: rendered.secrets)
        else { return [] }
        return [DiffEntry(step: step.name, release: release, kind: .values, diff: d)]
    }
}
