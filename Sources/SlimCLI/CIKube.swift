import Checks
import Engine
import Foundation
import Kube
import KubeTarget
import Tools
import YAML

/// `slimctl ci` on kind and cluster: the same pipeline and reports as on the local target —
/// deploy, verify (waiting on watches), test, diagnostics on failure, tear-down always (also on
/// Ctrl-C) unless --keep — with the Kubernetes pieces `deploy`, `verify` and `test` use. Tear-down
/// deletes the kind cluster slimctl created; on the cluster target it uninstalls the releases
/// and removes the manifests, and never deletes the cluster or its namespaces.
struct KubeCI {
    let cmd: CICommand
    init(_ cmd: CICommand) { self.cmd = cmd }

    func run() async throws {
        try cmd.checkTimeouts()
        let targets = try cmd.parsedReports()
        try cmd.options.checkWritableState()
        let started = Date()
        let clock = ContinuousClock.now
        var report = CIReport(strategy: cmd.strategy, target: cmd.target.target.rawValue, startedAt: started)
        let json = cmd.out.output == .json
        let unwritten = LockedBox<[String]>([])
        @Sendable func finish(_ r: CIReport) { unwritten.value = CICommand.writeReports(r, to: targets, since: clock) }

        let s = try CICommand.open(&report, finish: finish) {
            let s = try KubeSession(strategy: cmd.strategy, options: cmd.options, target: cmd.target, sources: cmd.sources)
            try s.requireTools()
            return s
        }
        report.strategy = s.rendered.strategy.name
        do {
            try await s.preflight(json: json)
        } catch {
            CICommand.fail(&report, error, name: "charts", finish: finish)
            throw error
        }
        let redactor = s.rendered.redactor
        let progress = progressPrinter(redactor, json: json)
        let keep = cmd.keep
        let lock = try DeployLock.acquire(root: s.workspace.stateRoot, target: s.kind, strategy: s.rendered.strategy.name, command: "ci")
        defer { lock.release() }

        let interruptedReport = LockedBox(report)
        let cleanup = ChildRegistry.shared.onInterrupt(keep ? "interrupted: writing the report (--keep leaves everything)" : "interrupted: tearing down") {
            var r = interruptedReport.value
            r.result = "interrupted"
            r.exitCode = ExitCode.interrupted.rawValue
            if !keep { _ = try? await tearDown(s) }
            r.cases.append(.init(group: "teardown", name: keep ? "kept (--keep)" : "delete", status: keep ? "skipped" : "passed", seconds: 0))
            finish(r)
        }
        defer { ChildRegistry.shared.removeInterruptHook(cleanup) }

        var failed = false
        var code = ExitCode.ok
        // 1. Deploy (without the test apps: the test step owns them).
        do {
            _ = try RenderWriter.write(s.rendered, to: s.targetOptions.renderDir)
            try s.announce(json: json)
            let executor = KubeExecutor(rendered: s.rendered, config: s.config(knownReleases: await s.knownReleases()))
            let deployed = await CICommand.deploy(s.plan, executor: executor, statePath: s.statePath, runDir: s.runDir,
                                                  rendered: s.rendered, progress: progress)
            report.cases += deployed.cases
            if let c = deployed.failure { failed = true; code = c }
        } catch {
            failed = true
            let (c, message) = ErrorReport.classify(error)
            code = c == .config ? .failed : c
            report.cases.append(.init(group: "deploy", name: "render", status: "failed", seconds: 0, message: redactor.redact(message)))
        }
        interruptedReport.value = report

        // 2. Verify, re-judged on every watch event until it holds or --verify-timeout.
        if !failed {
            let t = ContinuousClock.now
            do {
                let results = try await KubeVerifyRun(strategy: cmd.strategy, options: cmd.options, target: cmd.target,
                                                      wait: true, timeout: cmd.verifyTimeout, json: json).results(s)
                let secs = Engine.seconds(since: t)
                report.cases += results.map { CICommand.verifyCase($0, seconds: secs) }
                if !results.allSatisfy(\.passed) { failed = true; code = .failed }
            } catch {
                failed = true
                let (c, message) = ErrorReport.classify(error)
                code = c == .environment ? c : .failed
                report.cases.append(.init(group: "verify", name: "verify", status: "failed", seconds: Engine.seconds(since: t), message: redactor.redact(message)))
            }
            interruptedReport.value = report
        }

        // 3. Test with real messages (the apps are removed afterwards by the test itself).
        if !failed, let spec = s.rendered.strategy.test {
            let t = ContinuousClock.now
            do {
                let outcome = try await KubeTest.outcome(s, which: .all, keep: keep, timeout: cmd.testTimeout, json: json)
                outcome.print(json: json)
                report.cases.append(CICommand.testCase(outcome, expected: spec.messages, seconds: Engine.seconds(since: t)))
                if !outcome.passed { failed = true; code = .failed }
            } catch {
                failed = true
                code = .failed
                report.cases.append(.init(group: "test", name: "\(spec.messages) messages sender → receivers", status: "failed",
                                          seconds: Engine.seconds(since: t), message: redactor.redact("\(error)")))
            }
            interruptedReport.value = report
        }

        // 4. Diagnostics on failure, before anything is torn down.
        if failed { await CICommand.diagnose(&report, runDir: s.runDir, started: started) { await KubeDiagnostics.collect(s, into: $0) } }

        // 5. Tear down, always, unless --keep.
        let t = ContinuousClock.now
        if keep {
            report.cases.append(CICommand.keptCase)
        } else {
            do {
                let removed = try await tearDown(s)
                report.cases.append(.init(group: "teardown", name: "delete", status: "passed", seconds: Engine.seconds(since: t),
                                          message: removed.isEmpty ? "nothing was left" : removed.joined(separator: ", ")))
            } catch {
                failed = true
                if code == .ok { code = .failed }
                report.cases.append(.init(group: "teardown", name: "delete", status: "failed", seconds: Engine.seconds(since: t),
                                          message: redactor.redact("\(error)")))
            }
        }
        report.result = failed ? "failed" : "passed"
        report.exitCode = code.rawValue
        finish(report)
        CICommand.printSummary(report, json: json)
        try CICommand.failOnUnwrittenReports(unwritten.value, code: code)
        if failed { throw CLIError.silent(code) }
    }

    /// kind: the cluster slimctl created goes; cluster: releases and manifests go, the cluster
    /// and its namespaces stay.
    func tearDown(_ s: KubeSession) async throws -> [String] {
        defer { try? FileManager.default.removeItem(atPath: s.statePath) }
        if s.kind == .kind {
            return try await s.deleteKindCluster() ? ["kind cluster \(s.rendered.strategy.cluster.name)"] : []
        }
        let teardown = KubeTeardown(rendered: s.rendered, config: s.config())
        return try await teardown.run(client: try s.client(), deleteNamespaces: false, log: "\(s.runDir)/delete.log") { _ in }
    }
}

/// What a person needs to understand a failed run once tear-down has removed it: every pod of
/// the strategy's namespaces with its status, the namespaces' events, each container's last 200
/// log lines, the plan and the rendered values — secrets masked everywhere, files 0600.
enum KubeDiagnostics {
    static func collect(_ s: KubeSession, into dir: String) async {
        let r = s.rendered.redactor
        guard let client = try? s.client() else { return }
        let namespaces = KubeTeardown(rendered: s.rendered, config: s.config()).namespaces()
        var pods: [Value] = []
        var events: [Value] = []
        for ns in namespaces {
            pods += (try? await client.list(apiVersion: "v1", kind: "Pod", namespace: ns).items) ?? []
            events += (try? await client.list(apiVersion: "v1", kind: "Event", namespace: ns).items) ?? []
        }
        write(r.redact(Value.list(pods).jsonString(pretty: true)), to: "\(dir)/pods.json")
        write(r.redact(Value.list(events).jsonString(pretty: true)), to: "\(dir)/events.json")
        for p in pods {
            let pod = Pod(p)
            for c in pod.containers {
                var lines: [String] = []
                do {
                    for try await l in client.logs(pod: pod.metadata.name, namespace: pod.metadata.namespace, options: LogOptions(container: c, tailLines: 200)) {
                        lines.append(r.redact(l))
                    }
                } catch {
                    lines.append("(logs not available: \(error))")
                }
                write(lines.joined(separator: "\n") + "\n", to: "\(dir)/logs/\(pod.metadata.namespace ?? "")_\(pod.metadata.name)_\(c).log")
            }
        }
        Diagnostics.writePlanAndValues(s.rendered, plan: s.plan, into: dir)
    }

    static func write(_ text: String, to path: String) {
        try? AtomicFile.write(text, to: path, mode: 0o600)
    }
}
