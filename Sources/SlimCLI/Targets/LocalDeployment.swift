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
                         + "\(p.owner.padding(toLength: 20, withPad: " ", startingAt: 0)) \(p.ready ? "Ready" : p.reason ?? p.phase)")
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

    func messageTest(timeout: Int?, keep: Bool, json: Bool, progress: @escaping @Sendable (EngineEvent) -> Void) async throws -> TestOutcome {
        guard let spec = rendered.strategy.test else { throw CLIError.config("strategy \(rendered.strategy.name) has no `test` section") }
        let runDir = layout.runDir
        let ctx = { (step: String) in StepContext(runDir: runDir, logPath: "\(runDir)/\(step).log", report: { progress(.message(step: step, text: $0)) }) }
        return try await MessageTest.sendAndCount(session, spec: spec, timeout: timeout ?? spec.timeoutSeconds, startReceivers: true, context: ctx)
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
                                 options: EngineOptions(only: [first]), events: progressPrinter(rendered.redactor, json: false))
    }

    func clusterDown() async throws -> String {
        let stopped = session.tearDown()
        return stopped.isEmpty ? "cluster down (nothing was running)" : "cluster down: stopped \(stopped.joined(separator: ", "))"
    }
}
