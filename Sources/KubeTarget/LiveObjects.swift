import Foundation
import Kube
import Placement
import YAML

/// A node as verify reads it: the placement facts plus why it is not Ready, for the explanation.
public struct LiveNode: Sendable, Hashable {
    /// With the taints the node lifecycle controller puts on NotReady or cordoned nodes, so a
    /// node seen before that controller caught up is judged as it will be a moment later.
    public var info: NodeInfo
    /// `reason: message` of the Ready condition when it is not True.
    public var notReadyWhy: String?
    public var ageSeconds: Double
    public var name: String { info.name }
}

/// A pod as verify reads it. Everything the report says about it comes from here, so the text
/// and JSON outputs and the watch lines agree.
public struct LivePod: Sendable, Hashable {
    public var name: String
    public var namespace: String
    /// `spec.nodeName`; for a DaemonSet pod not bound yet, the node its affinity pins it to.
    public var node: String
    public var phase: String
    public var ready: Bool
    public var deleting: Bool
    public var restarts: Int
    /// The first reason a container gives for not running: CrashLoopBackOff, ImagePullBackOff,
    /// ContainerCreating, Error, …
    public var reason: String?
    public var message: String?
    /// The container that is failing and its image (named in image-pull explanations).
    public var failingContainer: String?
    public var image: String?
    /// A container has restarted after exiting: its previous instance's log explains why.
    public var crashed: Bool
    /// How the last instance of a restarted container ended: "Error, exit code 1".
    public var lastExit: String?
    public var ownerKind: String?
    public var ownerName: String?
    public var labels: [String: String]
    public var ageSeconds: Double

    public var owner: String { "\(ownerKind ?? "Pod")/\(ownerName ?? name)" }

    public init(
        name: String, namespace: String, node: String, phase: String, ready: Bool, deleting: Bool, restarts: Int,
        reason: String? = nil, message: String? = nil, failingContainer: String? = nil, image: String? = nil, crashed: Bool,
        ownerKind: String? = nil, ownerName: String? = nil, labels: [String: String] = [:], ageSeconds: Double
    ) {
        self.name = name; self.namespace = namespace; self.node = node; self.phase = phase; self.ready = ready
        self.deleting = deleting; self.restarts = restarts; self.reason = reason; self.message = message
        self.failingContainer = failingContainer; self.image = image; self.crashed = crashed; self.lastExit = nil
        self.ownerKind = ownerKind; self.ownerName = ownerName; self.labels = labels; self.ageSeconds = ageSeconds
    }

    /// The STATUS column, as `kubectl get pods` spells it.
    public var status: String {
        if deleting { return "Terminating" }
        if ready { return "Ready" }
        if let reason { return reason }
        return phase == "Running" ? "Running, not ready" : phase
    }
}

/// Pure converters from the API's JSON to the placement model and verify's views. No I/O, so
/// the rules verify applies are tested without a cluster.
public enum LiveObjects {
    public static func node(_ v: Value, now: Date = Date()) -> LiveNode {
        let n = Node(v)
        var conditions: [String: String] = [:]
        for c in n.conditions { conditions[c.type] = c.status }
        let taints = n.taints.compactMap { t -> Taint? in
            guard let effect = TaintEffect(rawValue: t.effect) else { return nil }
            return Taint(key: t.key, value: t.value ?? "", effect: effect)
        }
        let info = NodeInfo(
            name: n.metadata.name, labels: n.metadata.labels, taints: taints, unschedulable: n.unschedulable,
            ready: n.ready, conditions: conditions
        ).withLifecycleTaints()
        var why: String?
        if !n.ready {
            let c = n.conditions.first { $0.type == "Ready" }
            why = c.map { [$0.reason, $0.message].compactMap { $0 }.joined(separator: ": ") } ?? "no Ready condition reported"
            if why?.isEmpty == true { why = "Ready is \(c?.status ?? "unknown")" }
        }
        return LiveNode(info: info, notReadyWhy: why, ageSeconds: age(v, now: now))
    }

    /// Placement facts of a pod spec (a DaemonSet's `spec.template.spec`). Tolerations and
    /// affinity decode with the API's own JSON shapes; an entry the model rejects (an unknown
    /// effect) is left out, as it could not tolerate anything the controller checks either.
    public static func placementSpec(podSpec: Value) -> PodPlacementSpec {
        let decoder = JSONDecoder()
        let tolerations = (podSpec["tolerations"]?.listValue ?? []).compactMap {
            try? decoder.decode(Toleration.self, from: Data($0.jsonBytes))
        }
        let affinity = podSpec.lookup(["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"])
            .flatMap { try? decoder.decode(NodeAffinity.self, from: Data($0.jsonBytes)) }
        var selector: [String: String] = [:]
        for (k, x) in podSpec["nodeSelector"]?.mapValue ?? [:] { if let s = x.stringValue { selector[k] = s } }
        let nodeName = podSpec["nodeName"]?.stringValue
        return PodPlacementSpec(
            nodeSelector: selector, requiredAffinity: affinity, tolerations: tolerations,
            hostNetwork: podSpec["hostNetwork"]?.boolValue ?? false, nodeName: nodeName?.isEmpty == true ? nil : nodeName)
    }

    public static func pod(_ v: Value, now: Date = Date()) -> LivePod {
        let p = Pod(v)
        let owner =
            (v.lookup(["metadata", "ownerReferences"])?.listValue ?? []).first { $0["controller"]?.boolValue == true }
            ?? v.lookup(["metadata", "ownerReferences"])?.listValue?.first
        var node = p.nodeName ?? ""
        if node.isEmpty { node = affinityPinnedNode(v) ?? "" }
        let statuses = (v.lookup(["status", "containerStatuses"])?.listValue ?? [])
        // The container to explain: the first waiting one, else the first terminated, else the first not ready.
        let failing =
            statuses.first { $0.lookup(["state", "waiting"]) != nil }
            ?? statuses.first { $0.lookup(["state", "terminated"]) != nil }
            ?? statuses.first { $0["ready"]?.boolValue != true }
        var reason = failing.flatMap { $0.lookup(["state", "waiting", "reason"])?.stringValue ?? $0.lookup(["state", "terminated", "reason"])?.stringValue }
        var message = failing.flatMap { $0.lookup(["state", "waiting", "message"])?.stringValue ?? $0.lookup(["state", "terminated", "message"])?.stringValue }
        if reason == nil, p.phase == "Pending" {
            // Not scheduled: the PodScheduled condition says why (Unschedulable: 0/3 nodes are available …).
            if let c = p.conditions.first(where: { $0.type == "PodScheduled" && $0.status == "False" }) {
                reason = c.reason ?? "Pending"
                message = c.message
            }
        }
        let crashed = statuses.contains {
            Int($0["restartCount"]?.intValue ?? 0) > 0
                && ($0.lookup(["lastState", "terminated"]) != nil
                    || $0.lookup(["state", "waiting", "reason"])?.stringValue == "CrashLoopBackOff")
        }
        let last = statuses.lazy.compactMap { $0.lookup(["lastState", "terminated"]) }.first
        var pod = LivePod(
            name: p.metadata.name, namespace: p.metadata.namespace ?? "", node: node, phase: p.phase, ready: p.ready,
            deleting: p.metadata.deleting, restarts: p.restarts, reason: reason, message: message,
            failingContainer: failing?["name"]?.stringValue, image: failing?["image"]?.stringValue ?? image(of: failing?["name"]?.stringValue, in: v),
            crashed: crashed, ownerKind: owner?["kind"]?.stringValue, ownerName: owner?["name"]?.stringValue,
            labels: p.metadata.labels, ageSeconds: age(v, now: now))
        pod.lastExit = last.map { t in
            [t["reason"]?.stringValue, t["exitCode"]?.intValue.map { "exit code \($0)" }].compactMap { $0 }.joined(separator: ", ")
        }
        return pod
    }

    static func image(of container: String?, in pod: Value) -> String? {
        let containers = pod.lookup(["spec", "containers"])?.listValue ?? []
        return (containers.first { $0["name"]?.stringValue == container } ?? containers.first)?["image"]?.stringValue
    }

    /// The DaemonSet controller binds its pods with required node affinity on
    /// `metadata.name` (matchFields), so an unbound pod still says which node it is for.
    static func affinityPinnedNode(_ pod: Value) -> String? {
        let terms = pod.lookup(["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"])?.listValue ?? []
        for t in terms {
            for f in t["matchFields"]?.listValue ?? [] where f["key"]?.stringValue == "metadata.name" && f["operator"]?.stringValue == "In" {
                if let n = f["values"]?.listValue?.first?.stringValue { return n }
            }
        }
        return nil
    }

    /// Seconds since `metadata.creationTimestamp` (0 when absent or unreadable).
    public static func age(_ v: Value, now: Date = Date()) -> Double {
        guard let text = v.lookup(["metadata", "creationTimestamp"])?.stringValue, let t = parseTime(text) else { return 0 }
        return max(0, now.timeIntervalSince(t))
    }

    /// RFC 3339 as the API writes it, with or without fractional seconds. Parsed by hand: a
    /// verify at scale reads 60,000 of these, and an ISO8601DateFormatter per call cost more
    /// than everything else verify does with an object.
    public static func parseTime(_ text: String) -> Date? {
        guard let t = LogTimestamp(Substring(text)) else { return nil }
        return Date(timeIntervalSince1970: Double(t.seconds) + Double(t.nanos) / 1e9)
    }
}

/// What "up to date" means for a DaemonSet's pod, as the controller decides it
/// (`IsPodUpdated` in pkg/controller/daemon/util/daemonset_util.go): the pod's
/// `controller-revision-hash` is the hash of the DaemonSet's newest ControllerRevision, or its
/// `pod-template-generation` label equals the DaemonSet's template generation (the
/// `deprecated.daemonset.template.generation` annotation the API server keeps).
public struct DaemonSetRevision: Sendable, Hashable {
    public var hash: String?
    public var templateGeneration: Int?

    /// From the DaemonSet and the ControllerRevisions of its namespace (those it controls count).
    /// A server that keeps neither revision objects nor the annotation leaves `metadata.generation`
    /// as the only template version there is.
    public static func of(_ ds: Value, revisions: [Value]) -> DaemonSetRevision {
        let uid = ds.lookup(["metadata", "uid"])?.stringValue ?? ""
        let owned = revisions.filter { r in
            (r.lookup(["metadata", "ownerReferences"])?.listValue ?? []).contains { $0["uid"]?.stringValue == uid && $0["controller"]?.boolValue == true }
        }
        let newest = owned.max { ($0["revision"]?.intValue ?? 0) < ($1["revision"]?.intValue ?? 0) }
        let hash = newest.flatMap { $0.lookup(["metadata", "labels", "controller-revision-hash"])?.stringValue }
        var generation = ds.lookup(["metadata", "annotations", "deprecated.daemonset.template.generation"])?.stringValue.flatMap { Int($0) }
        if hash == nil && generation == nil { generation = ds.lookup(["metadata", "generation"])?.intValue.map { Int($0) } }
        return DaemonSetRevision(hash: hash, templateGeneration: generation)
    }

    public func isCurrent(_ pod: LivePod) -> Bool {
        if let hash, pod.labels["controller-revision-hash"] == hash { return true }
        if let g = templateGeneration, pod.labels["pod-template-generation"] == String(g) { return true }
        return false
    }

    /// "revision 7c9a" or "template generation 3", for messages.
    public var description: String {
        if let hash { return "revision \(hash)" }
        return templateGeneration.map { "template generation \($0)" } ?? "unknown revision"
    }

    public func describe(_ pod: LivePod) -> String {
        if hash != nil { return "revision \(pod.labels["controller-revision-hash"] ?? "none")" }
        return "template generation \(pod.labels["pod-template-generation"] ?? "none")"
    }
}
