import Checks
import Engine
import Plan
import YAML

/// One place a strategy can be deployed: the seam every run-side command is written against.
/// A new target is one type conforming to this, plus one case in `Targets.open` (the only
/// switch on the target kind) — see Docs/architecture.md "How to add a target".
protocol DeploymentTarget: Sendable {
    var kind: TargetKind { get }
    var rendered: Rendered { get }
    /// The plan shown by `slimctl plan` and run by the engine.
    var plan: Plan { get }
    var layout: StateLayout { get }

    /// Tools and runtimes the target needs, checked before anything changes (exit 3 when missing).
    func requireTools() throws
    /// Everything before the first step: rendered files on disk, chart checks, naming the cluster
    /// that will change. A refusal here is a configuration error with nothing changed.
    func prepare(json: Bool) async throws
    /// Runs the plan's steps.
    func executor() async -> any StepExecutor
    /// What runs now, for `status`: JSON fields and human lines after the step table.
    func runtimeStatus() async -> TargetStatus
    /// The verify verdict; with `wait`, re-judged until it holds or `timeout` seconds pass.
    func verify(wait: Bool, timeout: Int, json: Bool) async throws -> [CheckResult]
    /// The message test with every receiver and the sender, as `ci` runs it.
    func messageTest(timeout: Int?, keep: Bool, json: Bool, progress: @escaping @Sendable (EngineEvent) -> Void) async throws -> TestOutcome
    /// Removes what the strategy deployed. `.deployment`: what `delete` removes; `.everything`:
    /// also what slimctl created for it (a kind cluster), as `ci` does.
    func tearDown(_ scope: TearDownScope, json: Bool) async throws -> TearDown
    /// Pods, events, logs, plan and values of a failed run, secrets masked.
    func diagnose(into dir: String) async
    /// `cluster up`: the strategy's cluster step only.
    func clusterUp() async throws
    /// `cluster down`: one line saying what went.
    func clusterDown() async throws -> String
}

enum TearDownScope: Sendable, Equatable {
    case deployment(deleteNamespaces: Bool)
    case everything
}

/// What a tear-down removed, said the target's way.
struct TearDown: Sendable {
    var items: [String]
    /// The human summary line.
    var line: String
    /// The JSON field the items go under (`stopped` for processes, `deleted` for objects).
    var jsonKey: String
}

/// The target's part of `status`.
struct TargetStatus: Sendable {
    var json: [String: Value] = [:]
    var lines: [String] = []
}
