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
        lines.append("")
        if pods.isEmpty { lines.append("nothing running") }
        lines +=
            pods.isEmpty
            ? []
            : TextTable.lines(
                ["NODE", "POD", "OWNER", "STATUS", "AGE"],
                pods.map {
                    [
                        $0.node, $0.name, $0.owner,
                        $0.phase == "Failed" || ($0.phase == "Running" && !$0.ready) ? Style.out.warn($0.displayStatus) : Style.out.good($0.displayStatus),
                        Report.age($0.ageSeconds)
                    ]
                })
        return TargetStatus(
            json: [
                "slimBindings": bindings.json,
                "pods": .list(
                    pods.map {
                        .map([
                            "name": .string($0.name), "owner": .string($0.owner), "node": .string($0.node),
                            "phase": .string($0.phase), "ready": .bool($0.ready && $0.phase == "Running"),
                            "status": .string($0.displayStatus)
                        ])
                    })
            ],
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
            return TestOutcome(
                expected: spec.messages, sent: 0, replies: 0, senderFinished: false, receivers: pods.map { ($0.name, $0.node, 0) },
                problems: [], receiverOnly: true)
        case .sender:
            if s.target.observedPods().filter({ $0.owner.hasPrefix("DaemonSet/") || $0.owner.hasPrefix("Pod/") }).isEmpty {
                throw CLIError.config("no receiver is running; run `slimctl test receiver \(name)` first, or `test all`")
            }
        case .all:
            break
        }
        return try await MessageTest.sendAndCount(
            s, spec: spec, timeout: timeout ?? spec.timeoutSeconds, startReceivers: which == .all,
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
        return TearDown(
            items: stopped,
            line: stopped.isEmpty ? "nothing was running for \(rendered.strategy.name)" : "stopped \(stopped.joined(separator: ", "))",
            jsonKey: "stopped")
    }

    func diagnose(into dir: String) async { Diagnostics.collect(session, into: dir) }

    /// SLIM steps: each running node's config; manifests steps: the objects recorded at their
    /// last deploy (nothing else of them runs locally to compare with).
    func diffs(_ steps: [PlannedStep], snapshots: [String: DeployedSnapshot]) async throws -> [String: TargetDiff] {
        var out: [String: TargetDiff] = [:]
        for step in steps {
            let before = snapshots[step.name]
            if let r = rendered.release(forStep: step.name) {
                let pairs: [NodeConfigPair]
                do { pairs = try session.target.nodeConfigs(r) ?? [] } catch { throw CLIError.config(rendered.redactor.redact("\(error)")) }
                out[step.name] = TargetDiff(
                    entries: pairs.compactMap { p in
                        SecretDiff.diff(
                            deployed: p.deployed.map { [$0] } ?? [], wouldDeploy: [p.wouldDeploy],
                            deployedSecrets: before?.secrets ?? [:], secrets: rendered.secrets
                        ).map {
                            DiffEntry(
                                step: step.name, release: r.release, kind: .config, object: "\(p.pod) on \(p.node)", diff: $0,
                                note: p.deployed == nil ? "its config file is gone" : nil)
                        }
                    })
            } else if let m = rendered.manifests(forStep: step.name), let before {
                out[step.name] = TargetDiff(entries: DiffEntry.recordedManifests(m, before: before, secrets: rendered.secrets).map { [$0] } ?? [])
            }
        }
        return out
    }

    func clusterUp() async throws {
        let first = plan.steps.first { $0.kind == "cluster" }?.name ?? "cluster"
        _ = try await Engine.run(
            plan, executor: session.target, statePath: layout.statePath, runDir: layout.runDir, snapshotDir: layout.deployedDir,
            options: EngineOptions(only: [first]), events: ProgressDisplay(rendered.redactor, json: false).events)
    }

    func clusterDown() async throws -> String {
        let stopped = session.tearDown()
        return stopped.isEmpty ? "cluster down (nothing was running)" : "cluster down: stopped \(stopped.joined(separator: ", "))"
    }
}
