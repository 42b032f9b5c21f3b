/// DaemonSet placement: which nodes the DaemonSet controller gives a pod, and why not the others.

/// The controller's verdict for one node.
public struct NodeDecision: Sendable, Hashable, Codable {
    public var node: String
    /// The controller creates a pod here if none is running (`shouldRun`).
    public var shouldRun: Bool
    /// A pod already running here is kept (`shouldContinueRunning`): true whenever `shouldRun`
    /// is, and also when only NoSchedule taints block, since those do not evict.
    public var shouldContinueRunning: Bool
    /// Why not, one line each, prefixed with the node name. Empty when `shouldRun`.
    public var reasons: [String]
    /// Facts that do not change the verdict but explain what the user will see.
    public var warnings: [String]

    public init(node: String, shouldRun: Bool, shouldContinueRunning: Bool, reasons: [String], warnings: [String]) {
        self.node = node
        self.shouldRun = shouldRun
        self.shouldContinueRunning = shouldContinueRunning
        self.reasons = reasons
        self.warnings = warnings
    }
}

public enum Placement {
    /// One decision per node, in node order.
    ///
    /// Mirrors `NodeShouldRunDaemonPod` and `predicates` in
    /// pkg/controller/daemon/daemon_controller.go: the pod is built with the controller's own
    /// tolerations (`NewPod` → `AddOrUpdateDaemonPodTolerations`); a template `nodeName` for
    /// another node, a nodeSelector or required affinity mismatch means neither run nor keep;
    /// an untolerated NoSchedule or NoExecute taint means do not run, and keep only if no
    /// untolerated taint is NoExecute. Node readiness and `spec.unschedulable` are not read at
    /// all: they act only through the taints the node lifecycle controller adds.
    ///
    /// The default scheduler then binds the pod; resource, host-port and volume limits can still
    /// leave it Pending, which is beyond this function.
    public static func daemonSet(nodes: [NodeInfo], pod: PodPlacementSpec) -> [NodeDecision] {
        let tolerations = daemonPodTolerations(pod.tolerations, hostNetwork: pod.hostNetwork)
        return nodes.map { decide(node: $0, pod: pod, tolerations: tolerations) }
    }

    /// The template's tolerations plus the controller's, with its `AddOrUpdate` rule: a template
    /// toleration with the same key, operator, value and effect is replaced (so a
    /// `tolerationSeconds` there is dropped), others are kept, missing ones appended.
    ///
    /// Mirrors `AddOrUpdateDaemonPodTolerations` in pkg/controller/daemon/util/daemonset_util.go:
    /// not-ready and unreachable (NoExecute), disk/memory/pid-pressure and unschedulable
    /// (NoSchedule), and network-unavailable (NoSchedule) for hostNetwork pods only. Note what
    /// is absent: `not-ready:NoSchedule`, so a NotReady node gets no new DaemonSet pod.
    public static func daemonPodTolerations(_ template: [Toleration], hostNetwork: Bool) -> [Toleration] {
        var added: [(String, TaintEffect)] = [
            (TaintKey.notReady, .noExecute), (TaintKey.unreachable, .noExecute),
            (TaintKey.diskPressure, .noSchedule), (TaintKey.memoryPressure, .noSchedule),
            (TaintKey.pidPressure, .noSchedule), (TaintKey.unschedulable, .noSchedule)
        ]
        if hostNetwork { added.append((TaintKey.networkUnavailable, .noSchedule)) }
        var result = template
        for (key, effect) in added {
            let toleration = Toleration(key: key, operator: .exists, effect: effect)
            if let index = result.firstIndex(where: { $0.sameIdentity(as: toleration) }) {
                result[index] = toleration
            } else {
                result.append(toleration)
            }
        }
        return result
    }

    static func decide(node: NodeInfo, pod: PodPlacementSpec, tolerations: [Toleration]) -> NodeDecision {
        var reasons: [String] = []
        var warnings: [String] = []

        if let pinned = pod.nodeName, !pinned.isEmpty, pinned != node.name {
            reasons.append("the pod template pins nodeName \(pinned)")
        }
        // `labels.SelectorFromSet`: each pair must be present with exactly that value.
        for (key, wanted) in pod.nodeSelector.sorted(by: { $0.key < $1.key }) where node.labels[key] != wanted {
            let actual = node.labels[key].map { "label \(key)=\($0)" } ?? "no label \(key)"
            reasons.append("nodeSelector \(key)=\(wanted) does not match (\(actual))")
        }
        if let affinity = pod.requiredAffinity, let why = affinity.mismatch(nodeName: node.name, labels: node.labels) {
            reasons.append(why)
        }
        let fitsNameAndAffinity = reasons.isEmpty

        // `FindMatchingUntoleratedTaint` with the NoSchedule/NoExecute filter. The controller stops
        // at the first; all are listed here so one run explains everything.
        var blockingNoExecute = false
        var blockingTaints = false
        for taint in node.taints where !tolerations.contains(where: { $0.tolerates(taint) }) {
            switch taint.effect {
            case .preferNoSchedule:
                warnings.append("taint \(taint) not tolerated; PreferNoSchedule never blocks a DaemonSet pod")
            case .noSchedule, .noExecute:
                blockingTaints = true
                blockingNoExecute = blockingNoExecute || taint.effect == .noExecute
                reasons.append("taint \(taint) not tolerated\(hint(for: taint))")
            }
        }
        let shouldRun = fitsNameAndAffinity && !blockingTaints
        let shouldContinue = fitsNameAndAffinity && !blockingNoExecute

        if !node.ready && shouldContinue {
            warnings.append("node NotReady: the pod cannot become Ready until the node recovers")
        }
        if node.unschedulable && shouldRun {
            warnings.append("node cordoned: DaemonSet pods still run here (the controller tolerates \(TaintKey.unschedulable))")
        }
        if !shouldRun && shouldContinue {
            warnings.append("a pod already running here is kept: no untolerated NoExecute taint")
        }
        return NodeDecision(
            node: node.name, shouldRun: shouldRun, shouldContinueRunning: shouldContinue,
            reasons: reasons.map { "\(node.name): \($0)" }, warnings: warnings)
    }

    /// Why a well-known taint is there and why the DaemonSet's automatic tolerations miss it.
    static func hint(for taint: Taint) -> String {
        switch (taint.key, taint.effect) {
        case (TaintKey.notReady, .noSchedule), (TaintKey.unreachable, .noSchedule):
            return " (node not Ready; DaemonSets tolerate only its NoExecute taint, so the pod is created once the node is Ready)"
        case (TaintKey.networkUnavailable, .noSchedule):
            return " (node network not ready; only hostNetwork DaemonSet pods tolerate it)"
        default:
            return ""
        }
    }
}
