import Foundation
import Kube
import Placement
import Strategy
import YAML

/// Everything verify reads from the API: the nodes, and per namespace of the strategy's rules
/// the pods, workloads, Services and ControllerRevisions. Filled by a list and then kept current
/// by watch events, so one-shot verify, `--wait` and `--watch` judge the same picture.
public struct LiveState: Sendable {
    /// The kinds read per namespace (the nodes are cluster-wide).
    public static let namespacedKinds: [(apiVersion: String, kind: String)] = [
        ("v1", "Pod"), ("apps/v1", "DaemonSet"), ("apps/v1", "StatefulSet"), ("apps/v1", "Deployment"),
        ("v1", "Service"), ("apps/v1", "ControllerRevision")
    ]

    public var nodes: [String: Value] = [:]
    /// kind → "namespace/name" → object.
    public var objects: [String: [String: Value]] = [:]

    public init() {}

    public func object(_ kind: String, _ namespace: String, _ name: String) -> Value? { objects[kind]?["\(namespace)/\(name)"] }

    public func all(_ kind: String, namespace: String) -> [Value] {
        (objects[kind] ?? [:]).filter { $0.key.hasPrefix(namespace + "/") }.sorted { $0.key < $1.key }.map(\.value)
    }

    /// The previous value of the object the event is about, then applies the event.
    @discardableResult
    public mutating func apply(kind: String, namespace: String?, _ event: WatchEvent) -> [(old: Value?, new: Value?)] {
        func key(_ v: Value) -> String {
            let name = v.lookup(["metadata", "name"])?.stringValue ?? ""
            return kind == "Node" ? name : "\(v.lookup(["metadata", "namespace"])?.stringValue ?? namespace ?? "")/\(name)"
        }
        func set(_ k: String, _ v: Value?) -> Value? {
            if kind == "Node" {
                let old = nodes[k]; nodes[k] = v; return old
            }
            let old = objects[kind]?[k]; objects[kind, default: [:]][k] = v; return old
        }
        switch event {
        case .added(let full), .modified(let full):
            let v = LiveProjection.keep(kind: kind, full)
            return [(set(key(v), v), v)]
        case .deleted(let v): return [(set(key(v), nil), nil)]
        case .bookmark: return []
        case .relisted(let all):
            let items = all.map { LiveProjection.keep(kind: kind, $0) }
            var changes: [(Value?, Value?)] = []
            let fresh = Dictionary(items.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
            let existing: [String] =
                kind == "Node"
                ? Array(nodes.keys)
                : (objects[kind] ?? [:]).keys.filter { namespace == nil || $0.hasPrefix(namespace! + "/") }
            for k in existing where fresh[k] == nil { changes.append((set(k, nil), nil)) }
            for (k, v) in fresh.sorted(by: { $0.key < $1.key }) {
                let old = set(k, v)
                if old != v { changes.append((old, v)) }
            }
            return changes
        }
    }
}

/// A pod judged by its workload's rule.
public struct VerifiedPod: Sendable {
    public var pod: LivePod
    /// On the workload's current revision.
    public var upToDate: Bool
    /// Why it does not count (for the explanation); nil when it is Ready and up to date.
    public var explanation: String?
    public var lastLogLines: [String] = []
    public var counts: Bool { pod.ready && upToDate }
}

/// One strategy rule with everything the pure checks need, read from the live objects.
public struct LiveRule: Sendable {
    public enum Check: Sendable {
        /// One pod on every node the DaemonSet controller chooses (`WorkloadChecks.daemonSet`).
        case daemonSet(nodes: [NodeInfo], spec: PodPlacementSpec)
        /// `replicas` pods `name-0..n-1` (`WorkloadChecks.statefulSet`).
        case statefulSet(replicas: Int)
        /// Judged here: `problems` decide.
        case plain
    }
    public var kind: String
    public var name: String
    public var namespace: String
    public var title: String
    public var check: Check
    public var pods: [VerifiedPod]
    public var problems: [String]
    public var notes: [String]
}

public enum KubeVerify {
    /// The namespaces the rules look into, sorted.
    public static func namespaces(_ rules: [VerifyRule]) -> [String] {
        Set(
            rules.map { r -> String in
                switch r {
                case .daemonSet(_, let ns, _), .statefulSet(_, let ns, _, _), .deployment(_, let ns, _), .service(_, let ns, _, _): return ns
                }
            }
        ).sorted()
    }

    /// Lists nodes and every kind in every namespace; returns the state and, per stream, the
    /// resourceVersion to watch from.
    public static func collect(_ client: KubeClient, namespaces: [String]) async throws -> (LiveState, [WatchStream]) {
        var state = LiveState()
        var streams: [WatchStream] = []
        let nodes = try await client.list(apiVersion: "v1", kind: "Node", project: { LiveProjection.keep(kind: "Node", $0) })
        state.apply(kind: "Node", namespace: nil, .relisted(nodes.items))
        streams.append(WatchStream(apiVersion: "v1", kind: "Node", namespace: nil, resourceVersion: nodes.resourceVersion))
        for ns in namespaces {
            for (apiVersion, kind) in LiveState.namespacedKinds {
                let l = try await client.list(apiVersion: apiVersion, kind: kind, namespace: ns, project: { LiveProjection.keep(kind: kind, $0) })
                state.apply(kind: kind, namespace: ns, .relisted(l.items))
                streams.append(WatchStream(apiVersion: apiVersion, kind: kind, namespace: ns, resourceVersion: l.resourceVersion))
            }
        }
        return (state, streams)
    }

    /// The rules against the state. Pure: the same state gives the same verdicts.
    public static func evaluate(_ rules: [VerifyRule], state: LiveState, now: Date = Date()) -> [LiveRule] {
        rules.map { rule in
            switch rule {
            case .daemonSet(let name, let ns, _): return daemonSet(name, ns, state, now)
            case .statefulSet(let name, let ns, let replicas, _): return statefulSet(name, ns, replicas, state, now)
            case .deployment(let name, let ns, _): return deployment(name, ns, state, now)
            case .service(let name, let ns, let policy, _): return service(name, ns, policy, state)
            }
        }
    }

    static func missing(_ kind: String, _ name: String, _ ns: String, title: String) -> LiveRule {
        LiveRule(
            kind: kind, name: name, namespace: ns, title: title, check: .plain, pods: [],
            problems: ["\(kind) \(name) not found in namespace \(ns) (not deployed yet, or deleted)"], notes: [])
    }

    static func owned(_ kind: String, _ name: String, _ ns: String, _ state: LiveState, _ now: Date) -> [LivePod] {
        state.all("Pod", namespace: ns).map { LiveObjects.pod($0, now: now) }.filter { $0.ownerKind == kind && $0.ownerName == name }
    }

    static func daemonSet(_ name: String, _ ns: String, _ state: LiveState, _ now: Date) -> LiveRule {
        guard let ds = state.object("DaemonSet", ns, name) else { return missing("DaemonSet", name, ns, title: "DaemonSet \(name)") }
        let nodes = state.nodes.values.map { LiveObjects.node($0, now: now) }.sorted { $0.name < $1.name }
        let spec = LiveObjects.placementSpec(podSpec: ds.lookup(["spec", "template", "spec"]) ?? .map([:]))
        let revision = DaemonSetRevision.of(ds, revisions: state.all("ControllerRevision", namespace: ns))
        let pods = owned("DaemonSet", name, ns, state, now).map { p -> VerifiedPod in
            let current = revision.isCurrent(p)
            return VerifiedPod(
                pod: p, upToDate: current,
                explanation: explain(p, outdated: current ? nil : "outdated: \(revision.describe(p)), current \(revision.description)"))
        }
        var notes: [String] = []
        for n in nodes where !n.info.ready {
            notes.append("node \(n.name) NotReady (\(n.notReadyWhy ?? "not Ready")): the DaemonSet controller places no new pod there until it is Ready")
        }
        var problems: [String] = []
        let d = DaemonSet(ds)
        if d.observedGeneration < d.metadata.generation {
            problems.append("the DaemonSet controller has not yet seen generation \(d.metadata.generation) (observed \(d.observedGeneration))")
        }
        return LiveRule(
            kind: "DaemonSet", name: name, namespace: ns, title: "DaemonSet \(name)",
            check: .daemonSet(nodes: nodes.map(\.info), spec: spec), pods: pods, problems: problems, notes: notes)
    }

    static func statefulSet(_ name: String, _ ns: String, _ replicas: Int, _ state: LiveState, _ now: Date) -> LiveRule {
        guard let v = state.object("StatefulSet", ns, name) else { return missing("StatefulSet", name, ns, title: "StatefulSet \(name)") }
        let s = StatefulSet(v)
        let update = s.updateRevision
        let pods = owned("StatefulSet", name, ns, state, now).map { p -> VerifiedPod in
            let hash = p.labels["controller-revision-hash"]
            let current = update == nil || hash == update
            return VerifiedPod(
                pod: p, upToDate: current,
                explanation: explain(p, outdated: current ? nil : "outdated: revision \(hash ?? "none"), update revision \(update ?? "?")"))
        }
        var problems: [String] = []
        var notes: [String] = []
        if s.replicas != replicas {
            problems.append("StatefulSet \(name) has spec.replicas \(s.replicas); the strategy declares \(replicas)")
        }
        if let c = s.currentRevision, let u = update, c != u {
            notes.append("rolling update in progress: current revision \(c), update revision \(u) (\(s.updatedReplicas)/\(s.replicas) updated)")
        }
        if s.observedGeneration < s.metadata.generation {
            problems.append("the StatefulSet controller has not yet seen generation \(s.metadata.generation) (observed \(s.observedGeneration))")
        }
        return LiveRule(
            kind: "StatefulSet", name: name, namespace: ns, title: "StatefulSet \(name)", check: .statefulSet(replicas: replicas),
            pods: pods, problems: problems, notes: notes)
    }

    static func deployment(_ name: String, _ ns: String, _ state: LiveState, _ now: Date) -> LiveRule {
        guard let v = state.object("Deployment", ns, name) else { return missing("Deployment", name, ns, title: "Deployment \(name)") }
        let d = Deployment(v)
        var selector: [String: String] = [:]
        for (k, x) in v.lookup(["spec", "selector", "matchLabels"])?.mapValue ?? [:] { if let s = x.stringValue { selector[k] = s } }
        // Its pods are owned by ReplicaSets on a real cluster: the selector finds them either way.
        let pods = state.all("Pod", namespace: ns).map { LiveObjects.pod($0, now: now) }
            .filter { p in !selector.isEmpty && selector.allSatisfy { p.labels[$0.key] == $0.value } }
            .map { VerifiedPod(pod: $0, upToDate: true, explanation: explain($0, outdated: nil)) }
        var problems: [String] = []
        if !d.rolledOut {
            var why: [String] = []
            if d.observedGeneration < d.metadata.generation { why.append("generation \(d.metadata.generation) not yet observed (\(d.observedGeneration))") }
            why.append("\(d.updatedReplicas)/\(d.replicas) updated, \(d.availableReplicas)/\(d.replicas) available, \(d.readyReplicas)/\(d.replicas) ready")
            if d.oldReplicas > 0 { why.append("\(d.oldReplicas) old pod(s) pending termination") }
            problems.append("Deployment \(name) not rolled out: " + why.joined(separator: "; "))
            for c in d.conditions
            where (c.type == "ReplicaFailure" && c.status == "True") || (["Available", "Progressing"].contains(c.type) && c.status != "True") {
                problems.append("condition \(c.type)=\(c.status)" + (c.reason.map { " (\($0))" } ?? "") + (c.message.map { ": \($0)" } ?? ""))
            }
            for p in pods where !p.counts && !p.pod.deleting { problems.append(podLine(p)) }
        }
        return LiveRule(
            kind: "Deployment", name: name, namespace: ns, title: "Deployment \(name): \(d.availableReplicas)/\(d.replicas) available",
            check: .plain, pods: pods, problems: problems, notes: [])
    }

    static func service(_ name: String, _ ns: String, _ policy: String?, _ state: LiveState) -> LiveRule {
        let title = "Service \(name)" + (policy.map { " (internalTrafficPolicy \($0))" } ?? "")
        guard let v = state.object("Service", ns, name) else { return missing("Service", name, ns, title: title) }
        // The API server defaults an unset internalTrafficPolicy to Cluster.
        let actual = v.lookup(["spec", "internalTrafficPolicy"])?.stringValue ?? "Cluster"
        var problems: [String] = []
        if let policy, policy != actual {
            problems.append(
                "Service \(name) has internalTrafficPolicy \(actual), the strategy declares \(policy)"
                    + (policy == "Local" ? " (callers would reach SLIM nodes on other nodes)" : ""))
        }
        let s = Service(v)
        let ports = s.ports.map { "\($0.port)/\($0.protocolName)" }.joined(separator: ",")
        return LiveRule(
            kind: "Service", name: name, namespace: ns, title: title, check: .plain, pods: [], problems: problems,
            notes: ["Service \(name): \(s.type) \(s.clusterIP ?? "-") ports \(ports.isEmpty ? "none" : ports), internalTrafficPolicy \(actual)"])
    }

    /// "slim-x7k2p on worker-1: CrashLoopBackOff, restarts 4, last log lines: …" for plain rules.
    static func podLine(_ p: VerifiedPod) -> String {
        var s = "\(p.pod.name) on \(p.pod.node.isEmpty ? "<no node>" : p.pod.node): \(p.explanation ?? p.pod.status)"
        if p.pod.restarts > 0 { s += ", restarts \(p.pod.restarts)" }
        if !p.lastLogLines.isEmpty { s += ", last log lines: " + p.lastLogLines.suffix(3).joined(separator: " | ") }
        return s
    }

    /// Why a pod does not count, from its own status (logs and events are added by `diagnose`).
    static func explain(_ p: LivePod, outdated: String?) -> String? {
        if p.ready { return outdated }
        if p.deleting { return "Terminating" }
        var s = p.reason ?? (p.phase == "Running" ? "Running, not ready" : p.phase)
        if p.crashed && p.reason != "CrashLoopBackOff" {
            // Between two back-offs the container runs again for a moment: it is still a crash loop.
            s = "crash-looping (\(s) after a restart" + (p.lastExit.map { "; last exit: \($0)" } ?? "") + ")"
        } else if p.reason == "CrashLoopBackOff", let e = p.lastExit {
            s += " (last exit: \(e))"
        }
        if let reason = p.reason, isImagePull(reason) {
            s += ": image \(p.image ?? "?") could not be pulled" + (p.message.map { " (\($0))" } ?? "")
        } else if let m = p.message, p.reason == "Unschedulable" || p.reason == "CreateContainerConfigError" {
            s += ": \(m)"
        }
        if let outdated { s += "; \(outdated)" }
        return s
    }

    static func isImagePull(_ reason: String) -> Bool {
        ["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"].contains(reason)
    }

    /// Adds what only more requests can tell about the pods that do not count: the last log lines
    /// of a crashing container (its previous instance's, since the current one has just started
    /// or not at all), and for image pulls and failing probes the kubelet's last warning event.
    /// Bounded to `limit` pods so a broken cluster of hundreds of nodes is still answered quickly.
    public static func diagnose(_ rules: [LiveRule], client: KubeClient, logLines: Int = 3, limit: Int = 20) async -> [LiveRule] {
        var out = rules
        var budget = limit
        for (ri, rule) in rules.enumerated() {
            for (pi, vp) in rule.pods.enumerated() where !vp.pod.ready && !vp.pod.deleting && budget > 0 {
                budget -= 1
                var p = vp
                let pod = vp.pod
                if pod.crashed || pod.reason == "Error" || pod.phase == "Failed" {
                    var lines = await tail(client, pod, previous: pod.crashed, lines: logLines)
                    if lines.isEmpty && pod.crashed { lines = await tail(client, pod, previous: false, lines: logLines) }
                    p.lastLogLines = lines
                }
                if let reason = pod.reason, isImagePull(reason) {
                    let warning = await lastWarning(client, pod)
                    let text = ([warning, pod.message].compactMap { $0 }).joined(separator: " ")
                    let image = pod.image ?? "?"
                    p.explanation =
                        text.localizedCaseInsensitiveContains("not found") || text.contains("manifest unknown")
                        ? "\(reason): image \(image) not found" + (warning.map { " (\($0))" } ?? "")
                        : "\(reason): image \(image) could not be pulled" + ((warning ?? pod.message).map { " (\($0))" } ?? "")
                } else if pod.reason == nil, !pod.crashed, let warning = await lastWarning(client, pod) {
                    p.explanation = (p.explanation ?? pod.status) + " (last warning: \(warning))"
                }
                out[ri].pods[pi] = p
            }
            if case .plain = rule.check, rule.kind == "Deployment" {
                out[ri].problems = out[ri].problems.map { line in
                    guard let p = out[ri].pods.first(where: { line.hasPrefix("\($0.pod.name) on ") }) else { return line }
                    return podLine(p)
                }
            }
        }
        return out
    }

    static func tail(_ client: KubeClient, _ pod: LivePod, previous: Bool, lines: Int) async -> [String] {
        var out: [String] = []
        do {
            for try await l in client.logs(
                pod: pod.name, namespace: pod.namespace,
                options: LogOptions(container: pod.failingContainer, tailLines: lines, previous: previous, limitBytes: 16_384))
            {
                out.append(l)
            }
        } catch {
            return out
        }
        return out.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.suffix(lines).map { String($0.prefix(300)) }
    }

    static func lastWarning(_ client: KubeClient, _ pod: LivePod) async -> String? {
        guard
            let events = try? await client.list(
                apiVersion: "v1", kind: "Event", namespace: pod.namespace,
                fieldSelector: "involvedObject.name=\(pod.name)")
        else { return nil }
        let warnings = events.items.map(Event.init).filter { $0.type == "Warning" }
        // The most informative one: a failure over a back-off notice, then the latest.
        let best = warnings.last { $0.reason == "Failed" } ?? warnings.last
        return best.map { "\($0.reason): \($0.message)" }
    }
}

/// One list-then-watch stream verify keeps open.
public struct WatchStream: Sendable {
    public var apiVersion: String
    public var kind: String
    public var namespace: String?
    public var resourceVersion: String
}
