import Engine
import Foundation
import Placement
import Plan
import Tools
import YAML

/// The SLIM DaemonSet on the local target, reconciled as the DaemonSet controller would: wave
/// by wave (`DaemonSetRollout.next`), each new SLIM node waited for until ready before the next
/// decision, every step reported. Untouched nodes keep their processes.
extension LocalTarget {
    /// The revision of the SLIM pod template: what a pod would differ in after a values or
    /// image change (the release's rendered values, and the bindings that stand for the image).
    func slimRevision(_ r: RenderedRelease) -> String {
        String(Hash.fnv1a(r.text + "|" + (bindings?.bindings ?? runtime.version)).prefix(10))
    }

    /// The SLIM DaemonSet's pods as the rollout sees them.
    func rolloutPods(_ state: LocalState, owner: String) -> [DaemonSetRollout.Pod] {
        state.processes.filter { $0.component == "slim" && $0.workload == owner }.map {
            let alive = Spawn.isAlive($0.pid)
            return DaemonSetRollout.Pod(name: $0.name, node: $0.node, revision: $0.revision, alive: alive, ready: alive && ($0.ready ?? true))
        }
    }

    /// The next wave for the DaemonSet of `r` on the nodes as they are now.
    func nextWave(_ r: RenderedRelease, _ slim: LocalLayout.SlimRelease, state: LocalState) throws -> DaemonSetRollout.Wave {
        let decisions = Placement.daemonSet(nodes: simNodes(state), pod: LocalLayout.slimPlacement(values: r.values))
        return DaemonSetRollout.next(
            decisions: decisions, pods: rolloutPods(state, owner: "\(slim.workload.rawValue)/\(slim.fullname)"),
            revision: slimRevision(r), strategy: try DaemonSetRollout.chartStrategy(values: r.values))
    }

    func reconcileDaemonSet(_ r: RenderedRelease, _ slim: LocalLayout.SlimRelease, context: StepContext) async throws {
        try await runtime.ensure(progress: context.report)
        let owner = "\(slim.workload.rawValue)/\(slim.fullname)"
        var state = try stopOthers(owner: owner, context: context)

        let strategy = try DaemonSetRollout.chartStrategy(values: r.values)
        let revision = slimRevision(r)
        // The DaemonSet's template is now this revision (helm upgrade), whatever the pods run.
        var revisions = state.revisions ?? [:]
        revisions[owner] = revision
        state.revisions = revisions
        try state.save(statePath)
        let decisions = Placement.daemonSet(nodes: simNodes(state), pod: LocalLayout.slimPlacement(values: r.values))
        let hosting = Set(state.processes.filter { $0.component == "slim" && $0.workload == owner }.map(\.node))
        for d in decisions where !d.shouldRun {
            context.report(
                "no SLIM node on \(d.reasons.joined(separator: "; "))"
                    + (d.shouldContinueRunning && hosting.contains(d.node) ? " (the running one is kept: NoSchedule does not evict)" : ""))
        }
        for d in decisions where d.shouldRun { for w in d.warnings { context.report("\(d.node): \(w)") } }
        guard decisions.contains(where: \.shouldRun) else {
            throw LocalError("no simulated node is eligible for SLIM: " + decisions.flatMap(\.reasons).joined(separator: "; "))
        }
        if let b = bindings { context.report(b.summary) }
        let outdated = rolloutPods(state, owner: owner).filter { $0.revision != revision }.count
        if outdated > 0 && !state.processes(component: "slim").isEmpty {
            context.report(
                "\(owner): revision \(revision), \(outdated) pod(s) on an older one; updateStrategy \(strategy)"
                    + (strategy == .onDelete ? ": nothing is replaced until its process is removed" : ""))
        }
        var noticed = false
        var waves = 0
        // The port each node's last stopped pod had: its replacement takes it, so the other
        // nodes' static peers still reach that node.
        var freed: [String: Int] = [:]
        // Bounded: each wave deletes or starts something; a loop would mean a bug, not a slow machine.
        let limit = 4 * (decisions.count + state.processes.count) + 8
        while true {
            state = loadState()
            let wave = try nextWave(r, slim, state: state)
            if wave.isEmpty { break }
            waves += 1
            guard waves <= limit else { throw LocalError("\(owner): the rollout did not settle after \(limit) rounds; run deploy again") }
            if !wave.deletes.isEmpty {
                let gone = Set(wave.deletes.map(\.pod))
                let procs = state.processes.filter { $0.component == "slim" && gone.contains($0.name) }
                for d in wave.deletes { context.report("stopping \(d.pod) on \(d.node): \(d.reason)") }
                Supervisor.stop(procs.map(\.pid))
                for p in procs { if let port = p.port { freed[p.node] = port } }
                state.processes.removeAll { $0.component == "slim" && gone.contains($0.name) }
                try state.save(statePath)
            }
            if !wave.creates.isEmpty {
                for c in wave.creates { context.report("starting a SLIM node on \(c.node): \(c.reason)") }
                try await startDaemonPods(wave.creates.map(\.node), r, slim, revision: revision, freedPorts: freed, noticed: &noticed, context: context)
            }
        }
        try recordSettled(owner: owner, revision: revision, waves: waves, context: context)
    }

    /// Stops SLIM nodes that are not this workload's: another workload's (a generation switch
    /// from a StatefulSet) and those an interrupted deploy started but never recorded.
    private func stopOthers(owner: String, context: StepContext) throws -> LocalState {
        var state = loadState()
        // Another workload's SLIM nodes (a generation switch from a StatefulSet) go first.
        let foreign = state.processes.filter { $0.component == "slim" && $0.workload != owner }
        if !foreign.isEmpty {
            Supervisor.stop(foreign.map(\.pid))
            state.processes.removeAll { p in foreign.contains { $0.pid == p.pid } }
            try state.save(statePath)
            context.report("stopped " + foreign.map { "\($0.name)@\($0.node)" }.joined(separator: ", ") + " (\(foreign[0].workload), no longer deployed)")
        }
        // SLIM nodes an interrupted deploy started but never recorded.
        let orphans = Orphans.stop(stateDir: stateDir, components: ["slim"], known: Set(state.processes.map(\.pid)))
        if !orphans.isEmpty { context.report("stopped \(orphans.count) SLIM node process(es) an interrupted deploy left unrecorded") }
        return state
    }

    /// Records the bindings now that the rollout settled and says which nodes run and which
    /// keep an older revision (OnDelete).
    private func recordSettled(owner: String, revision: String, waves: Int, context: StepContext) throws {
        var state = loadState()
        let slims = state.processes.filter { $0.component == "slim" && $0.workload == owner }
        state.bindings = bindings.map {
            .init(version: $0.bindings, slimRelease: $0.slimRelease, match: $0.match, note: $0.note, meshed: $0.staticPeers && slims.count > 1)
        }
        try state.save(statePath)
        let behind = slims.filter { $0.revision != revision }
        context.report(
            "\(slims.count) SLIM node(s) ready: " + slims.map { "\($0.name)@\($0.node) 127.0.0.1:\($0.port ?? 0)" }.joined(separator: ", ")
                + (waves == 0 ? " (unchanged)" : ""))
        if !behind.isEmpty {
            context.report(
                "OnDelete: " + behind.map { "\($0.name)@\($0.node)" }.joined(separator: ", ")
                    + " keep the older revision until their process is removed (`slimctl local-node` or kill it), then deploy again")
        }
    }

    /// Starts one SLIM pod on each of `nodes`, recorded before waiting, then waits until each is
    /// ready. A node's pod takes the data port its predecessor had (`freedPorts`) when that is
    /// free again, so the other nodes' static peers still reach it; a taken port (free ports
    /// only) is retried with others.
    func startDaemonPods(
        _ nodes: [String], _ r: RenderedRelease, _ slim: LocalLayout.SlimRelease, revision: String,
        freedPorts: [String: Int], noticed: inout Bool, context: StepContext
    ) async throws {
        let owner = "\(slim.workload.rawValue)/\(slim.fullname)"
        var attempt = 0
        var avoid: Set<Int> = []
        while true {
            attempt += 1
            var state = loadState()
            let running = state.processes.filter { $0.component == "slim" }
            var used = Set(running.compactMap(\.port)).union(running.compactMap { $0.port.map { $0 + 1 } })
            used.formUnion(avoid)
            var pods: [NodeConfigBuilder.Pod] = []
            for node in nodes {
                let name = LocalLayout.podName(slim.fullname, node: "\(node)/\(revision)")
                let (data, control) = try ports(for: node, freedPorts: freedPorts, used: used, firstAttempt: attempt == 1)
                used.formUnion([data, control])
                pods.append(.init(name: name, node: node, env: slim.environment(pod: name, node: node), dataPort: data, controlPort: control))
            }
            avoid.formUnion(pods.map(\.dataPort))
            // Everyone the new pods should reach: the SLIM nodes running now, and each other.
            let others = running.filter { $0.workload == owner }
            let total = others.count + pods.count
            let ids = pods.map { NodeConfigBuilder.nodeID(values: r.values, pod: $0, pods: total) }
            var peersAll = others.compactMap { p -> NodeConfigBuilder.Peer? in
                guard let port = p.port else { return nil }
                let env = slim.environment(pod: p.name, node: p.node)
                return .init(
                    nodeID: NodeConfigBuilder.nodeID(
                        values: r.values, pod: .init(name: p.name, node: p.node, env: env, dataPort: port, controlPort: port + 1), pods: total), port: port)
            }
            peersAll += zip(ids, pods).map { .init(nodeID: $0.0, port: $0.1.dataPort) }
            var procs: [LocalState.Proc] = []
            for (i, pod) in pods.enumerated() {
                let peers = peersAll.filter { $0.port != pod.dataPort && $0.nodeID != ids[i] }
                let cfg = try NodeConfigBuilder.build(
                    values: r.values, slim: slim, pod: pod, pods: total, peers: peers,
                    staticPeers: bindings?.staticPeers ?? true)
                if !noticed { for n in cfg.notices { context.report(n) }; noticed = true }
                let cfgPath = "\(stateDir)/config/\(pod.name).yaml"
                try AtomicFile.write(NodeConfigBuilder.fileText(cfg.config, pod: pod, release: r.release), to: cfgPath, mode: 0o600)
                let log = "\(stateDir)/logs/\(pod.name).log"
                let argv = [runtime.python, runtime.nodeScript, cfgPath]
                let started = try Supervisor.start(argv, env: pod.env.merging(Orphans.marks(stateDir: stateDir, component: "slim")) { $1 }, log: log)
                procs.append(
                    .init(
                        name: pod.name, component: "slim", workload: owner, node: pod.node, pid: started.pid, argv: argv,
                        logPath: log, configPath: cfgPath, port: pod.dataPort, startedAt: Date(), runsToCompletion: false,
                        revision: revision, ready: false))
            }
            state.processes += procs
            try state.save(statePath)
            var failure: String?
            var portInUse = false
            (failure, portInUse) = await waitUntilReady(procs) { p in
                context.report("\(p.name) on \(p.node) ready (127.0.0.1:\(p.port ?? 0), revision \(revision))")
            }
            state = loadState()
            let mine = Set(procs.map(\.pid))
            guard let failure else {
                Supervisor.release(procs.map(\.pid))
                for i in state.processes.indices where mine.contains(state.processes[i].pid) { state.processes[i].ready = true }
                try state.save(statePath)
                return
            }
            Supervisor.stop(procs.map(\.pid))
            state.processes.removeAll { mine.contains($0.pid) }
            try state.save(statePath)
            if portInUse && portBase == nil && attempt < 3 {
                context.report("a loopback port was taken meanwhile; retrying with other ports (\(failure))")
                continue
            }
            throw LocalError(failure)
        }
    }

    /// The data and control ports of a new SLIM pod on `node`: with `--port-base`, node pairs
    /// base+2i and base+2i+1, lowest free pair first; otherwise the port the node's previous pod
    /// had (on the first attempt, when free), else two free ones.
    func ports(for node: String, freedPorts: [String: Int], used: Set<Int>, firstAttempt: Bool) throws -> (data: Int, control: Int) {
        if let base = portBase {
            let reuse = freedPorts[node].flatMap { p in (p - base) % 2 == 0 && !used.contains(p) && !used.contains(p + 1) ? p : nil }
            let data = reuse ?? stride(from: base, to: base + 2000, by: 2).first { !used.contains($0) && !used.contains($0 + 1) } ?? base
            return (data, data + 1)
        }
        if let p = freedPorts[node], firstAttempt, !used.contains(p), !Ports.accepts(p) {
            return (p, try Ports.free(count: 1, avoiding: used.union([p]))[0])
        }
        let pair = try Ports.free(count: 2, avoiding: used)
        return (pair[0], pair[1])
    }
}
