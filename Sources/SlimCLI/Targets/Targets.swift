import Foundation
import KubeTarget
import Local
import Plan

/// The one switch on the target kind: everything else is written against `DeploymentTarget`.
enum Targets {
    /// Opens `strategy` on the target the flags name. `sources` (chart overrides and mirrors)
    /// matter to the Kubernetes targets; `portBase` (fixed loopback ports) to the local one.
    /// `images`: `--load-image`, kind only.
    static func open(
        strategy: String, options: StrategyOptions, flags: TargetFlags, sources: ChartSourceOptions? = nil,
        portBase: Int? = nil, images: [String] = []
    ) throws -> any DeploymentTarget {
        try checkLoadImages(images, flags: flags)
        switch flags.target {
        case .local:
            if let p = portBase, !(1024...65000).contains(p) { throw CLIError.config("--port-base \(p): choose a port between 1024 and 65000") }
            return LocalDeployment(session: try LocalSession(strategy: strategy, options: options, target: flags, portBase: portBase))
        case .kind, .cluster:
            if portBase != nil { throw CLIError.config("--port-base is for the local target only") }
            return KubeDeployment(session: try KubeSession(strategy: strategy, options: options, target: flags, sources: sources, images: images))
        }
    }

    /// `--load-image` is kind's `kind load docker-image`; elsewhere it is refused, not ignored,
    /// since a deploy that quietly skipped it would fail later pulling an image nobody has.
    static func checkLoadImages(_ images: [String], flags: TargetFlags) throws {
        guard let first = images.first, flags.target != .kind else { return }
        let why =
            flags.target == .local
            ? "the local target runs SLIM and the test apps as processes, not images"
            : "an existing cluster pulls images from a registry: push \(first) to one its nodes can reach"
        throw CLIError.config("--load-image is for the kind target only (`kind load docker-image`); \(why)")
    }

    /// For commands that exist on the local target only (its simulated nodes): the local
    /// session, or `refusal` as a configuration error on the other targets.
    static func openLocal(strategy: String, options: StrategyOptions, flags: TargetFlags, refusal: String) throws -> LocalSession {
        guard flags.target == .local else { throw CLIError.config(refusal) }
        return try LocalSession(strategy: strategy, options: options, target: flags)
    }

    /// What `plan` shows: the plan for the target (with the local target's notes), and on
    /// kind/cluster where the DaemonSets would land on the nodes that exist now. Secrets are
    /// not persisted: planning changes nothing.
    static func planView(
        strategy: String, options: StrategyOptions, flags: TargetFlags, sources: ChartSourceOptions,
        images: [String] = []
    ) async throws -> (plan: Plan, preview: PlacementPreview?, redactor: Redactor, appSteps: Set<String>) {
        try checkLoadImages(images, flags: flags)
        let rendered = try options.render(strategy, persistSecrets: false)
        let ws = try options.workspace
        let layout = StateLayout(root: ws.stateRoot, strategy: rendered.strategy.name, flags: flags)
        switch flags.target {
        case .local:
            var plan = Planner.plan(rendered, target: TargetOptions(kind: .local, renderDir: layout.renderDir))
            LocalPlanNotes.annotate(&plan, rendered: rendered, bindings: try localBindings(rendered))
            return (plan, nil, rendered.redactor, appStepNames(rendered))
        case .kind, .cluster:
            // The same target options deploy uses, so the argvs shown are the ones run.
            let targetOptions = try KubeSession.targetOptions(flags, rendered: rendered, workspace: ws, sources: sources, images: images)
            let plan = Planner.plan(rendered, target: targetOptions)
            let preview = await PlacementPreviewer.preview(
                rendered: rendered, target: targetOptions, helm: Planner.helm(targetOptions),
                log: "\(layout.runDir)/plan-preview.log")
            return (plan, preview, rendered.redactor, appStepNames(rendered))
        }
    }
}
