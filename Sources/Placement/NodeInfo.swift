/// The parts of a Node and of a pod template that decide DaemonSet placement. Kept this small so
/// the same values can come from the live API (Kube), from simulated nodes (Local) or from a test.

public struct NodeInfo: Sendable, Hashable, Codable {
    public var name: String
    public var labels: [String: String]
    /// `spec.taints` as the API returns them. Placement reads only these, as the controller does;
    /// `ready`, `unschedulable` and `conditions` only add warnings (see `withLifecycleTaints`).
    public var taints: [Taint]
    /// `spec.unschedulable` (cordoned).
    public var unschedulable: Bool
    /// The Ready condition is True.
    public var ready: Bool
    /// Condition type to status ("True", "False", "Unknown"), e.g. `["MemoryPressure": "True"]`.
    /// A "Ready" entry, when present, says whether a not-ready node is NotReady or Unknown.
    public var conditions: [String: String]

    public init(
        name: String, labels: [String: String] = [:], taints: [Taint] = [],
        unschedulable: Bool = false, ready: Bool = true, conditions: [String: String] = [:]
    ) {
        self.name = name
        self.labels = labels
        self.taints = taints
        self.unschedulable = unschedulable
        self.ready = ready
        self.conditions = conditions
    }

    /// The node with the taints the node lifecycle controller would have left on it by now.
    ///
    /// A real node never stays NotReady or cordoned without them, and they change the answer:
    /// `not-ready:NoSchedule` is not among the DaemonSet tolerations, so a NotReady node gets no
    /// new DaemonSet pod. The controller owns those keys both ways: a NoSchedule taint with one
    /// of them that the node's state does not justify (set by hand, or left from before) is
    /// removed, and so are the not-ready/unreachable NoExecute taints once the node is Ready
    /// (or the other one of the pair). Simulated nodes (Local) and live nodes call this so they
    /// behave like real ones. Mirrors `doNoScheduleTaintingPass` (`nodeConditionToTaintKeyStatusMap`
    /// plus `spec.unschedulable`) and taint-based eviction (`NotReadyTaintTemplate`,
    /// `UnreachableTaintTemplate`, `markNodeAsReachable`) in
    /// pkg/controller/nodelifecycle/node_lifecycle_controller.go.
    public func withLifecycleTaints() -> NodeInfo {
        var noSchedule: [String] = []
        var noExecute: String?
        var staleNoExecute: Set<String> = [TaintKey.notReady, TaintKey.unreachable]
        if !ready {
            let key = conditions["Ready"] == "Unknown" ? TaintKey.unreachable : TaintKey.notReady
            noSchedule.append(key)
            noExecute = key
            staleNoExecute.remove(key)
        }
        let byCondition = [
            ("MemoryPressure", TaintKey.memoryPressure), ("DiskPressure", TaintKey.diskPressure),
            ("PIDPressure", TaintKey.pidPressure), ("NetworkUnavailable", TaintKey.networkUnavailable)
        ]
        for (condition, key) in byCondition where conditions[condition] == "True" { noSchedule.append(key) }
        if unschedulable { noSchedule.append(TaintKey.unschedulable) }
        let managed = Set([TaintKey.notReady, TaintKey.unreachable, TaintKey.unschedulable] + byCondition.map(\.1))
        var copy = self
        copy.taints = taints.filter { t in
            switch t.effect {
            case .noSchedule: return !managed.contains(t.key) || noSchedule.contains(t.key)
            case .noExecute: return !staleNoExecute.contains(t.key)
            case .preferNoSchedule: return true
            }
        }
        var wanted = noSchedule.map { Taint(key: $0, effect: .noSchedule) }
        if let noExecute { wanted.append(Taint(key: noExecute, effect: .noExecute)) }
        for taint in wanted where !copy.taints.contains(where: { $0.key == taint.key && $0.effect == taint.effect }) {
            copy.taints.append(taint)
        }
        return copy
    }
}

/// What a DaemonSet's pod template says about where it may run.
public struct PodPlacementSpec: Sendable, Hashable, Codable {
    /// `spec.nodeSelector`: every pair must equal a node label.
    public var nodeSelector: [String: String]
    /// `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`; nil when unset.
    /// Preferred affinity never excludes a node and is not modelled.
    public var requiredAffinity: NodeAffinity?
    /// The template's own tolerations; the controller's are added by `Placement.daemonPodTolerations`.
    public var tolerations: [Toleration]
    public var hostNetwork: Bool
    /// `spec.nodeName` in the template: rare, but it pins the DaemonSet to one node.
    public var nodeName: String?

    public init(
        nodeSelector: [String: String] = [:], requiredAffinity: NodeAffinity? = nil,
        tolerations: [Toleration] = [], hostNetwork: Bool = false, nodeName: String? = nil
    ) {
        self.nodeSelector = nodeSelector
        self.requiredAffinity = requiredAffinity
        self.tolerations = tolerations
        self.hostNetwork = hostNetwork
        self.nodeName = nodeName
    }
}
