import Foundation
import OrderedCollections
import YAML

/// The Deployment controller (pkg/controller/deployment, from its documented behaviour):
/// Deployments own ReplicaSets, ReplicaSets own pods (SimReplicaSets), so `kubectl rollout
/// status/history/undo` and `helm install --wait` work as on a real cluster.
///
/// - The new ReplicaSet is the oldest one whose template equals the Deployment's, ignoring
///   `pod-template-hash`; otherwise one is created, `<deployment>-<hash>`, with the hash in its
///   labels, selector and template. Revisions live in `deployment.kubernetes.io/revision` on
///   the ReplicaSets and the Deployment: a new template gets the highest old revision + 1, and
///   reviving an old template (rollback) renumbers it, remembering the old number in
///   `deployment.kubernetes.io/revision-history`. The Deployment's annotations are copied to the
///   new ReplicaSet (so `kubernetes.io/change-cause` shows in `rollout history`).
/// - RollingUpdate: the new ReplicaSet grows while all ReplicaSets together stay within
///   replicas + maxSurge; old ones shrink (unhealthy pods first, oldest ReplicaSet first) while
///   at least replicas - maxUnavailable pods stay available. maxSurge rounds up, maxUnavailable
///   down, and both zero means maxUnavailable 1. Recreate: old ReplicaSets go to zero, and the
///   new one is created and scaled up once no old pod is left.
/// - Scaling (replicas changed, or paused) resizes without rolling out, proportionally across
///   ReplicaSets mid-rollout. Old ReplicaSets at zero beyond `revisionHistoryLimit` are deleted,
///   lowest revision first, once the rollout completed.
/// - Status sums the ReplicaSets' (replicas, updatedReplicas = the new one's, ready, available,
///   unavailable); conditions Available (MinimumReplicasAvailable when available >= replicas -
///   maxUnavailable) and Progressing (NewReplicaSetCreated, FoundNewReplicaSet,
///   ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused).
///
/// Differences: no adoption of orphan ReplicaSets; no hash-collision handling; the hash is the
/// simulator's own (a real cluster's differs for the same template). Scaling and history pruning
/// are in SimDeploymentScaling, status and conditions in SimDeploymentStatus.
extension SimCluster {
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
    static let desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
    static let maxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
    static let podTemplateHashLabel = "pod-template-hash"
    /// Deployment annotations the controller never copies to a ReplicaSet.
    static let annotationsNotCopied: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revisionAnnotation, revisionHistoryAnnotation,
        desiredReplicasAnnotation, maxReplicasAnnotation, "deprecated.deployment.rollback.to"
    ]

    /// One sync of one Deployment: its object (annotations and status change as the sync goes)
    /// and its ReplicaSets, oldest first, as written so far.
    struct DeploymentSync {
        var d: Value
        var original: Value
        var rss: [Value]
        var newName: String?

        var replicas: Int { Int(d[path: ["spec", "replicas"]]?.intValue ?? 1) }
        var newRS: Value? { rss.first { SimCluster.name($0) == newName } }
        var oldRSs: [Value] { rss.filter { SimCluster.name($0) != newName } }
        var rolling: Bool { d[path: ["spec", "strategy", "type"]]?.str ?? "RollingUpdate" == "RollingUpdate" }
        var conditions: [Value] { d[path: ["status", "conditions"]]?.list ?? [] }
        var progressDeadline: Int? {
            guard let s = d[path: ["spec", "progressDeadlineSeconds"]]?.intValue, s != Int64(Int32.max) else { return nil }
            return Int(s)
        }

        /// `ResolveFenceposts`: (maxSurge, maxUnavailable) for a rolling update.
        var fenceposts: (surge: Int, unavailable: Int) {
            let ru = d[path: ["spec", "strategy", "rollingUpdate"]]
            let surge = SimCluster.scaled(ru?["maxSurge"], total: replicas, roundUp: true, default: 0) ?? 0
            let unavailable = SimCluster.scaled(ru?["maxUnavailable"], total: replicas, roundUp: false, default: 0) ?? 0
            return (surge == 0 && unavailable == 0) ? (0, 1) : (surge, unavailable)
        }
        var maxSurge: Int { rolling ? fenceposts.surge : 0 }
        var maxUnavailable: Int { (!rolling || replicas == 0) ? 0 : min(fenceposts.unavailable, replicas) }

        static func spec(_ rs: Value) -> Int { Int(rs[path: ["spec", "replicas"]]?.intValue ?? 1) }
        static func status(_ rs: Value?, _ field: String) -> Int { Int(rs?[path: ["status", field]]?.intValue ?? 0) }
        static func revision(_ rs: Value) -> Int64 { Int64(rs[path: ["metadata", "annotations", SimCluster.revisionAnnotation]]?.str ?? "") ?? 0 }

        /// `SetDeploymentCondition`: same status and reason changes nothing; same status keeps
        /// the transition time; the condition moves to the end of the list.
        mutating func setCondition(_ type: String, _ status: String, _ reason: String, _ message: String, forceUpdate: Bool = false) {
            let current = conditions.first { $0["type"]?.str == type }
            if !forceUpdate, current?["status"]?.str == status, current?["reason"]?.str == reason { return }
            let now = Value.string(SimTime.rfc3339())
            let transition = current?["status"]?.str == status ? (current?["lastTransitionTime"] ?? now) : now
            let cond: Value = .map([
                "type": .string(type), "status": .string(status), "lastUpdateTime": now,
                "lastTransitionTime": transition, "reason": .string(reason), "message": .string(message)
            ])
            d[path: ["status", "conditions"]] = .list(conditions.filter { $0["type"]?.str != type } + [cond])
        }
    }

    func reconcileDeployment(_ d: Value, replicaSets: [Value], podsByOwner: [String: [Value]]) {
        guard !(d[path: ["spec", "selector"]]?.mapValue ?? [:]).isEmpty else { return }
        let template = d[path: ["spec", "template"]] ?? .map([:])
        var s = DeploymentSync(d: d, original: d, rss: replicaSets.sorted(by: Self.creationOrder))
        s.newName = s.rss.first { rs in
            var t = rs[path: ["spec", "template"]]
            t?[path: ["metadata", "labels", Self.podTemplateHashLabel]] = nil
            return SimTemplates.equal(t, template)
        }.map(Self.name)

        let paused = d[path: ["spec", "paused"]]?.boolValue ?? false
        let progressing = s.conditions.first { $0["type"]?.str == "Progressing" }
        if progressing?["reason"]?.str != "ProgressDeadlineExceeded" {
            if paused && progressing?["reason"]?.str != "DeploymentPaused" {
                s.setCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
            } else if !paused && progressing?["reason"]?.str == "DeploymentPaused" {
                s.setCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed")
            }
        }
        if paused || isScalingEvent(s) {
            syncRevision(&s, create: false)
            scaleDeployment(&s)
            if paused { cleanupDeployment(&s) }
            writeDeployment(&s, progress: false)
        } else if s.rolling {
            rolloutRolling(&s)
        } else {
            rolloutRecreate(&s, podsByOwner: podsByOwner)
        }
    }

    /// A scaling event: an active ReplicaSet was sized for a different replica count.
    func isScalingEvent(_ s: DeploymentSync) -> Bool {
        s.rss.contains { rs in
            guard DeploymentSync.spec(rs) > 0, let desired = rs[path: ["metadata", "annotations", Self.desiredReplicasAnnotation]]?.str.flatMap({ Int($0) })
            else { return false }
            return desired != s.replicas
        }
    }

    func rolloutRolling(_ s: inout DeploymentSync) {
        syncRevision(&s, create: true)
        if reconcileNewReplicaSet(&s) || reconcileOldReplicaSets(&s) {
            writeDeployment(&s, progress: true)
            return
        }
        if Self.complete(s.original, status: s.original["status"]) { cleanupDeployment(&s) }
        writeDeployment(&s, progress: true)
    }

    func rolloutRecreate(_ s: inout DeploymentSync, podsByOwner: [String: [Value]]) {
        syncRevision(&s, create: false)
        var scaledDown = false
        for rs in s.oldRSs where DeploymentSync.spec(rs) > 0 {
            scaleReplicaSet(&s, Self.name(rs), to: 0)
            scaledDown = true
        }
        let oldPodsRunning = s.oldRSs.contains { rs in
            DeploymentSync.status(rs, "replicas") > 0 || (podsByOwner[Self.uid(rs)] ?? []).contains { !Self.isTerminal($0) }
        }
        if scaledDown || oldPodsRunning {
            writeDeployment(&s, progress: true)
            return
        }
        if s.newRS == nil { syncRevision(&s, create: true) }
        if let new = s.newRS, DeploymentSync.spec(new) != s.replicas { scaleReplicaSet(&s, Self.name(new), to: s.replicas) }
        if Self.complete(s.original, status: s.original["status"]) { cleanupDeployment(&s) }
        writeDeployment(&s, progress: true)
    }

    // MARK: Revisions and the new ReplicaSet

    /// `getAllReplicaSetsAndSyncRevision`: brings the new ReplicaSet's annotations and revision
    /// up to date (creating it when `create`), and the Deployment's revision annotation.
    func syncRevision(_ s: inout DeploymentSync, create: Bool) {
        let newRevision = (s.oldRSs.map(DeploymentSync.revision).max() ?? 0) + 1
        if let existing = s.newRS {
            var rs = existing
            var changed = copyAnnotations(s.d, to: &rs)
            let old = rs[path: ["metadata", "annotations", Self.revisionAnnotation]]?.str
            if (old.flatMap { Int64($0) } ?? 0) < newRevision {
                rs[path: ["metadata", "annotations", Self.revisionAnnotation]] = .string(String(newRevision))
                if let old {
                    let history = rs[path: ["metadata", "annotations", Self.revisionHistoryAnnotation]]?.str ?? ""
                    rs[path: ["metadata", "annotations", Self.revisionHistoryAnnotation]] = .string(history.isEmpty ? old : "\(history),\(old)")
                }
                changed = true
            }
            let minReady = s.d[path: ["spec", "minReadySeconds"]] ?? 0
            if (rs[path: ["spec", "minReadySeconds"]] ?? 0) != minReady {
                rs[path: ["spec", "minReadySeconds"]] = minReady
                rs[path: ["metadata", "generation"]] = .int((rs[path: ["metadata", "generation"]]?.intValue ?? 1) + 1)
                changed = true
            }
            if changed { storeReplicaSet(&s, rs) }
            s.d[path: ["metadata", "annotations", Self.revisionAnnotation]] = rs[path: ["metadata", "annotations", Self.revisionAnnotation]]
            if s.progressDeadline != nil, !s.conditions.contains(where: { $0["type"]?.str == "Progressing" }) {
                s.setCondition("Progressing", "True", "FoundNewReplicaSet", "Found new replica set \"\(Self.name(rs))\"")
            }
            return
        }
        guard create else { return }
        let ns = s.d[path: ["metadata", "namespace"]]?.str ?? "default"
        let template = s.d[path: ["spec", "template"]] ?? .map([:])
        let hash = SimTemplates.hash(template)
        var selector = s.d[path: ["spec", "selector"]] ?? .map([:])
        selector[path: ["matchLabels", Self.podTemplateHashLabel]] = .string(hash)
        let rsTemplate = SimTemplates.labelled(template, Self.podTemplateHashLabel, hash)
        var rs: Value = .map([
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": .map([
                "name": .string("\(Self.name(s.d))-\(hash)"), "namespace": .string(ns),
                "labels": rsTemplate[path: ["metadata", "labels"]] ?? .map([:]),
                "ownerReferences": .list([ownerRef(s.d, kind: "Deployment")])
            ]),
            "spec": .map([
                "replicas": 0, "minReadySeconds": s.d[path: ["spec", "minReadySeconds"]] ?? 0,
                "selector": selector, "template": rsTemplate
            ])
        ])
        // NewRSNewReplicas: as many as fit within replicas + maxSurge (all at once for Recreate).
        var size = s.replicas
        if s.rolling {
            let current = s.rss.reduce(0) { $0 + DeploymentSync.spec($1) }
            size = max(0, min(s.replicas + s.maxSurge - current, s.replicas))
        }
        rs[path: ["spec", "replicas"]] = .int(Int64(size))
        _ = copyAnnotations(s.d, to: &rs)
        rs[path: ["metadata", "annotations", Self.revisionAnnotation]] = .string(String(newRevision))
        rs[path: ["metadata", "annotations", Self.desiredReplicasAnnotation]] = .string(String(s.replicas))
        rs[path: ["metadata", "annotations", Self.maxReplicasAnnotation]] = .string(String(s.replicas + s.maxSurge))
        guard let created = try? createLocked(Self.res("replicasets"), namespace: ns, object: rs, manager: "kube-controller-manager") else { return }
        s.rss.append(created)
        s.newName = Self.name(created)
        s.d[path: ["metadata", "annotations", Self.revisionAnnotation]] = .string(String(newRevision))
        if size > 0 {
            recordEvent(
                about: s.d, kind: "Deployment", reason: "ScalingReplicaSet", message: "Scaled up replica set \(Self.name(created)) from 0 to \(size)",
                component: "deployment-controller")
        }
        if s.progressDeadline != nil {
            s.setCondition("Progressing", "True", "NewReplicaSetCreated", "Created new replica set \"\(Self.name(created))\"")
        }
    }

    /// Copies the Deployment's annotations (all but the controller's own) onto a ReplicaSet.
    func copyAnnotations(_ d: Value, to rs: inout Value) -> Bool {
        var changed = false
        for (k, v) in d[path: ["metadata", "annotations"]]?.mapValue ?? [:] where !Self.annotationsNotCopied.contains(k) {
            if rs[path: ["metadata", "annotations", k]] != v {
                rs[path: ["metadata", "annotations", k]] = v
                changed = true
            }
        }
        return changed
    }

    func storeReplicaSet(_ s: inout DeploymentSync, _ rs: Value) {
        let stored = putLocked(Self.res("replicasets"), rs, type: "MODIFIED")
        if let i = s.rss.firstIndex(where: { Self.name($0) == Self.name(rs) }) { s.rss[i] = stored }
    }

    /// `scaleReplicaSet`: sets the size and the desired/max-replicas annotations; true when the
    /// size changed.
    @discardableResult
    func scaleReplicaSet(_ s: inout DeploymentSync, _ name: String, to size: Int) -> Bool {
        guard let existing = s.rss.first(where: { Self.name($0) == name }) else { return false }
        let from = DeploymentSync.spec(existing)
        let desired = String(s.replicas), maxReplicas = String(s.replicas + s.maxSurge)
        let annotations = existing[path: ["metadata", "annotations"]]
        guard from != size || annotations?[Self.desiredReplicasAnnotation]?.str != desired || annotations?[Self.maxReplicasAnnotation]?.str != maxReplicas
        else {
            return false
        }
        var rs = existing
        rs[path: ["metadata", "annotations", Self.desiredReplicasAnnotation]] = .string(desired)
        rs[path: ["metadata", "annotations", Self.maxReplicasAnnotation]] = .string(maxReplicas)
        if from != size {
            rs[path: ["spec", "replicas"]] = .int(Int64(size))
            rs[path: ["metadata", "generation"]] = .int((rs[path: ["metadata", "generation"]]?.intValue ?? 1) + 1)
        }
        storeReplicaSet(&s, rs)
        guard from != size else { return false }
        recordEvent(
            about: s.d, kind: "Deployment", reason: "ScalingReplicaSet",
            message: "Scaled \(size > from ? "up" : "down") replica set \(name) from \(from) to \(size)", component: "deployment-controller")
        return true
    }

    // MARK: Rolling update

    /// Scales the new ReplicaSet towards `replicas` within replicas + maxSurge.
    func reconcileNewReplicaSet(_ s: inout DeploymentSync) -> Bool {
        guard let new = s.newRS else { return false }
        let size = DeploymentSync.spec(new)
        if size == s.replicas { return false }
        if size > s.replicas { return scaleReplicaSet(&s, Self.name(new), to: s.replicas) }
        let current = s.rss.reduce(0) { $0 + DeploymentSync.spec($1) }
        let room = s.replicas + s.maxSurge - current
        guard room > 0 else { return false }
        return scaleReplicaSet(&s, Self.name(new), to: size + min(room, s.replicas - size))
    }

    /// Scales old ReplicaSets down as far as availability allows: first pods that are not
    /// available anyway, then available ones above replicas - maxUnavailable.
    func reconcileOldReplicaSets(_ s: inout DeploymentSync) -> Bool {
        let oldCount = s.oldRSs.reduce(0) { $0 + DeploymentSync.spec($1) }
        guard oldCount > 0 else { return false }
        let all = s.rss.reduce(0) { $0 + DeploymentSync.spec($1) }
        let minAvailable = s.replicas - s.maxUnavailable
        let newUnavailable = s.newRS.map { DeploymentSync.spec($0) - DeploymentSync.status($0, "availableReplicas") } ?? 0
        let maxScaledDown = all - minAvailable - newUnavailable
        guard maxScaledDown > 0 else { return false }
        var cleaned = 0
        for rs in s.oldRSs {
            guard cleaned < maxScaledDown else { break }
            let size = DeploymentSync.spec(rs), available = DeploymentSync.status(rs, "availableReplicas")
            guard size > 0, size != available else { continue }
            let down = min(maxScaledDown - cleaned, size - available)
            scaleReplicaSet(&s, Self.name(rs), to: size - down)
            cleaned += down
        }
        let available = s.rss.reduce(0) { $0 + DeploymentSync.status($1, "availableReplicas") }
        var scaledDown = 0
        if available > minAvailable {
            let total = available - minAvailable
            for rs in s.oldRSs {
                guard scaledDown < total else { break }
                let size = DeploymentSync.spec(rs)
                guard size > 0 else { continue }
                let down = min(size, total - scaledDown)
                scaleReplicaSet(&s, Self.name(rs), to: size - down)
                scaledDown += down
            }
        }
        return cleaned + scaledDown > 0
    }
}
