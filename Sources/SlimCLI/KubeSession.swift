import Engine
import Foundation
import Kube
import KubeTarget
import Plan
import Strategy
import Tools
import YAML

/// Everything a run-side command needs for the kind and cluster targets, built once.
struct KubeSession {
    var rendered: Rendered
    var workspace: Workspace
    var targetOptions: TargetOptions
    var plan: Plan
    var kind: TargetKind

    init(strategy: String, options: StrategyOptions, target flags: TargetFlags, sources: ChartSourceOptions? = nil) throws {
        workspace = try options.workspace
        rendered = try options.render(strategy, persistSecrets: true)
        kind = flags.target
        targetOptions = try Self.targetOptions(flags, rendered: rendered, workspace: workspace, sources: sources)
        plan = Planner.plan(rendered, target: targetOptions)
    }

    /// For kind, slimctl keeps the cluster's own kubeconfig (from `kind get kubeconfig`) in its
    /// state folder, so the user's kubeconfig is never edited; the cluster target uses theirs.
    static func targetOptions(_ flags: TargetFlags, rendered: Rendered, workspace: Workspace, sources: ChartSourceOptions?) throws -> TargetOptions {
        let name = rendered.strategy.name
        var overrides: [String: String] = [:]
        let releases = rendered.strategy.helmReleases.map(\.release.release)
        for c in sources?.charts ?? [] {
            guard let eq = c.firstIndex(of: "="), eq != c.startIndex else { throw CLIError.config("--chart \(c): expected release=path") }
            let release = String(c[..<eq])
            let path = Workspace.absolute(String(c[c.index(after: eq)...]))
            guard releases.contains(release) else {
                throw CLIError.config("--chart \(c): strategy `\(name)` has no release `\(release)`; " + Suggest.didYouMean(release, in: releases))
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw CLIError.config("--chart \(c): \(path) does not exist")
            }
            if isDir.boolValue {
                guard FileManager.default.fileExists(atPath: "\(path)/Chart.yaml") else {
                    throw CLIError.config("--chart \(c): \(path) is not a chart directory (no Chart.yaml)")
                }
            } else if !(path.hasSuffix(".tgz") || path.hasSuffix(".tar.gz")) {
                throw CLIError.config("--chart \(c): \(path) is neither a chart directory nor a packaged chart (.tgz)")
            }
            overrides[release] = path
        }
        let renderDir = "\(workspace.stateRoot)/rendered/\(name)"
        // Commands without chart options (verify, status, …) still honour the environment's mirror settings.
        let mirrors = try sources?.chartMirrors() ?? ChartSourceOptions.environmentMirrors(), ca = try sources?.caBundle() ?? ChartSourceOptions.environmentCA()
        let plainHTTP = sources?.usePlainHTTP ?? ChartSourceOptions.environmentPlainHTTP
        switch flags.target {
        case .kind:
            let cluster = rendered.strategy.cluster.name
            return TargetOptions(kind: .kind, context: Kind.contextName(cluster: cluster),
                                 kubeconfig: "\(workspace.stateRoot)/kind/\(cluster).kubeconfig", renderDir: renderDir, chartOverrides: overrides,
                                 chartMirrors: mirrors, plainHTTP: plainHTTP, caFile: ca)
        default:
            return TargetOptions(kind: flags.target, context: flags.context, kubeconfig: flags.kubeconfig.map(Workspace.absolute),
                                 renderDir: renderDir, chartOverrides: overrides, chartMirrors: mirrors, plainHTTP: plainHTTP, caFile: ca)
        }
    }

    var statePath: String { "\(workspace.stateRoot)/state/\(rendered.strategy.name)-\(kind.rawValue).json" }
    var runDir: String { "\(workspace.stateRoot)/runs/\(rendered.strategy.name)" }
    var helm: Helm { Planner.helm(targetOptions) }

    func config(knownReleases: Set<String>? = nil) -> KubeTargetConfig {
        var image: TestImage?
        if let ref = rendered.variables["testImage"] {
            image = TestImage(reference: ref, buildContext: "\(workspace.home)/images/test-apps")
        }
        return KubeTargetConfig(target: targetOptions, helm: helm, testImage: image, knownReleases: knownReleases)
    }

    func client() throws -> KubeClient {
        do {
            return try KubeClient(kubeconfig: targetOptions.kubeconfig, context: targetOptions.context)
        } catch {
            throw CLIError.config("\(error)")
        }
    }

    /// helm must be installed before anything runs.
    func requireTools() throws {
        guard Spawn.which("helm") != nil else {
            throw CLIError.environment("helm is not installed: install helm 3.8+ (https://helm.sh/docs/intro/install/) or run `make tools` in a checkout")
        }
        if kind == .kind, Spawn.which("kind") == nil {
            throw CLIError.environment("kind is not installed: see https://kind.sigs.k8s.io/docs/user/quick-start/#installation (it needs docker or podman)")
        }
    }

    /// Every chart read, checked and rendered before the first install (see `ChartPreflight`):
    /// a combination that cannot work is a configuration error, with nothing changed.
    func preflight(json: Bool) async throws {
        _ = try RenderWriter.write(rendered, to: targetOptions.renderDir)
        do {
            _ = try await ChartPreflight.run(rendered: rendered, target: targetOptions, helm: helm, log: "\(runDir)/charts.log") { line in
                if json { stderr(line) } else { print(line); fflush(nil) }
            }
        } catch let r as ChartRefusal {
            throw CLIError.config(rendered.redactor.redact(r.description))
        } catch let f as Helm.Failure {
            throw CLIError.failed("reading the charts failed: \(rendered.redactor.redact(f.description))")
        }
    }

    /// The cluster target names the context and server it will change, before changing anything.
    func announce(json: Bool) throws {
        guard kind == .cluster else { return }
        let c = try client()
        let line = "target cluster: context \(c.config.contextName), server \(c.config.cluster.server)"
        if json { stderr(line) } else { print(line); fflush(nil) }
    }

    /// Deletes the strategy's kind cluster and the kubeconfig slimctl kept for it; false when
    /// there was no such cluster.
    func deleteKindCluster() async throws -> Bool {
        let kind = Kind()
        let log = "\(runDir)/cluster-down.log"
        let name = rendered.strategy.cluster.name
        defer { if let k = targetOptions.kubeconfig { try? FileManager.default.removeItem(atPath: k) } }
        guard try await kind.clusters(log: log).contains(name) else { return false }
        try await kind.delete(name: name, log: log)
        return true
    }

    /// Releases helm knows now (nil when the cluster cannot be asked yet, e.g. kind not created).
    func knownReleases() async -> Set<String>? {
        if kind == .kind, let k = targetOptions.kubeconfig, !FileManager.default.fileExists(atPath: k) { return nil }
        guard let list = try? await helm.list(log: "\(runDir)/helm-list.log") else { return nil }
        return Set(list.map { "\($0.namespace)/\($0.name)" })
    }
}

/// The kind/cluster side of deploy, delete, status and cluster up/down.
enum KubeCommands {
    static func deploy(_ cmd: DeployCommand) async throws {
        if cmd.portBase != nil { throw CLIError.config("--port-base is for the local target only") }
        let s = try KubeSession(strategy: cmd.strategy, options: cmd.options, target: cmd.target, sources: cmd.sources)
        try s.requireTools()
        let json = cmd.out.output == .json
        let lock = try DeployLock.acquire(root: s.workspace.stateRoot, target: s.kind, strategy: s.rendered.strategy.name, command: "deploy")
        defer { lock.release() }
        try await s.preflight(json: json)
        try s.announce(json: json)
        let executor = KubeExecutor(rendered: s.rendered, config: s.config(knownReleases: await s.knownReleases()))
        let options = EngineOptions(from: cmd.from, only: cmd.only, skip: cmd.skip,
                                    exclude: cmd.only.isEmpty ? appStepNames(s.rendered) : [], force: cmd.force)
        do {
            let summary = try await Engine.run(s.plan, executor: executor, statePath: s.statePath, runDir: s.runDir, options: options,
                                               events: progressPrinter(s.rendered.redactor, json: json))
            if json {
                printJSON(.map(["strategy": .string(s.rendered.strategy.name), "target": .string(s.kind.rawValue), "result": "deployed",
                                "ran": .list(summary.ran.map { .string($0) }), "skipped": .list(summary.skipped.map { .string($0) })]))
            } else {
                print("deployed \(s.rendered.strategy.name) (\(s.kind.rawValue)): \(summary.ran.count) step(s) run, \(summary.skipped.count) unchanged")
            }
        } catch let f as StepFailure {
            throw CLIError.failed(s.rendered.redactor.redact(f.description))
        }
    }

    static func delete(_ cmd: DeleteCommand) async throws {
        let s = try KubeSession(strategy: cmd.strategy, options: cmd.options, target: cmd.target)
        try s.requireTools()
        let lock = try DeployLock.acquire(root: s.workspace.stateRoot, target: s.kind, strategy: s.rendered.strategy.name, command: "delete")
        defer { lock.release() }
        if s.kind == .kind, let k = s.targetOptions.kubeconfig, !FileManager.default.fileExists(atPath: k) {
            try? FileManager.default.removeItem(atPath: s.statePath)
            print("nothing to delete: slimctl has not created kind cluster \(s.rendered.strategy.cluster.name)")
            return
        }
        let json = cmd.out.output == .json
        try s.announce(json: json)
        let client = try s.client()
        let teardown = KubeTeardown(rendered: s.rendered, config: s.config())
        let removed = try await teardown.run(client: client, deleteNamespaces: cmd.deleteNamespaces, log: "\(s.runDir)/delete.log") { line in
            if json { stderr(line) } else { print("  " + line); fflush(nil) }
        }
        try? FileManager.default.removeItem(atPath: s.statePath)
        if json {
            printJSON(.map(["strategy": .string(s.rendered.strategy.name), "target": .string(s.kind.rawValue),
                            "deleted": .list(removed.map { .string($0) })]))
        } else {
            print(removed.isEmpty ? "nothing of \(s.rendered.strategy.name) was deployed" : "deleted \(removed.count) item(s) of \(s.rendered.strategy.name)"
                  + (cmd.deleteNamespaces ? "" : " (namespaces kept; --delete-namespaces removes them)"))
        }
    }

    static func status(_ cmd: StatusCommand) async throws {
        let s = try KubeSession(strategy: cmd.strategy, options: cmd.options, target: cmd.target)
        try s.requireTools()
        let state = RunState.load(s.statePath)
        let apps = appStepNames(s.rendered)
        let steps: [Value] = s.plan.steps.map { st in
            let rec = state?.steps[st.name]
            let status = rec.map { $0.status == "done" && $0.hash != st.inputsHash ? "changed" : $0.status } ?? (apps.contains(st.name) ? "by test" : "pending")
            return .map(["step": .string(st.name), "status": .string(status)])
        }
        var status: KubeStatus?
        var unreachable: String?
        if s.kind == .kind, let k = s.targetOptions.kubeconfig, !FileManager.default.fileExists(atPath: k) {
            unreachable = "kind cluster \(s.rendered.strategy.cluster.name) not created by slimctl yet"
        } else {
            do {
                status = try await KubeStatus.collect(rendered: s.rendered, helm: s.helm, client: try s.client(), log: "\(s.runDir)/status.log")
            } catch {
                unreachable = "\(error)"
            }
        }
        if cmd.out.output == .json {
            var m: [String: Value] = ["strategy": .string(s.rendered.strategy.name), "target": .string(s.kind.rawValue), "steps": .list(steps)]
            m["releases"] = .list((status?.releases ?? []).map {
                .map(["name": .string($0.name), "namespace": .string($0.namespace), "chart": .string($0.chart),
                      "appVersion": .string($0.appVersion), "status": .string($0.status), "revision": .string($0.revision)])
            })
            m["workloads"] = .list((status?.workloads ?? []).map {
                .map(["kind": .string($0.kind), "namespace": .string($0.namespace), "name": .string($0.name),
                      "exists": .bool($0.exists), "ready": .bool($0.ready), "progress": .string($0.progress)])
            })
            if let unreachable { m["error"] = .string(unreachable) }
            printJSON(.map(.init(uniqueKeysWithValues: m.sorted { $0.key < $1.key })))
            return
        }
        print("strategy \(s.rendered.strategy.name) on target \(s.kind.rawValue)")
        for st in steps { print("  \((st["status"]?.stringValue ?? "").padding(toLength: 10, withPad: " ", startingAt: 0)) \(st["step"]?.stringValue ?? "")") }
        if let unreachable { print("\ncluster: \(unreachable)"); return }
        print("\nreleases:")
        if status?.releases.isEmpty ?? true { print("  none") }
        for r in status?.releases ?? [] {
            print("  \(r.namespace)/\(r.name)".padding(toLength: 28, withPad: " ", startingAt: 0) + " \(r.chart.padding(toLength: 28, withPad: " ", startingAt: 0)) rev \(r.revision) \(r.status)")
        }
        print("\nworkloads:")
        for w in status?.workloads ?? [] {
            print("  \(w.ready ? "ready    " : "not ready") \(w.kind) \(w.namespace)/\(w.name): \(w.progress)")
        }
    }

    static func clusterUp(_ cmd: ClusterCommand.Up) async throws {
        guard cmd.target.target == .kind else {
            throw CLIError.config("`cluster up` creates kind clusters only; the cluster target uses an existing cluster and never creates one")
        }
        let s = try KubeSession(strategy: cmd.strategy, options: cmd.options, target: cmd.target)
        try s.requireTools()
        _ = try RenderWriter.write(s.rendered, to: s.targetOptions.renderDir)
        let first = s.plan.steps.first { $0.kind == "cluster" }?.name ?? "cluster"
        let executor = KubeExecutor(rendered: s.rendered, config: s.config())
        do {
            _ = try await Engine.run(s.plan, executor: executor, statePath: s.statePath, runDir: s.runDir,
                                     options: EngineOptions(only: [first]), events: progressPrinter(s.rendered.redactor, json: false))
        } catch let f as StepFailure {
            throw CLIError.failed(f.description)
        }
    }

    static func clusterDown(_ cmd: ClusterCommand.Down) async throws {
        guard cmd.target.target == .kind else {
            throw CLIError.config("`cluster down` deletes kind clusters only; slimctl never deletes a cluster it did not create (use `delete --target cluster`)")
        }
        let s = try KubeSession(strategy: cmd.strategy, options: cmd.options, target: cmd.target)
        try s.requireTools()
        let name = s.rendered.strategy.cluster.name
        print(try await s.deleteKindCluster() ? "cluster down: deleted kind cluster \(name)" : "cluster down: no kind cluster named \(name)")
        try? FileManager.default.removeItem(atPath: s.statePath)
    }
}

/// doctor's row for the Kubernetes targets: can the current kubeconfig context be reached?
func kubeconfigDoctorRow() async -> (String, Bool, String, String) {
    let fix = "kind target: none needed (slimctl writes its own kubeconfig); cluster target: point KUBECONFIG/--kubeconfig at a reachable cluster"
    do {
        let c = try KubeClient()
        let r = try await c.request("GET", "/version", operation: "get the server version")
        let v = (try? Value(jsonBytes: r.body))?["gitVersion"]?.stringValue ?? "?"
        return ("kubeconfig", true, "context \(c.config.contextName) at \(c.config.cluster.server): Kubernetes \(v)", "")
    } catch {
        let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
        return ("kubeconfig", false, "no reachable cluster (needed by the cluster target only): \(first)", fix)
    }
}
