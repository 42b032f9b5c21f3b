import YAML

/// One step of a DaemonSet's RollingUpdate (see SimDaemonSetController), following the
/// controller's documented invariants. Without surge: unavailable old pods are replaced at once,
/// and available old pods are deleted only while fewer than `maxUnavailable` nodes lack an
/// available pod (the new pod is then created by the next pass). With surge: a new pod is
/// created beside an unavailable old one at once, and beside an available one on at most
/// `maxSurge` nodes at a time; an old pod is deleted once the new one on its node is available.
/// Both counts are percentages of the nodes that should run the pod, rounded up; both zero
/// means `maxUnavailable` 1.
extension SimCluster {
    /// The pods to delete and the nodes to surge onto in one rolling-update step.
    func rollingUpdatePlan(
        _ ds: Value, hash: String, nodes: [SchedNode], decisions: [String: (run: Bool, keep: Bool)],
        byNode: [String: [Value]], desired: Int, available: (Value) -> Bool
    ) -> ([Value], [String]) {
        var maxSurge = Self.surgeCount(ds, desired: desired)
        var maxUnavailable = Self.unavailableCount(ds, desired: desired)
        if desired > 0 && maxSurge == 0 && maxUnavailable == 0 { maxUnavailable = 1 }
        maxSurge = max(0, maxSurge)
        let generation = ds[path: ["metadata", "annotations", Self.templateGenerationAnnotation]]?.str
        func updated(_ p: Value) -> Bool {
            let labels = p[path: ["metadata", "labels"]]
            if labels?[Self.revisionHashLabel]?.str == hash { return true }
            return generation != nil && labels?[Self.templateGenerationLabel]?.str == generation
        }
        // Nodes that should run a pod count even without one; others only with pods.
        var names = byNode.keys.filter { decisions[$0] != nil }
        for n in nodes where decisions[n.name]?.run == true && byNode[n.name] == nil { names.append(n.name) }
        names = Array(Set(names)).sorted()

        /// (new, old, ok): at most one non-deleted pod of each kind on the node.
        func split(_ node: String) -> (Value?, Value?, Bool) {
            var new: Value?, old: Value?
            for p in byNode[node] ?? [] where !Self.isTerminating(p) {
                if updated(p) {
                    if new != nil { return (nil, nil, false) }
                    new = p
                } else {
                    if old != nil { return (nil, nil, false) }
                    old = p
                }
            }
            return (new, old, true)
        }

        if maxSurge == 0 {
            var unavailable = 0
            var replace: [Value] = []
            var candidates: [Value] = []
            for node in names {
                let (new, old, ok) = split(node)
                guard ok else { unavailable += 1; continue }
                switch (new, old) {
                case (nil, nil), (.some, .some): unavailable += 1
                case (let n?, nil): if !available(n) { unavailable += 1 }
                case (nil, let o?):
                    if !available(o) { replace.append(o); unavailable += 1 } else if unavailable < maxUnavailable { candidates.append(o) }
                }
            }
            let room = min(max(0, maxUnavailable - unavailable), candidates.count)
            return (replace + candidates.prefix(room), [])
        }

        var toDelete: [Value] = []
        var shouldNotRun: [Value] = []
        var candidates: [String] = []
        var allowed: [String] = []
        var surged = 0, availableCount = 0
        for node in names {
            let (new, old, ok) = split(node)
            guard ok else { surged += 1; continue }
            if let old { if available(old) { availableCount += 1 } } else if let new, available(new) { availableCount += 1 }
            guard let old else { continue }
            let run = decisions[node]?.run ?? false
            if let new {
                if !available(new) { surged += 1 } else { toDelete.append(old) }
            } else if !available(old) {
                if run { allowed.append(node) } else { toDelete.append(old) }
            } else if !run {
                shouldNotRun.append(old)
            } else if surged < maxSurge {
                candidates.append(node)
            }
        }
        // With surge the owner expects full availability: a pod on a node it no longer fits is
        // deleted only as pods on nodes it does fit become available.
        let deletable = min(max(0, availableCount - desired), shouldNotRun.count)
        toDelete += shouldNotRun.prefix(deletable)
        let room = min(max(0, maxSurge - surged), candidates.count)
        return (toDelete, allowed + candidates.prefix(room))
    }
}
