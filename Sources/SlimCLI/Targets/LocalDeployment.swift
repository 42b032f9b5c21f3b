import Checks
import Engine
import Foundation
import Local
import Plan
import Strategy
import YAML

/// The local target behind the seam: real SLIM nodes and test apps as processes on simulated
/// nodes (`Sources/Local`).
struct LocalDeployment: DeploymentTarget {
    let session: LocalSession
    var kind: TargetKind { .local }
    var rendered: Rendered { session.rendered }
    var plan: Plan { session.plan }
    var layout: StateLayout { session.layout }

    /// The runtime (python3, the bindings venv) is checked and installed by the cluster step,
    /// which says what to install; nothing is needed before.
    func requireTools() throws {}

    func prepare(json: Bool) async throws {
        _ = try RenderWriter.write(rendered, to: layout.renderDir)
    }

    func executor() async -> any StepExecutor { session.target }

    func runtimeStatus() async -> TargetStatus {
        let pods = session.target.observedPods()
        let bindings = LocalBindingsStatus(running: session.target.loadState().bindings, planned: session.target.bindings)
        var lines: [String] = []
        if let line = bindings.line { lines.append(line) }
        lines.append(pods.isEmpty ? "\nnothing running" : "")
        for p in pods {
            lines.append("  \(p.node.padding(toLength: 28, withPad: " ", startingAt: 0)) \(p.name.padding(toLength: 18, withPad: " ", startingAt: 0)) "
                         + "\(p.owner.padding(toLength: 20, withPad: " ", startingAt: 0)) \(p.ready ? Style.out.good("Ready") : Style.out.warn(p.reason ?? p.phase))")
        }
        return TargetStatus(json: ["slimBindings": bindings.json,
                                   "pods": .list(pods.map { .map(["name": .string($0.name), "owner": .string($0.owner), "node": .string($0.node),
                                                                  "phase": .string($0.phase), "ready": .bool($0.ready)]) })],
                            lines: lines)
    }

    func verify(wait: Bool, timeout: Int, json: Bool) async throws -> [CheckResult] {
        var results = session.target.verify()
        let deadline = ContinuousClock.now + .seconds(timeout)
        while wait && !results.allSatisfy(\.passed) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            results = session.target.verify()
        }
        return results
    }

    func watchVerify(json: Bool) async throws { try await LocalVerifyWatch.run(session, json: json) }

    func requireDeployed(json: Bool) async throws {}

    func test(which: TestCommand.Which, keep: Bool, timeout: Int?, json: Bool, progress: ProgressDisplay) async throws -> TestOutcome {
        let s = session
        let name = rendered.strategy.name
        guard let spec = rendered.strategy.test else { throw CLIError.config("strategy \(name) has no `test` section") }
        let runDir = layout.runDir
        let ctx = { (step: String) in StepContext(runDir: runDir, logPath: "\(runDir)/\(step).log", report: { progress.message(step, $0) }) }
        let apps: Set<String> = ["receiver", "sender"]
        defer { if !keep && which != .receiver { _ = s.target.delete(components: apps) } }
        switch which {
        case .receiver:
            try await progress.task("start receivers, wait until they listen", index: 1, total: 1) {
                try await s.target.startApps(step: spec.receiverStep, context: ctx(spec.receiverStep))
            }
            let pods = LocalState.load(s.target.statePath)?.processes(component: "receiver") ?? []
            return TestOutcome(expected: spec.messages, sent: 0, replies: 0, senderFinished: false, receivers: pods.map { ($0.name, $0.node, 0) },
                               problems: [], receiverOnly: true)
        case .sender:
            if s.target.observedPods().filter({ $0.owner.hasPrefix("DaemonSet/") || $0.owner.hasPrefix("Pod/") }).isEmpty {
                throw CLIError.config("no receiver is running; run `slimctl test receiver \(name)` first, or `test all`")
            }
        case .all:
            break
        }
        return try await MessageTest.sendAndCount(s, spec: spec, timeout: timeout ?? spec.timeoutSeconds, startReceivers: which == .all,
                                              progress: progress, context: ctx)
    }

    func logs(_ cmd: LogsCommand, selector: String?, sinceSeconds: Int?) async throws {
        guard sinceSeconds == nil, !cmd.timestamps else {
            throw CLIError.config("--since and --timestamps need the kind or cluster target: local log files carry no per-line times")
        }
        guard !cmd.previous else {
            throw CLIError.config("--previous needs the kind or cluster target: a local SLIM node's log file holds every instance")
        }
        try await LocalLogs.run(cmd, session: session, selector: selector)
    }

    func tearDown(_ scope: TearDownScope, json: Bool) async throws -> TearDown {
        let stopped = session.tearDown()
        return TearDown(items: stopped,
                        line: stopped.isEmpty ? "nothing was running for \(rendered.strategy.name)" : "stopped \(stopped.joined(separator: ", "))",
                        jsonKey: "stopped")
    }

    func diagnose(into dir: String) async { Diagnostics.collect(session, into: dir) }

    func clusterUp() async throws {
        let first = plan.steps.first { $0.kind == "cluster" }?.name ?? "cluster"
        _ = try await Engine.run(plan, executor: session.target, statePath: layout.statePath, runDir: layout.runDir,
                                 options: EngineOptions(only: [first]), events: ProgressDisplay(rendered.redactor, json: false).events)
    }

    func clusterDown() async throws -> String {
        let stopped = session.tearDown()
        return stopped.isEmpty ? "cluster down (nothing was running)" : "cluster down: stopped \(stopped.joined(separator: ", "))"
    }
}
