import Engine
import Foundation
import Local
import Plan
import Strategy

/// Everything a run-side command needs for the local target, built once.
struct LocalSession {
    var rendered: Rendered
    var target: LocalTarget
    var workspace: Workspace
    var plan: Plan
    var layout: StateLayout

    init(strategy: String, options: StrategyOptions, target flags: TargetFlags, portBase: Int? = nil) throws {
        guard flags.target == .local else {
            throw CLIError.config(
                "target `\(flags.target.rawValue)` cannot run yet: this version deploys to the local target only (`plan --target \(flags.target.rawValue)` shows what it will do)"
            )
        }
        workspace = try options.workspace
        rendered = try options.render(strategy, persistSecrets: true)
        layout = StateLayout(root: workspace.stateRoot, strategy: rendered.strategy.name, target: .local)
        // Refused before anything starts: a SLIM release the local runtime cannot run.
        let bindings = try localBindings(rendered)
        let runtime = LocalRuntime(
            cacheDir: LocalRuntime.defaultCacheDir(), nodeScript: "\(workspace.home)/runtime/slim_node.py",
            version: bindings?.bindings ?? BindingsPairing.versions.last ?? "")
        target = LocalTarget(rendered: rendered, runtime: runtime, bindings: bindings, stateDir: layout.localDir, portBase: portBase)
        plan = Planner.plan(rendered, target: TargetOptions(kind: .local, renderDir: layout.renderDir))
        LocalPlanNotes.annotate(&plan, rendered: rendered, bindings: bindings)
        target.annotateNodes(&plan)
    }

    /// Stops every process and forgets the finished steps, so the next deploy starts fresh.
    func tearDown() -> [String] {
        let stopped = target.delete()
        layout.forgetDeployed()
        return stopped
    }

    var statePath: String { layout.statePath }
    var runDir: String { layout.runDir }
}

/// The slim-bindings pairing for the strategy's SLIM release; an unknown release is a config error.
func localBindings(_ rendered: Rendered) throws -> BindingsPairing? {
    do { return try LocalLayout.bindings(rendered) } catch let e as BindingsPairing.Unsupported { throw CLIError.config(e.description) }
}
