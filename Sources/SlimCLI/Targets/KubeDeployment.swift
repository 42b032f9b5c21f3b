import Checks
import Engine
import Foundation
import Kube
import KubeTarget
import Plan
import Tools
import YAML

/// The kind and cluster targets behind the seam: helm and the project's Kubernetes client.
/// The two differ only in their cluster provider: kind creates and deletes the cluster (its
/// kubeconfig kept in the state folder), cluster uses an existing context and never creates or
/// deletes one.
struct KubeDeployment: DeploymentTarget {
    let session: KubeSession

    var kind: TargetKind { session.kind }
    var rendered: Rendered { session.rendered }
    var plan: Plan { session.plan }
    var layout: StateLayout { session.layout }

    func requireTools() throws { try session.requireTools() }

    func prepare(json: Bool) async throws {
        try await session.preflight(json: json)
        try session.announce(json: json)
    }

    func executor() async -> any StepExecutor {
        KubeExecutor(rendered: rendered, config: session.config(knownReleases: await session.knownReleases()))
    }

    var kindNotCreated: Bool { session.kindNotCreated }

    func runtimeStatus() async -> TargetStatus {
        var status: KubeStatus?
        var unreachable: String?
        if kindNotCreated {
            unreachable = "kind cluster \(rendered.strategy.cluster.name) not created by slimctl yet"
        } else {
            do {
                status = try await KubeStatus.collect(rendered: rendered, helm: session.helm, client: try session.client(), log: "\(layout.runDir)/status.log")
            } catch {
                unreachable = "\(error)"
            }
        }
        var out = TargetStatus()
        out.json["releases"] = .list(
            (status?.releases ?? []).map {
                .map([
                    "name": .string($0.name), "namespace": .string($0.namespace), "chart": .string($0.chart),
                    "appVersion": .string($0.appVersion), "status": .string($0.status), "revision": .string($0.revision)
                ])
            })
        out.json["workloads"] = .list(
            (status?.workloads ?? []).map {
                .map([
                    "kind": .string($0.kind), "namespace": .string($0.namespace), "name": .string($0.name),
                    "exists": .bool($0.exists), "ready": .bool($0.ready), "progress": .string($0.progress), "status": .string($0.statusColumn)
                ])
            })
        if let unreachable {
            out.json["error"] = .string(unreachable)
            out.lines = ["\ncluster: \(unreachable)"]
            return out
        }
        out.lines.append("")
        out.lines +=
            (status?.releases ?? []).isEmpty
            ? ["no releases installed"]
            : TextTable.lines(
                ["RELEASE", "NAMESPACE", "CHART", "REVISION", "STATUS"],
                (status?.releases ?? []).map { [$0.name, $0.namespace, $0.chart, $0.revision, $0.status] })
        out.lines.append("")
        out.lines += TextTable.lines(
            ["KIND", "NAMESPACE", "NAME", "READY", "STATUS"],
            (status?.workloads ?? []).map {
                [$0.kind, $0.namespace, $0.name, $0.ready ? Style.out.good($0.readyColumn) : Style.out.warn($0.readyColumn), $0.statusColumn]
            })
        return out
    }

    func verify(wait: Bool, timeout: Int, json: Bool) async throws -> [CheckResult] {
        try await KubeVerifyRun(wait: wait, timeout: timeout, json: json).results(session)
    }

    func watchVerify(json: Bool) async throws {
        try await KubeVerifyRun(json: json).watch(session)
    }

    func requireDeployed(json: Bool) async throws {
        if kindNotCreated {
            throw CLIError.config(
                "kind cluster \(rendered.strategy.cluster.name) was not created by slimctl: run `slimctl deploy \(rendered.strategy.name) --target kind` first")
        }
        try session.announce(json: json)
    }

    func test(which: TestCommand.Which, keep: Bool, timeout: Int?, json: Bool, progress: ProgressDisplay) async throws -> TestOutcome {
        try await KubeTest.outcome(session, which: which, keep: keep, timeout: timeout, progress: progress)
    }

    func logs(_ cmd: LogsCommand, selector: String?, sinceSeconds: Int?) async throws {
        try await KubeLogs.run(cmd, session: session, selector: selector, sinceSeconds: sinceSeconds)
    }

    func tearDown(_ scope: TearDownScope, json: Bool) async throws -> TearDown {
        defer { layout.forgetDeployed() }
        let name = rendered.strategy.name
        if kind == .kind && (scope == .everything || kindNotCreated) {
            guard scope == .everything else {
                return TearDown(
                    items: [], line: "nothing to delete: slimctl has not created kind cluster \(rendered.strategy.cluster.name)", jsonKey: "deleted")
            }
            let gone = try await session.deleteKindCluster()
            return TearDown(
                items: gone ? ["kind cluster \(rendered.strategy.cluster.name)"] : [],
                line: gone ? "deleted kind cluster \(rendered.strategy.cluster.name)" : "nothing was left", jsonKey: "deleted")
        }
        var deleteNamespaces = false
        if case .deployment(let d) = scope { deleteNamespaces = d }
        try session.announce(json: json)
        let teardown = KubeTeardown(rendered: rendered, config: session.config())
        let quiet = scope == .everything
        let removed = try await teardown.run(client: try session.client(), deleteNamespaces: deleteNamespaces, log: "\(layout.runDir)/delete.log") { line in
            if quiet { return }
            ProgressDisplay.note(json ? line : "  " + line, json: json)
        }
        let line =
            removed.isEmpty
            ? "nothing of \(name) was deployed"
            : "deleted \(removed.count) item(s) of \(name)" + (deleteNamespaces ? "" : " (namespaces kept; --delete-namespaces removes them)")
        return TearDown(items: removed, line: line, jsonKey: "deleted")
    }

    func diagnose(into dir: String) async { await KubeDiagnostics.collect(session, into: dir) }

    /// Each step's objects against the live ones; a kind cluster slimctl has not created has none.
    func diffs(_ steps: [PlannedStep], snapshots: [String: DeployedSnapshot]) async throws -> [String: TargetDiff] {
        if kindNotCreated {
            let why = "kind cluster \(rendered.strategy.cluster.name) not created by slimctl"
            return Dictionary(uniqueKeysWithValues: steps.map { ($0.name, TargetDiff(unavailable: why)) })
        }
        guard !steps.isEmpty else { return [:] }
        let client = try session.client()
        let live = LiveDiff(rendered: rendered, target: session.targetOptions, helm: session.helm, client: client)
        let redactor = rendered.redactor
        var out: [String: TargetDiff] = [:]
        for step in steps {
            let release = rendered.release(forStep: step.name)?.release
            do {
                let objects = try await live.objects(step: step.name, deployedSecrets: snapshots[step.name]?.secrets ?? [:], log: "\(layout.runDir)/diff.log")
                out[step.name] = TargetDiff(
                    entries: objects.map {
                        DiffEntry(
                            step: step.name, release: release, kind: .manifest, object: $0.name, diff: $0.diff,
                            note: $0.missing ? "not in the cluster: would create" : nil)
                    })
            } catch let e as KubeError {
                throw CLIError.environment(
                    redactor.redact("cannot read the cluster (context \(client.config.contextName), server \(client.config.cluster.server)): \(e.message)"))
            } catch let f as CommandFailure {
                throw CLIError.failed(redactor.redact("step \(step.name): helm template failed: \(f.description)"))
            }
        }
        return out
    }

    func clusterUp() async throws {
        guard kind == .kind else {
            throw CLIError.config("`cluster up` creates kind clusters only; the cluster target uses an existing cluster and never creates one")
        }
        _ = try RenderWriter.write(rendered, to: layout.renderDir)
        let first = plan.steps.first { $0.kind == "cluster" }?.name ?? "cluster"
        do {
            _ = try await Engine.run(
                plan, executor: await executor(), statePath: layout.statePath, runDir: layout.runDir, snapshotDir: layout.deployedDir,
                options: EngineOptions(only: [first]), events: ProgressDisplay(rendered.redactor, json: false).events)
        } catch let f as StepFailure {
            throw CLIError.failed(f.description)
        }
    }

    func clusterDown() async throws -> String {
        guard kind == .kind else {
            throw CLIError.config(
                "`cluster down` deletes kind clusters only; slimctl never deletes a cluster it did not create (use `delete --target cluster`)")
        }
        let name = rendered.strategy.cluster.name
        defer { layout.forgetDeployed() }
        return try await session.deleteKindCluster() ? "cluster down: deleted kind cluster \(name)" : "cluster down: no kind cluster named \(name)"
    }
}

extension KubeStatus.Workload {
    /// A pod that ran to completion is done, not ready (kubectl shows 0/1 and Completed).
    var readyColumn: String { !exists ? "-" : progress == "Succeeded" ? "done" : ready ? "yes" : "no" }
    /// kubectl's words for a finished pod; otherwise the workload's progress.
    var statusColumn: String {
        switch progress {
        case "Succeeded": return "Completed"
        case "Failed": return "Error"
        default: return progress
        }
    }
}
