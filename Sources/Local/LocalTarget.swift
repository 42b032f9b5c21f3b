import Checks
import Engine
import Foundation
import Placement
import Plan
import Strategy
import Tools
import YAML

/// The `local` target: the strategy's cluster as simulated nodes, real SLIM nodes and test apps as
/// local processes. Implements the engine's step executor and the read-side commands.
public struct LocalTarget: StepExecutor {
    public var rendered: Rendered
    public var runtime: LocalRuntime
    /// `.slimctl/local/<strategy>`: state file, node configs, process logs.
    public var stateDir: String
    /// Fixed ports for the SLIM nodes (node i listens on base+2i, its control server on base+2i+1),
    /// for users who point their own clients at the local nodes; nil picks free ports.
    public var portBase: Int?
    /// The slim-bindings paired with the strategy's SLIM release (`runtime` holds that version);
    /// nil when the strategy runs no SLIM release.
    public var bindings: BindingsPairing?

    public init(rendered: Rendered, runtime: LocalRuntime, bindings: BindingsPairing?, stateDir: String, portBase: Int? = nil) {
        self.rendered = rendered
        self.runtime = runtime
        self.bindings = bindings
        self.stateDir = stateDir
        self.portBase = portBase
    }

    public var statePath: String { Self.statePath(stateDir: stateDir) }
    /// The process records of a strategy's local state folder, also read without a session (completion).
    public static func statePath(stateDir: String) -> String { "\(stateDir)/processes.json" }
    var strategy: Strategy { rendered.strategy }

    public func loadState() -> LocalState { LocalState.load(statePath) ?? LocalState(strategy: strategy.name) }

    // MARK: steps

    /// Runs the step the plan carries (its typed action; the strategy is not looked up again).
    public func execute(_ step: PlannedStep, context: StepContext) async throws {
        guard let action = step.action else { throw LocalError("the plan carries no action for `\(step.name)`") }
        switch action {
        case .cluster:
            try await runtime.ensure(progress: context.report)
            guard FileManager.default.fileExists(atPath: runtime.nodeScript) else {
                throw LocalError("the node runner \(runtime.nodeScript) is missing (set SLIMCTL_HOME to the slimctl folder that holds runtime/)")
            }
            var state = loadState()
            let layout = layoutFingerprint
            if state.nodes.isEmpty || state.layout != layout {
                if !state.nodes.isEmpty {
                    context.report("the strategy's node layout changed: simulated nodes made anew (nodes added or changed with `slimctl local-node` are gone)")
                }
                state.nodes = LocalLayout.nodes(strategy.cluster).map(SimNodes.simNode)
                state.layout = layout
            } else {
                context.report("simulated nodes kept as they are (`slimctl local-node` changes them; `slimctl delete` starts over)")
            }
            try state.save(statePath)
            context.report(
                "simulated nodes: "
                    + state.nodes.map { n in
                        let marks = n.taints + ((n.unschedulable ?? false) ? ["cordoned"] : []) + (n.ready ? [] : ["NotReady"])
                        return marks.isEmpty ? n.name : "\(n.name) [\(marks.joined(separator: ","))]"
                    }.joined(separator: ", "))
        case .helm(let rel):
            guard let r = step.release else { throw LocalError("the plan carries no rendered values for `\(step.name)`") }
            if let slim = LocalLayout.slimRelease(r), slim.daemonSet {
                try await reconcileDaemonSet(r, slim, context: context)
            } else if let slim = LocalLayout.slimRelease(r) {
                try await startSlim(r, slim, context: context)
            } else if rel.chart.ref.hasSuffix("slim-control-plane") {
                context.report("not run locally: the SLIM controller (\(rel.release)); node configs drop their controller clients")
            } else {
                context.report("not run locally: \(rel.release) (\(rel.chart.ref)); SPIRE TLS becomes insecure transport on this target")
            }
        case .manifests:
            guard let m = step.manifests else { throw LocalError("the plan carries no rendered manifests for `\(step.name)`") }
            try await finishStart(try spawnApps(m, context: context), context: context)
        }
    }

    /// The simulated nodes as placement sees them: the ones in the state (as `slimctl
    /// local-node` left them), else the strategy's layout; with the node lifecycle taints.
    public func simNodes(_ state: LocalState) -> [NodeInfo] {
        currentNodes(state).map(SimNodes.nodeInfo)
    }

    /// The nodes in the state, or the strategy's layout before the cluster step made them.
    public func currentNodes(_ state: LocalState) -> [LocalState.SimNode] {
        state.nodes.isEmpty || state.layout.map({ $0 != layoutFingerprint }) == true
            ? LocalLayout.nodes(strategy.cluster).map(SimNodes.simNode) : state.nodes
    }

    var layoutFingerprint: String { SimNodes.fingerprint(LocalLayout.nodes(strategy.cluster).map(SimNodes.simNode)) }

    /// Puts the node set into the input hash of each SLIM DaemonSet step, so that a deploy after
    /// `slimctl local-node add|remove|label|taint|cordon` reconciles instead of skipping the step.
    public func annotateNodes(_ plan: inout Plan) {
        let nodes = SimNodes.fingerprint(currentNodes(loadState()))
        for i in plan.steps.indices {
            guard let r = rendered.release(forStep: plan.steps[i].name), LocalLayout.slimRelease(r)?.daemonSet == true else { continue }
            plan.steps[i].inputsHash = Hash.fnv1a(plan.steps[i].inputsHash + "|nodes " + nodes)
            plan.steps[i].inputs.append(StepInput(kind: "simulated nodes", hash: Hash.fnv1a(nodes)))
        }
    }

    /// Changes the simulated nodes (the caller holds the deployment lock). Before the first
    /// deploy the strategy's layout is the starting point.
    public func editNodes(_ edit: (inout [LocalState.SimNode]) throws -> [String]) throws -> [String] {
        var state = loadState()
        var nodes = currentNodes(state)
        let said = try edit(&nodes)
        state.nodes = nodes
        state.layout = layoutFingerprint
        try state.save(statePath)
        return said
    }

    func startSlim(_ r: RenderedRelease, _ slim: LocalLayout.SlimRelease, context: StepContext) async throws {
        // The venv follows the SLIM release: a generation switch needs another bindings version.
        try await runtime.ensure(progress: context.report)
        var state = loadState()
        Supervisor.stop(state.processes.filter { $0.component == "slim" }.map(\.pid))
        // SLIM nodes an interrupted deploy started but never recorded.
        let orphans = Orphans.stop(stateDir: stateDir, components: ["slim"], known: [])
        if !orphans.isEmpty { context.report("stopped \(orphans.count) SLIM node process(es) an interrupted deploy left unrecorded") }
        state.processes.removeAll { $0.component == "slim" }
        let nodes = simNodes(state)
        let decisions = Placement.daemonSet(nodes: nodes, pod: LocalLayout.slimPlacement(values: r.values))
        let eligible = decisions.filter(\.shouldRun).map(\.node)
        for d in decisions where !d.shouldRun { context.report("no SLIM node on \(d.reasons.joined(separator: "; "))") }
        guard !eligible.isEmpty else { throw LocalError("no simulated node is eligible for SLIM: " + decisions.flatMap(\.reasons).joined(separator: "; ")) }
        if let b = bindings { context.report(b.summary) }
        let owner = "\(slim.workload.rawValue)/\(slim.fullname)"
        let instances = slim.podNames(nodes: eligible).map { (name: $0.pod, node: $0.node, owner: owner) }
        guard !instances.isEmpty else { throw LocalError("\(owner) has 0 replicas: no SLIM node to start") }
        var attempt = 0
        var used: Set<Int> = []
        while true {
            attempt += 1
            let ports =
                try portBase.map { base in (0..<(instances.count * 2)).map { base + $0 } }
                ?? Ports.free(count: instances.count * 2, avoiding: used)
            used.formUnion(ports)
            var procs: [LocalState.Proc] = []
            var failure: String?
            var portInUse = false
            let pods = instances.enumerated().map { i, inst in
                NodeConfigBuilder.Pod(
                    name: inst.name, node: inst.node, env: slim.environment(pod: inst.name, node: inst.node),
                    dataPort: ports[i * 2], controlPort: ports[i * 2 + 1])
            }
            let ids = pods.map { NodeConfigBuilder.nodeID(values: r.values, pod: $0, pods: pods.count) }
            for (i, pod) in pods.enumerated() {
                let peers = pods.indices.filter { $0 != i }.map { NodeConfigBuilder.Peer(nodeID: ids[$0], port: pods[$0].dataPort) }
                let cfg = try NodeConfigBuilder.build(
                    values: r.values, slim: slim, pod: pod, pods: pods.count, peers: peers,
                    staticPeers: bindings?.staticPeers ?? true)
                if i == 0 { for n in cfg.notices { context.report(n) } }
                let cfgPath = "\(stateDir)/config/\(pod.name).yaml"
                try AtomicFile.write(NodeConfigBuilder.fileText(cfg.config, pod: pod, release: r.release), to: cfgPath, mode: 0o600)
                let log = "\(stateDir)/logs/\(pod.name).log"
                let started = try Supervisor.start(
                    [runtime.python, runtime.nodeScript, cfgPath],
                    env: pod.env.merging(Orphans.marks(stateDir: stateDir, component: "slim")) { $1 }, log: log)
                procs.append(
                    .init(
                        name: pod.name, component: "slim", workload: owner, node: pod.node, pid: started.pid,
                        argv: [runtime.python, runtime.nodeScript, cfgPath], logPath: log, configPath: cfgPath,
                        port: pod.dataPort, startedAt: Date(), runsToCompletion: false))
            }
            state.bindings = bindings.map {
                .init(version: $0.bindings, slimRelease: $0.slimRelease, match: $0.match, note: $0.note, meshed: $0.staticPeers && pods.count > 1)
            }
            state.processes += procs
            try state.save(statePath)
            (failure, portInUse) = await waitUntilReady(procs) { _ in }
            guard let failure else {
                Supervisor.release(procs.map(\.pid))
                context.report("\(procs.count) SLIM node(s) ready: " + procs.map { "\($0.name)@\($0.node) 127.0.0.1:\($0.port ?? 0)" }.joined(separator: ", "))
                return
            }
            Supervisor.stop(procs.map(\.pid))
            state.processes.removeAll { $0.component == "slim" }
            try state.save(statePath)
            if portInUse && portBase == nil && attempt < 3 {
                context.report("a loopback port was taken meanwhile; retrying with other ports (\(failure))")
                continue
            }
            throw LocalError(failure)
        }
    }

    /// The SLIM Services as they exist now: the chart's own and those a manifests step applied.
    func slimServices(_ state: LocalState) -> ServiceMap {
        var map = ServiceMap()
        for r in rendered.releases {
            guard let s = LocalLayout.slimRelease(r) else { continue }
            for svc in s.chartServices { map.register(name: svc.name, namespace: s.namespace, routing: svc.routing, origin: "the slim chart") }
        }
        for a in state.services ?? [] { map.register(name: a.name, namespace: a.namespace, routing: a.routing, origin: "step \(a.step)") }
        map.meshed = state.bindings?.meshed ?? bindings?.staticPeers ?? true
        // Round robin continues across invocations: the sender lands on another replica than the receiver.
        map.next = state.processes.filter { $0.component != "slim" }.count
        for p in state.processes where p.component == "slim" {
            if let port = p.port {
                if map.byNode[p.node] == nil { map.byNode[p.node] = port }
                map.all.append(port)
            }
        }
        return map
    }

    /// A manifests step's Services that select SLIM pods (such as the strategy's `slim-any`):
    /// recorded so that apps' addresses naming them resolve, with their traffic policy.
    func applyServices(_ objects: [Value], step: String, namespace: String, state: inout LocalState, context: StepContext) {
        let slims = rendered.releases.compactMap(LocalLayout.slimRelease)
        for o in objects where o["kind"]?.stringValue == "Service" {
            let name = o["metadata"]?["name"]?.stringValue ?? "?"
            let ns = o["metadata"]?["namespace"]?.stringValue ?? namespace
            let selector = (o["spec"]?["selector"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
            guard !selector.isEmpty, let slim = slims.first(where: { s in s.namespace == ns && selector.allSatisfy { s.selectorLabels[$0.key] == $0.value } })
            else {
                context.report("not run locally: Service \(ns)/\(name) (it selects no SLIM pods)")
                continue
            }
            let routing = ServiceMap.Routing(internalTrafficPolicy: o["spec"]?["internalTrafficPolicy"]?.stringValue)
            var list = state.services ?? []
            list.removeAll { $0.name == name && $0.namespace == ns }
            list.append(.init(name: name, namespace: ns, routing: routing, step: step))
            state.services = list
            context.report(
                "Service \(ns)/\(name) → " + (routing == .nodeLocal ? "the SLIM node on the caller's node" : "any SLIM node")
                    + " of \(slim.workload.rawValue)/\(slim.fullname) (internalTrafficPolicy \(routing.policy))")
        }
    }

    /// Starts the workloads of a manifests step: a DaemonSet once per eligible node, a Pod or
    /// Deployment replica once. Long-running apps count as up when they survived their start-up
    /// (receivers: once they listen); see `watchStartUp`.
    public func startApps(step: String, context: StepContext) async throws {
        try await finishStart(try spawnApps(step: step, context: context), context: context)
    }

    /// A manifests step's apps once spawned. Held ones wait, imported, until `go`.
    public struct SpawnedApps: Sendable {
        public var procs: [LocalState.Proc]
        var gates: [Int32]
        var app: TestApp?
    }

    /// Lets held apps run. A held app that is already gone is left to the caller's checks.
    public func go(_ apps: SpawnedApps) {
        for g in apps.gates { Supervisor.go(g) }
    }

    /// Held apps that must not run (the receivers failed): they leave without starting, and
    /// are stopped and forgotten.
    public func abandon(_ apps: SpawnedApps) {
        for g in apps.gates { Supervisor.abandon(g) }
        Supervisor.stop(apps.procs.map(\.pid))
        Supervisor.release(apps.procs.map(\.pid))
        var state = loadState()
        let pids = Set(apps.procs.map(\.pid))
        state.processes.removeAll { pids.contains($0.pid) }
        try? state.save(statePath)
    }

    /// Waits for spawned (and, if held, released) apps to survive their start-up, then hands
    /// them over: they are meant to outlive this command.
    public func finishStart(_ apps: SpawnedApps, context: StepContext) async throws {
        try await Self.watchStartUp(
            apps.procs.filter { !$0.runsToCompletion },
            ready: apps.app == .receiver ? { MessageLog.parseReceiver($0).listening } : nil)
        Supervisor.release(apps.procs.map(\.pid))
        guard !apps.procs.isEmpty else { return }
        context.report("started " + apps.procs.map { "\($0.name)@\($0.node)" }.joined(separator: ", "))
    }

    /// Spawns the apps of a manifests step and records them. With `held`, each runs through
    /// `runtime/held_start.py`: Python and the app's imports start now, the app itself only on
    /// `go` (a sender started together with the receivers, released once they listen).
    public func spawnApps(step: String, context: StepContext, held: Bool = false) throws -> SpawnedApps {
        guard let m = rendered.manifests(forStep: step) else { throw LocalError("no manifests for step \(step)") }
        return try spawnApps(m, context: context, held: held)
    }

    /// Spawns the apps of rendered manifests (a planned step's, or a test's) and records them.
    public func spawnApps(_ m: RenderedManifests, context: StepContext, held: Bool = false) throws -> SpawnedApps {
        let step = m.step
        if held && !FileManager.default.fileExists(atPath: runtime.heldScript) {
            throw LocalError("the app launcher \(runtime.heldScript) is missing (set SLIMCTL_HOME to the slimctl folder that holds runtime/)")
        }
        var state = loadState()
        let component = m.app?.rawValue ?? step
        Supervisor.stop(state.processes.filter { $0.component == component }.map(\.pid))
        state.processes.removeAll { $0.component == component }
        guard state.processes.contains(where: { $0.component == "slim" }) else {
            throw LocalError("no SLIM node is running locally; run `slimctl deploy \(strategy.name)` first")
        }
        // An app attached to a dead SLIM node would only wait out its timeout: name the node now.
        let dead = state.processes.filter { $0.component == "slim" && !Spawn.isAlive($0.pid) }
        if !dead.isEmpty {
            throw LocalError(
                "SLIM node " + dead.map { "\($0.name) on \($0.node)" }.joined(separator: ", ")
                    + " is not running (its log: \(dead[0].logPath)); run `slimctl deploy \(strategy.name)` to start it again")
        }
        applyServices(m.objects, step: step, namespace: m.namespace, state: &state, context: context)
        let nodes = simNodes(state)
        var services = slimServices(state)
        let all = rendered.manifests.flatMap(\.objects)
        var started: [LocalState.Proc] = []
        var gates: [Int32] = []
        var noticed = false
        for o in m.objects {
            let kind = o["kind"]?.stringValue ?? ""
            let name = o["metadata"]?["name"]?.stringValue ?? "?"
            let ns = o["metadata"]?["namespace"]?.stringValue ?? m.namespace
            let podSpec: Value?
            switch kind {
            case "Pod": podSpec = o["spec"]
            case "DaemonSet", "Deployment", "StatefulSet", "Job": podSpec = o["spec"]?["template"]?["spec"]
            default: continue
            }
            guard let spec = podSpec else { throw LocalError("\(kind) \(name): no pod spec") }
            let decisions = Placement.daemonSet(nodes: nodes, pod: LocalLayout.placementSpec(spec))
            let eligible = decisions.filter(\.shouldRun).map(\.node)
            guard !eligible.isEmpty else { throw LocalError("\(kind) \(name): no node accepts it: " + decisions.flatMap(\.reasons).joined(separator: "; ")) }
            let placements: [(String, String)]
            if kind == "DaemonSet" {
                placements = eligible.map { (LocalLayout.podName(name, node: $0), $0) }
            } else {
                // The scheduler spreads; pick the node with the fewest apps so sender and receiver differ.
                let load = Dictionary(grouping: state.processes.filter { $0.component != "slim" }, by: \.node).mapValues(\.count)
                let node = eligible.min { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) } ?? eligible[0]
                placements = [(kind == "Pod" ? name : LocalLayout.podName(name, node: node), node)]
            }
            for (pod, node) in placements {
                let cmd = try AppCommandBuilder.build(podSpec: spec, namespace: ns, node: node, objects: all, binDir: runtime.binDir, services: &services)
                if !noticed { for n in cmd.notices { context.report(rendered.redactor.redact(n)) }; noticed = true }
                let log = "\(stateDir)/logs/\(pod).log"
                var env = cmd.env.merging(Orphans.marks(stateDir: stateDir, component: component)) { $1 }
                env["PATH"] = runtime.binDir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
                let argv = try launch(cmd.argv, pod: pod, held: held)
                let s = try Supervisor.start(argv, env: env, log: log, held: held)
                if let g = s.gate { gates.append(g) }
                started.append(
                    .init(
                        name: pod, component: component, workload: "\(kind)/\(name)", node: node, pid: s.pid,
                        argv: argv.map { rendered.redactor.redact($0) }, logPath: log, configPath: nil, port: nil,
                        startedAt: Date(), runsToCompletion: kind == "Pod" && (spec["restartPolicy"]?.stringValue ?? "Always") != "Always" || kind == "Job"))
            }
        }
        state.processes += started
        try state.save(statePath)
        return SpawnedApps(procs: started, gates: gates, app: m.app)
    }

    /// The argv an app starts with. A secret value in its arguments (the shared secret after
    /// `$(VAR)` expansion) is swapped for a token and handed over in a 0600 file the launcher
    /// reads and removes, so no local user sees it in `/proc/PID/cmdline`.
    func launch(_ argv: [String], pod: String, held: Bool) throws -> [String] {
        var args = argv
        var tokens: [String: String] = [:]
        for (name, value) in rendered.secrets.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            let token = "@@slimctl-secret:\(name)@@"
            for i in args.indices where args[i].contains(value) {
                args[i] = args[i].replacingOccurrences(of: value, with: token)
                tokens[token] = value
            }
        }
        guard held || !tokens.isEmpty else { return argv }
        guard FileManager.default.fileExists(atPath: runtime.heldScript) else {
            throw LocalError("the app launcher \(runtime.heldScript) is missing (set SLIMCTL_HOME to the slimctl folder that holds runtime/)")
        }
        var launcher = [runtime.python, runtime.heldScript] + (held ? [] : ["--no-hold"]) + ["--exit-file", AppExit.path(log: "\(stateDir)/logs/\(pod).log")]
        try? FileManager.default.removeItem(atPath: AppExit.path(log: "\(stateDir)/logs/\(pod).log"))
        if !tokens.isEmpty {
            let dir = "\(stateDir)/secrets"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let file = "\(dir)/\(pod).json"
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: tokens), to: file, mode: 0o600)
            launcher += ["--secrets", file]
        }
        return launcher + args
    }

    /// How long a long-running app without a readiness line must stay up to count as started.
    static let startUpWindow: Duration = .milliseconds(300)
    /// Bound on waiting for an app's readiness line (real receivers print it within 0.4 s);
    /// one still silent then is left to the test's own listening check, which names it.
    public static let readyTimeout: Duration = .seconds(30)

    /// Long-running apps must survive their start-up (a bad flag ends them at once). They are
    /// watched together, not one after another. With `ready` (receivers: the "waiting for new
    /// session" line, subscribed so a sender can reach them) an app is up once its log says so,
    /// and exiting before that fails the step, however long Python took to get there on a busy
    /// machine; without it an app is up once it has stayed alive for `startUpWindow`.
    static func watchStartUp(_ procs: [LocalState.Proc], ready: ((String) -> Bool)?) async throws {
        var pending = procs.map { (proc: $0, log: LogTail(path: $0.logPath)) }
        let limit = ContinuousClock.now + (ready == nil ? startUpWindow : readyTimeout)
        while !pending.isEmpty {
            var left: [(proc: LocalState.Proc, log: LogTail)] = []
            for var p in pending {
                if let ready, p.log.poll(), ready(p.log.text) { continue }
                if !Spawn.isAlive(p.proc.pid) {
                    if let ready, p.log.poll(), ready(p.log.text) { continue }
                    throw LocalError("\(p.proc.name) on \(p.proc.node) exited at start: " + Supervisor.tail(p.proc.logPath, lines: 3).joined(separator: " | "))
                }
                left.append(p)
            }
            pending = left
            if ContinuousClock.now >= limit { break }
            try await Task.sleep(for: Supervisor.pollInterval)
        }
    }

    /// A SLIM step is satisfied only while all of its nodes still run.
    public func stillSatisfied(_ step: PlannedStep) -> Bool {
        guard case .helm = step.action, let r = rendered.release(forStep: step.name), LocalLayout.slimRelease(r) != nil else { return true }
        let state = loadState()
        let slim = state.processes(component: "slim")
        if let ds = LocalLayout.slimRelease(r), ds.daemonSet {
            return !slim.isEmpty && ((try? nextWave(r, ds, state: state).isEmpty) ?? false)
        }
        return !slim.isEmpty && slim.allSatisfy { Spawn.isAlive($0.pid) }
    }

    // MARK: read side

    /// The processes as pods, for verify, status and logs.
    public func observedPods() -> [ObservedPod] {
        let state = loadState()
        return state.processes.map { p in
            let alive = Spawn.isAlive(p.pid)
            let age = Date().timeIntervalSince(p.startedAt)
            var reason: String?
            var phase = "Running"
            let exit = alive ? nil : AppExit.recorded(p.logPath)
            if !alive {
                if let exit, exit != 0 {
                    phase = "Failed"
                    reason = "Error (exit code \(exit))"
                } else {
                    phase = p.runsToCompletion ? "Succeeded" : "Failed"
                    reason = p.runsToCompletion ? "Completed" : "process \(p.pid) exited (crashed or killed)"
                }
            }
            if alive && p.ready == false { reason = "starting (not ready yet)" }
            return ObservedPod(
                name: p.name, owner: p.workload, node: p.node, phase: phase,
                ready: alive && !p.runsToCompletion && (p.ready ?? true) || (!alive && p.runsToCompletion && (exit ?? 0) == 0),
                restarts: 0, reason: reason, ageSeconds: age, lastLogLines: alive ? [] : Supervisor.tail(p.logPath, lines: 3))
        }
    }

    public func verify() -> [CheckResult] {
        let state = loadState()
        let pods = observedPods()
        let nodes = simNodes(state)
        return strategy.verify.map { rule in
            switch rule {
            case .daemonSet(let name, _, _):
                if let r = rendered.releases.first(where: { LocalLayout.slimRelease($0)?.fullname == name }) {
                    var result = WorkloadChecks.daemonSet(name: name, nodes: nodes, spec: LocalLayout.slimPlacement(values: r.values), pods: pods)
                    // As on a cluster: every pod must run the current revision (the deployed values and image).
                    let owner = "DaemonSet/\(name)"
                    let revision = state.revisions?[owner] ?? ""
                    for p in state.processes where p.component == "slim" && p.workload == owner && !revision.isEmpty && p.revision != revision {
                        result.problems.append("\(p.name) on \(p.node): outdated: revision \(p.revision ?? "unknown"), current revision \(revision)")
                    }
                    if !result.problems.isEmpty { result.outcome = .fail }
                    return result
                }
                return WorkloadChecks.skipped("DaemonSet \(name)", because: "not run on the local target (only SLIM nodes and test apps are)")
            case .statefulSet(let name, _, let replicas, _):
                if rendered.releases.contains(where: { LocalLayout.slimRelease($0)?.fullname == name }) {
                    return WorkloadChecks.statefulSet(name: name, replicas: replicas, pods: pods)
                }
                return WorkloadChecks.skipped("StatefulSet \(name)", because: "not run on the local target (only SLIM nodes and test apps are)")
            case .deployment(let name, _, _):
                return WorkloadChecks.skipped("Deployment \(name)", because: "the SLIM controller does not run on the local target")
            case .service(let name, let namespace, let policy, _):
                return serviceCheck(name: name, namespace: namespace, policy: policy, state: state)
            }
        }
    }

    /// A Service rule: the Service must exist locally (rendered by the SLIM chart, or applied by
    /// a manifests step that ran) and route as its `internalTrafficPolicy` says.
    func serviceCheck(name: String, namespace: String, policy: String?, state: LocalState) -> CheckResult {
        let rule = "Service \(name)" + (policy.map { " (internalTrafficPolicy \($0))" } ?? "")
        guard let entry = slimServices(state).entry(name: name, namespace: namespace) else {
            let definedBy = rendered.manifests.first { m in
                m.objects.contains { $0["kind"]?.stringValue == "Service" && $0["metadata"]?["name"]?.stringValue == name }
            }
            if let m = definedBy {
                return CheckResult(
                    rule: rule, outcome: .fail, rows: [], problems: ["\(name) is not applied yet: step \(m.step) has not run (slimctl deploy)"], notes: [])
            }
            if let slim = rendered.releases.compactMap(LocalLayout.slimRelease).first(where: { $0.namespace == namespace && name == $0.fullname + "-local" }) {
                return CheckResult(
                    rule: rule, outcome: .fail, rows: [],
                    problems: ["the slim chart (\(slim.shape == .v1 ? "1.x" : "2.x")) does not render \(name) for a \(slim.workload.rawValue)"], notes: [])
            }
            return WorkloadChecks.skipped(rule, because: "not a SLIM Service")
        }
        let wanted = policy.map { ServiceMap.Routing(internalTrafficPolicy: $0) } ?? entry.routing
        let ok = wanted == entry.routing
        let how = entry.routing == .nodeLocal ? "to the SLIM node on the caller's node" : "to any SLIM node"
        return CheckResult(
            rule: rule, outcome: ok ? .pass : .fail, rows: [],
            problems: ok ? [] : ["\(name) (\(entry.origin)) has internalTrafficPolicy \(entry.routing.policy), not \(policy ?? "")"],
            notes: ["local target routes \(name) (\(entry.origin)) \(how)"])
    }

    /// Stops everything and forgets it. Safe to run twice.
    public func delete(components: Set<String>? = nil) -> [String] {
        var state = loadState()
        let stopping = state.processes.filter { components?.contains($0.component) ?? true }
        Supervisor.stop(stopping.map(\.pid))
        var stopped = stopping.map(\.name)
        // Processes whose record was lost (a deploy ended between start and record) go too.
        let orphans = Orphans.stop(
            stateDir: stateDir, components: components, known: Set(state.processes.filter { !(components?.contains($0.component) ?? true) }.map(\.pid)))
        stopped += orphans.map { "unrecorded process \($0)" }
        state.processes.removeAll { components?.contains($0.component) ?? true }
        if components == nil {
            try? FileManager.default.removeItem(atPath: statePath)
        } else {
            try? state.save(statePath)
        }
        return stopped
    }
}

extension LocalTarget {
    /// Waits for each new SLIM node's ready line, in order, stopping at the first that exits or
    /// times out: the failure named (a port in use said as such), and whether a port was the cause.
    func waitUntilReady(_ procs: [LocalState.Proc], onReady: (LocalState.Proc) -> Void) async -> (failure: String?, portInUse: Bool) {
        for p in procs {
            switch await Supervisor.waitFor(marker: "slimctl-node ready", pid: p.pid, log: p.logPath, timeout: .seconds(30)) {
            case .found:
                onReady(p)
            case .exited:
                let lines = Supervisor.tail(p.logPath, lines: 3)
                if lines.contains(where: { $0.contains("address in use") }) {
                    return (
                        "SLIM node \(p.name) on \(p.node) cannot listen on 127.0.0.1:\(p.port ?? 0): the port is in use by another process"
                            + (portBase != nil ? "; free it or choose another --port-base" : ""), true
                    )
                }
                return ("SLIM node \(p.name) on \(p.node) exited: " + lines.joined(separator: " | "), false)
            case .timedOut:
                return ("SLIM node \(p.name) on \(p.node) was not ready within 30s; log \(p.logPath)", false)
            }
        }
        return (nil, false)
    }
}
