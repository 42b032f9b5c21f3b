import YAML

/// The node lifecycle controller's taints: what `kubectl describe node` shows on a NotReady or
/// cordoned node, and the only way node trouble reaches the scheduler and the DaemonSet
/// controller (neither reads conditions or `spec.unschedulable` for that). Written from the
/// controller's documented behaviour (taint nodes by condition, taint-based eviction):
///
/// - NoSchedule, one per condition: Ready False → not-ready, Ready Unknown → unreachable,
///   MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable True → memory-pressure,
///   disk-pressure, pid-pressure, network-unavailable; `spec.unschedulable` → unschedulable.
///   NoSchedule taints with these keys that the node's state no longer justifies are removed,
///   whoever added them (the controller owns those keys).
/// - NoExecute: Ready False → not-ready, Unknown → unreachable (the two exclusive); Ready True
///   removes both.
///
/// Differences from Kubernetes: the taints follow at once (no grace period, no rate-limited
/// eviction queue); a node that never reported a Ready condition gets no taint (the real
/// controller waits its startup grace period, then marks it Unknown); pods on a node with an
/// untolerated NoExecute taint are not evicted (only the DaemonSet controller removes its
/// own pods there).
extension SimCluster {
    static let conditionTaints: [(condition: String, status: String, key: String)] = [
        ("Ready", "False", SimTaintKey.notReady), ("Ready", "Unknown", SimTaintKey.unreachable),
        ("MemoryPressure", "True", SimTaintKey.memoryPressure), ("DiskPressure", "True", SimTaintKey.diskPressure),
        ("PIDPressure", "True", SimTaintKey.pidPressure), ("NetworkUnavailable", "True", SimTaintKey.networkUnavailable)
    ]
    static let lifecycleNoScheduleKeys: Set<String> = Set(conditionTaints.map(\.key) + [SimTaintKey.unschedulable])

    static func conditions(of node: Value) -> [String: String] {
        var out: [String: String] = [:]
        for c in node[path: ["status", "conditions"]]?.list ?? [] {
            if let t = c["type"]?.str, let s = c["status"]?.str { out[t] = s }
        }
        return out
    }

    /// The node's taints once the lifecycle controller has acted on its current state.
    static func lifecycleTaints(of node: Value) -> [SimTaint] {
        let conditions = conditions(of: node)
        var noSchedule: [String] = conditionTaints.filter { conditions[$0.condition] == $0.status }.map(\.key)
        if node[path: ["spec", "unschedulable"]]?.boolValue == true { noSchedule.append(SimTaintKey.unschedulable) }
        var noExecute: String?
        var staleNoExecute: Set<String> = []
        switch conditions["Ready"] {
        case "False": noExecute = SimTaintKey.notReady; staleNoExecute = [SimTaintKey.unreachable]
        case "Unknown": noExecute = SimTaintKey.unreachable; staleNoExecute = [SimTaintKey.notReady]
        case "True": staleNoExecute = [SimTaintKey.notReady, SimTaintKey.unreachable]
        default: break
        }
        var taints = SimTaint.list(node[path: ["spec", "taints"]]).filter { t in
            switch t.effect {
            case .noSchedule: return !lifecycleNoScheduleKeys.contains(t.key) || noSchedule.contains(t.key)
            case .noExecute: return !staleNoExecute.contains(t.key)
            case .preferNoSchedule: return true
            }
        }
        for key in noSchedule where !taints.contains(where: { $0.key == key && $0.effect == .noSchedule }) {
            taints.append(SimTaint(key: key, effect: .noSchedule))
        }
        if let key = noExecute, !taints.contains(where: { $0.key == key && $0.effect == .noExecute }) {
            taints.append(SimTaint(key: key, effect: .noExecute))
        }
        return taints
    }

    /// One pass over every node, when a node was written since the last: writes `spec.taints`
    /// where the lifecycle taints changed.
    func nodeLifecycleLocked() {
        guard nodesWrittenAt > nodesLifecycleAt else { return }
        nodesLifecycleAt = nodesWrittenAt
        let r = Self.res("nodes")
        for node in allLocked(r, namespace: nil) {
            let current = SimTaint.list(node[path: ["spec", "taints"]])
            let wanted = Self.lifecycleTaints(of: node)
            guard wanted != current else { continue }
            var updated = node
            updated[path: ["spec", "taints"]] = wanted.isEmpty ? nil : .list(wanted.map(\.json))
            updateLocked(r, updated)
        }
    }
}
