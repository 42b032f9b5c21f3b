import YAML

/// Resizing a Deployment without rolling it out, and pruning its history (see SimDeployments).
extension SimCluster {
    /// `scale`: one active (or the latest) ReplicaSet takes the whole count; a saturated new
    /// ReplicaSet retires the old ones; otherwise the difference to replicas + maxSurge is
    /// shared in proportion to each ReplicaSet's size, the largest taking the leftover.
    func scaleDeployment(_ s: inout DeploymentSync) {
        let active = s.rss.filter { DeploymentSync.spec($0) > 0 }
        let target: Value? = active.count == 1 ? active[0] : (active.isEmpty ? (s.newRS ?? s.oldRSs.last) : nil)
        if let target {
            if DeploymentSync.spec(target) != s.replicas { scaleReplicaSet(&s, Self.name(target), to: s.replicas) }
            return
        }
        if let new = s.newRS, DeploymentSync.spec(new) == s.replicas, DeploymentSync.status(new, "availableReplicas") == s.replicas,
            new[path: ["metadata", "annotations", Self.desiredReplicasAnnotation]]?.str == String(s.replicas)
        {
            for rs in s.oldRSs where DeploymentSync.spec(rs) > 0 { scaleReplicaSet(&s, Self.name(rs), to: 0) }
            return
        }
        guard s.rolling else { return }
        let allowed = s.replicas > 0 ? s.replicas + s.maxSurge : 0
        let toAdd = allowed - active.reduce(0) { $0 + DeploymentSync.spec($1) }
        let creation = Dictionary(uniqueKeysWithValues: s.rss.enumerated().map { (Self.name($0.element), $0.offset) })
        let ordered = active.sorted { a, b in
            let (sa, sb) = (DeploymentSync.spec(a), DeploymentSync.spec(b))
            if sa != sb { return sa > sb }
            let (ca, cb) = (creation[Self.name(a)] ?? 0, creation[Self.name(b)] ?? 0)
            return toAdd > 0 ? ca > cb : ca < cb
        }
        var added = 0
        var sizes: [String: Int] = [:]
        for rs in ordered {
            let size = DeploymentSync.spec(rs)
            var part = 0
            if toAdd != 0 && size != 0 && toAdd != added {
                var before = Int(rs[path: ["metadata", "annotations", Self.maxReplicasAnnotation]]?.str ?? "") ?? 0
                if before == 0 { before = DeploymentSync.status(s.d, "replicas") }
                let fraction = s.replicas == 0 ? -size : (before == 0 ? 0 : Int((Double(size * allowed) / Double(before)).rounded()) - size)
                part = toAdd > 0 ? min(fraction, toAdd - added) : max(fraction, toAdd - added)
            }
            sizes[Self.name(rs)] = size + part
            added += part
        }
        for (i, rs) in ordered.enumerated() {
            var size = sizes[Self.name(rs)] ?? 0
            if i == 0 && toAdd != 0 { size = max(0, size + toAdd - added) }
            scaleReplicaSet(&s, Self.name(rs), to: size)
        }
    }

    /// Deletes old ReplicaSets beyond `revisionHistoryLimit`, lowest revision first, that are
    /// fully scaled down and observed.
    func cleanupDeployment(_ s: inout DeploymentSync) {
        guard let limit = s.d[path: ["spec", "revisionHistoryLimit"]]?.intValue else { return }
        let old = s.oldRSs.sorted { DeploymentSync.revision($0) < DeploymentSync.revision($1) }
        let excess = old.count - Int(limit)
        guard excess > 0 else { return }
        for rs in old.prefix(excess) {
            guard DeploymentSync.status(rs, "replicas") == 0, DeploymentSync.spec(rs) == 0,
                (rs[path: ["metadata", "generation"]]?.intValue ?? 1) <= (rs[path: ["status", "observedGeneration"]]?.intValue ?? 0)
            else { continue }
            _ = try? deleteLocked(
                Self.res("replicasets"), namespace: rs[path: ["metadata", "namespace"]]?.str, name: Self.name(rs), propagation: "Background", gracePeriod: nil)
            s.rss.removeAll { Self.name($0) == Self.name(rs) }
        }
    }
}
