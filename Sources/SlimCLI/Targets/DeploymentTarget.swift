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
    /// `verify --watch`: one line per change until Ctrl-C.
    func watchVerify(json: Bool) async throws
    /// Before `test`, `verify` and `logs` on something deployed earlier: refuses when there is
    /// nothing to talk to yet, and names the cluster that will be touched.
    func requireDeployed(json: Bool) async throws
    /// The message test: receivers, sender or both; the apps are removed afterwards unless `keep`.
    func test(which: TestCommand.Which, keep: Bool, timeout: Int?, json: Bool, progress: ProgressDisplay) async throws -> TestOutcome
    /// `logs`: the strategy's pods (or one selector's), tailed or followed.
    func logs(_ cmd: LogsCommand, selector: String?, sinceSeconds: Int?) async throws
    /// Removes what the strategy deployed. `.deployment`: what `delete` removes; `.everything`:
    /// also what slimctl created for it (a kind cluster), as `ci` does.
    func tearDown(_ scope: TearDownScope, json: Bool) async throws -> TearDown
    /// `diff`, for the steps deployed before: what runs now against what a deploy would make
    /// (kind/cluster: the live objects; local: the SLIM nodes' configs and a manifests step's
    /// recorded objects). `snapshots`: what each step last deployed.
    func diffs(_ steps: [PlannedStep], snapshots: [String: DeployedSnapshot]) async throws -> [String: TargetDiff]
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
