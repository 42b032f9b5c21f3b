import Foundation
import OrderedCollections
import YAML

/// A Deployment's status as the controller computes it from its ReplicaSets, and the
/// Progressing condition that `helm --wait` (kstatus) and `kubectl rollout status` read
/// (see SimDeployments).
extension SimCluster {
    /// `DeploymentComplete`: every replica updated and available, this generation observed.
    static func complete(_ d: Value, status: Value?) -> Bool {
        let replicas = d[path: ["spec", "replicas"]]?.intValue ?? 1
        func n(_ f: String) -> Int64 { status?[f]?.intValue ?? 0 }
        return n("updatedReplicas") == replicas && n("replicas") == replicas && n("availableReplicas") == replicas
            && n("observedGeneration") >= (d[path: ["metadata", "generation"]]?.intValue ?? 1)
    }

    /// Computes the status (`calculateStatus`), the Progressing condition when `progress`
    /// (`syncRolloutStatus`), and writes the Deployment when anything changed.
    func writeDeployment(_ s: inout DeploymentSync, progress: Bool) {
        let old = s.original["status"]
        var sum: [String: Int] = [:]
        for rs in s.rss { for f in ["replicas", "readyReplicas", "availableReplicas"] { sum[f, default: 0] += DeploymentSync.status(rs, f) } }
        let total = s.rss.reduce(0) { $0 + DeploymentSync.spec($1) }
        let available = sum["availableReplicas"] ?? 0
        var status: OrderedDictionary<String, Value> = ["observedGeneration": s.d[path: ["metadata", "generation"]] ?? 1]
        let counts: [(String, Int)] = [
            ("replicas", sum["replicas"] ?? 0), ("updatedReplicas", DeploymentSync.status(s.newRS, "replicas")),
            ("readyReplicas", sum["readyReplicas"] ?? 0), ("availableReplicas", available),
            ("unavailableReplicas", max(0, total - available))
        ]
        for (k, v) in counts where v > 0 { status[k] = .int(Int64(v)) }
        if !s.conditions.isEmpty { status["conditions"] = .list(s.conditions) }
        if let c = old?["collisionCount"] { status["collisionCount"] = c }
        s.d[path: ["status"]] = .map(status)
        if available >= s.replicas - s.maxUnavailable {
            s.setCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        } else {
            s.setCondition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        }
        if progress { syncProgress(&s) }
        guard s.d != s.original else { return }
        let ns = s.d[path: ["metadata", "namespace"]]?.str ?? ""
        guard let latest = objects[Self.res("deployments")]?[ns]?[Self.name(s.d)] else { return }
        var updated = latest
        updated[path: ["status"]] = s.d["status"]
        updated[path: ["metadata", "annotations", Self.revisionAnnotation]] = s.d[path: ["metadata", "annotations", Self.revisionAnnotation]]
        if updated != latest { updateLocked(Self.res("deployments"), updated) }
    }

    /// The Progressing condition of `syncRolloutStatus`.
    func syncProgress(_ s: inout DeploymentSync) {
        guard let deadline = s.progressDeadline else {
            s.d[path: ["status", "conditions"]] = .list(s.conditions.filter { $0["type"]?.str != "Progressing" })
            if s.conditions.isEmpty { s.d[path: ["status", "conditions"]] = nil }
            return
        }
        let newStatus = s.d["status"]
        let current = s.original[path: ["status", "conditions"]]?.list.first { $0["type"]?.str == "Progressing" }
        func n(_ st: Value?, _ f: String) -> Int64 { st?[f]?.intValue ?? 0 }
        let replicasNow = n(newStatus, "replicas"), updatedNow = n(newStatus, "updatedReplicas")
        if replicasNow == updatedNow, current?["reason"]?.str == "NewReplicaSetAvailable" { return }
        let rsName = s.newRS.map { "ReplicaSet \"\(Self.name($0))\"" } ?? "Deployment \"\(Self.name(s.d))\""
        let old = s.original["status"]
        let progressed =
            updatedNow > n(old, "updatedReplicas") || (replicasNow - updatedNow) < (n(old, "replicas") - n(old, "updatedReplicas"))
            || n(newStatus, "readyReplicas") > n(old, "readyReplicas") || n(newStatus, "availableReplicas") > n(old, "availableReplicas")
        if Self.complete(s.d, status: newStatus) {
            s.setCondition("Progressing", "True", "NewReplicaSetAvailable", "\(rsName) has successfully progressed.")
        } else if progressed {
            s.setCondition("Progressing", "True", "ReplicaSetUpdated", "\(rsName) is progressing.", forceUpdate: true)
        } else if let cond = s.conditions.first(where: { $0["type"]?.str == "Progressing" }), cond["reason"]?.str != "NewReplicaSetAvailable" {
            let since = cond["lastUpdateTime"]?.str.flatMap(SimTime.parse) ?? Date()
            let left = since.timeIntervalSinceNow + Double(deadline)
            if cond["reason"]?.str == "ProgressDeadlineExceeded" || left < 0 {
                s.setCondition("Progressing", "False", "ProgressDeadlineExceeded", "\(rsName) has timed out progressing.")
            } else {
                requeue(key: "deployment-deadline/\(Self.uid(s.d))", after: left)
            }
        }
    }
}
