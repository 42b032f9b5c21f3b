import Foundation
import OrderedCollections
import YAML

/// The ReplicaSet controller (pkg/controller/replicaset, from its documented behaviour): keeps
/// `spec.replicas` active pods (not terminating, not Succeeded/Failed) from the template, named
/// `<rs>-<5 chars>`; when there are too many it deletes the ones a real controller would pick
/// first (unscheduled, pending, not ready, on crowded nodes, ready for less time, restarted
/// more, newest). Status counts active pods, those fully labelled, ready and available
/// (`minReadySeconds`). Differences: no slow-start batching, no adoption of orphans, no
/// ReplicaFailure condition (pod creation does not fail here).
extension SimCluster {
    func reconcileReplicaSet(_ rs: Value, pods: [Value]) {
        let ns = rs[path: ["metadata", "namespace"]]?.str ?? "default"
        let replicas = Int(rs[path: ["spec", "replicas"]]?.intValue ?? 1)
        let minReady = Int(rs[path: ["spec", "minReadySeconds"]]?.intValue ?? 0)
        var active = pods.filter { !Self.isTerminating($0) && !Self.isTerminal($0) }
        if active.count < replicas {
            for _ in active.count..<replicas {
                var pod = podFrom(rs, kind: "ReplicaSet", name: "", extraLabels: [:])
                pod[path: ["metadata", "name"]] = nil
                pod[path: ["metadata", "generateName"]] = .string("\(Self.name(rs))-")
                createPod(pod, namespace: ns, owner: rs, ownerKind: "ReplicaSet")
            }
        } else if active.count > replicas {
            for pod in podsToDelete(active, count: active.count - replicas) {
                deletePod(pod)
                recordEvent(
                    about: rs, kind: "ReplicaSet", reason: "SuccessfulDelete", message: "Deleted pod: \(Self.name(pod))",
                    component: "replicaset-controller")
            }
        }
        active = livePods(ownedBy: rs).filter { !Self.isTerminating($0) && !Self.isTerminal($0) }
        let templateLabels = rs[path: ["spec", "template", "metadata", "labels"]]?.stringMap ?? [:]
        var recheck: Double?
        let ready = active.filter(Self.podReady)
        let available = ready.filter { Self.podAvailable($0, minReadySeconds: minReady) { recheck = min(recheck ?? $0, $0) } }
        let labelled = active.filter { p in
            let labels = p[path: ["metadata", "labels"]]?.stringMap ?? [:]
            return templateLabels.allSatisfy { labels[$0.key] == $0.value }
        }
        var status: OrderedDictionary<String, Value> = ["replicas": .int(Int64(active.count))]
        if !labelled.isEmpty { status["fullyLabeledReplicas"] = .int(Int64(labelled.count)) }
        if !ready.isEmpty { status["readyReplicas"] = .int(Int64(ready.count)) }
        if !available.isEmpty { status["availableReplicas"] = .int(Int64(available.count)) }
        status["observedGeneration"] = rs[path: ["metadata", "generation"]] ?? 1
        if let latest = objects[Self.res("replicasets")]?[ns]?[Self.name(rs)] { writeStatus(Self.res("replicasets"), latest, .map(status)) }
        if let recheck { requeue(key: "minready/\(Self.uid(rs))", after: recheck) }
    }

    /// The `count` pods the controller deletes first (`ActivePodsWithRanks`): unscheduled before
    /// scheduled, Pending before Running, not ready before ready, pods sharing their node with
    /// more siblings first, ready for less time first, more restarts first, newer first.
    func podsToDelete(_ pods: [Value], count: Int) -> [Value] {
        var onNode: [String: Int] = [:]
        for p in pods { if let n = p[path: ["spec", "nodeName"]]?.str, !n.isEmpty { onNode[n, default: 0] += 1 } }
        struct Rank {
            var scheduled: Bool, phase: Int, ready: Bool, siblings: Int, readySince: String, restarts: Int, created: String
        }
        func rank(_ p: Value) -> Rank {
            let node = p[path: ["spec", "nodeName"]]?.str ?? ""
            let ready = Self.podReady(p)
            let readyCondition = (p[path: ["status", "conditions"]]?.list ?? []).first { $0["type"]?.str == "Ready" }
            return Rank(
                scheduled: !node.isEmpty,
                phase: ["Pending": 0, "Unknown": 1, "Running": 2][p[path: ["status", "phase"]]?.str ?? "Pending"] ?? 0,
                ready: ready, siblings: node.isEmpty ? 0 : onNode[node] ?? 0,
                readySince: ready ? readyCondition?["lastTransitionTime"]?.str ?? "" : "",
                restarts: (p[path: ["status", "containerStatuses"]]?.list ?? []).reduce(0) { $0 + Int($1["restartCount"]?.intValue ?? 0) },
                created: p[path: ["metadata", "creationTimestamp"]]?.str ?? "")
        }
        /// Whether `a` is deleted before `b`.
        func first(_ a: Rank, _ b: Rank) -> Bool {
            if a.scheduled != b.scheduled { return !a.scheduled }
            if a.phase != b.phase { return a.phase < b.phase }
            if a.ready != b.ready { return !a.ready }
            if a.siblings != b.siblings { return a.siblings > b.siblings }
            if a.readySince != b.readySince { return a.readySince > b.readySince }
            if a.restarts != b.restarts { return a.restarts > b.restarts }
            return a.created > b.created
        }
        return Array(pods.map { ($0, rank($0)) }.sorted { first($0.1, $1.1) }.prefix(count).map(\.0))
    }
}
