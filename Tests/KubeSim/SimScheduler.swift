import YAML

/// The default scheduler's decisions for the filters that matter to slimctl's workloads, written
/// from the scheduler's documented plugins, so a pod lands (or stays Pending) where it would on
/// a real cluster and `kubectl describe pod` gives the real reason.
///
/// Filters, in the default profile's order, the first failing one naming the node's reason:
/// NodeUnschedulable (`spec.unschedulable`, unless the pod tolerates the unschedulable
/// NoSchedule taint), TaintToleration (any untolerated NoSchedule or NoExecute taint;
/// PreferNoSchedule never filters), NodeAffinity (`nodeSelector` and required node affinity).
/// When every required-affinity term names nodes by `metadata.name` (DaemonSet pods), only those
/// nodes are tried, as NodeAffinity's PreFilter narrows them.
/// Scores, compared in this order rather than weighted: fewer untolerated PreferNoSchedule
/// taints, higher preferred-affinity weight, fewer pods of the same owner (the default topology
/// spreading), fewer pods overall, then the node name (the real scheduler breaks ties at random).
///
/// Not modelled: resources (NodeResourcesFit), host ports, volumes, inter-pod affinity and
/// explicit topology spread constraints, preemption, and node readiness other than through
/// its taints (as in Kubernetes since taint-based conditions).
extension SimCluster {
    struct SchedNode {
        var name: String
        var labels: [String: String]
        var taints: [SimTaint]
        var unschedulable: Bool

        init(_ node: Value) {
            name = node[path: ["metadata", "name"]]?.str ?? ""
            labels = node[path: ["metadata", "labels"]]?.stringMap ?? [:]
            taints = SimTaint.list(node[path: ["spec", "taints"]])
            unschedulable = node[path: ["spec", "unschedulable"]]?.boolValue ?? false
        }
    }

    /// Why the pod cannot go to this node, in the scheduler's words; nil when it can.
    static func filterReason(_ node: SchedNode, tolerations: [SimToleration], affinity: SimNodeAffinity) -> String? {
        let unschedulableTaint = SimTaint(key: SimTaintKey.unschedulable, effect: .noSchedule)
        if node.unschedulable && !tolerations.contains(where: { $0.tolerates(unschedulableTaint) }) {
            return "node(s) were unschedulable"
        }
        if let t = SimTolerations.firstUntolerated(node.taints, tolerations, effects: [.noSchedule, .noExecute]) {
            return "node(s) had untolerated taint {\(t.key): \(t.value)}"
        }
        if !affinity.matches(nodeName: node.name, labels: node.labels) {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        return nil
    }

    /// The node names every required-affinity term pins the pod to (matchFields
    /// `metadata.name In`), nil when some term does not pin it.
    static func pinnedNodes(_ podSpec: Value) -> Set<String>? {
        guard let terms = podSpec[path: ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]?.list,
            !terms.isEmpty
        else { return nil }
        var names: Set<String> = []
        for term in terms {
            let pins = (term["matchFields"]?.list ?? []).filter {
                $0["key"]?.str == "metadata.name" && $0["operator"]?.str == "In" && $0["values"]?.list.count == 1
            }
            guard let pin = pins.first?["values"]?.list.first?.str else { return nil }
            names.insert(pin)
        }
        return names
    }

    static func controllerUID(_ pod: Value) -> String? {
        (pod[path: ["metadata", "ownerReferences"]]?.list ?? []).first { $0["controller"]?.boolValue == true }?["uid"]?.str
    }

    func schedulePending(nodes: [SchedNode]) {
        let podsR = Self.res("pods")
        let all = allLocked(podsR, namespace: nil)
        let pending = all.filter { pod in
            !Self.isTerminating(pod) && (pod[path: ["spec", "nodeName"]]?.str ?? "").isEmpty
                && (pod[path: ["spec", "schedulerName"]]?.str ?? "default-scheduler") == "default-scheduler"
        }
        guard !pending.isEmpty else { return }
        var load: [String: Int] = [:]
        var ownerLoad: [String: [String: Int]] = [:]
        for pod in all where !Self.isTerminating(pod) && !Self.isTerminal(pod) {
            guard let n = pod[path: ["spec", "nodeName"]]?.str, !n.isEmpty else { continue }
            load[n, default: 0] += 1
            if let owner = Self.controllerUID(pod) { ownerLoad[owner, default: [:]][n, default: 0] += 1 }
        }
        for pod in pending {
            let spec = pod["spec"] ?? .map([:])
            if !(spec["schedulingGates"]?.list ?? []).isEmpty {
                markUnschedulable(pod, reason: "SchedulingGated", message: "Scheduling is blocked due to non-empty scheduling gates", event: false)
                continue
            }
            let tolerations = SimToleration.list(spec["tolerations"])
            let affinity = SimNodeAffinity(podSpec: spec)
            let pinned = Self.pinnedNodes(spec)
            var reasons: [String: Int] = [:]
            var feasible: [SchedNode] = []
            for node in nodes {
                if let pinned, !pinned.contains(node.name) {
                    reasons["node(s) didn't satisfy plugin(s) [NodeAffinity]", default: 0] += 1
                } else if let why = Self.filterReason(node, tolerations: tolerations, affinity: affinity) {
                    reasons[why, default: 0] += 1
                } else {
                    feasible.append(node)
                }
            }
            let owner = Self.controllerUID(pod)
            func rank(_ n: SchedNode) -> (Int, Int, Int, Int, String) {
                let prefer = n.taints.filter { t in t.effect == .preferNoSchedule && !tolerations.contains { $0.tolerates(t) } }.count
                let weight = SimNodeAffinity.preferredScore(podSpec: spec, nodeName: n.name, labels: n.labels)
                let siblings = owner.flatMap { ownerLoad[$0]?[n.name] } ?? 0
                return (prefer, -weight, siblings, load[n.name] ?? 0, n.name)
            }
            guard let best = feasible.min(by: { rank($0) < rank($1) }) else {
                let detail = reasons.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
                let message =
                    "0/\(nodes.count) nodes are available" + (detail.isEmpty ? "." : ": \(detail).")
                    + " preemption: 0/\(nodes.count) nodes are available: \(nodes.count) Preemption is not helpful for scheduling."
                markUnschedulable(pod, reason: "Unschedulable", message: message, event: true)
                continue
            }
            load[best.name, default: 0] += 1
            if let owner { ownerLoad[owner, default: [:]][best.name, default: 0] += 1 }
            bind(pod, to: best.name)
        }
    }

    func bind(_ pod: Value, to node: String) {
        var bound = pod
        bound[path: ["spec", "nodeName"]] = .string(node)
        updateLocked(Self.res("pods"), bound)
        recordEvent(
            about: pod, kind: "Pod", reason: "Scheduled",
            message: "Successfully assigned \(pod[path: ["metadata", "namespace"]]?.str ?? "")/\(pod[path: ["metadata", "name"]]?.str ?? "") to \(node)",
            component: "default-scheduler")
    }

    /// Writes the PodScheduled=False condition (and a FailedScheduling event) when the reason or
    /// message changed, so an unchanged verdict causes no write and the passes settle.
    func markUnschedulable(_ pod: Value, reason: String, message: String, event: Bool) {
        let current = (pod[path: ["status", "conditions"]]?.list ?? []).first { $0["type"]?.str == "PodScheduled" }
        if current?["reason"]?.str == reason && current?["message"]?.str == message { return }
        let cond: Value = .map([
            "type": "PodScheduled", "status": "False", "lastProbeTime": .null,
            "lastTransitionTime": .string(SimTime.rfc3339()), "reason": .string(reason), "message": .string(message)
        ])
        var updated = pod
        let others = (pod[path: ["status", "conditions"]]?.list ?? []).filter { $0["type"]?.str != "PodScheduled" }
        updated[path: ["status", "conditions"]] = .list(others + [cond])
        updateLocked(Self.res("pods"), updated)
        if event {
            recordEvent(about: pod, kind: "Pod", reason: "FailedScheduling", message: message, component: "default-scheduler", type: "Warning")
        }
    }
}
