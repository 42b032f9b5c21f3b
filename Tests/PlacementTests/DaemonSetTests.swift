import Testing

@testable import Placement

private let controlPlaneToleration = Toleration(key: "node-role.kubernetes.io/control-plane", operator: .exists, effect: .noSchedule)

private func decision(_ node: NodeInfo, _ pod: PodPlacementSpec = PodPlacementSpec()) -> NodeDecision {
    let all = Placement.daemonSet(nodes: [node], pod: pod)
    #expect(all.count == 1)
    return all[0]
}

@Test func kindClusterDefaultSkipsControlPlane() {
    let nodes = Placement.kindNodes(clusterName: "slim-cluster", roles: [.controlPlane, .worker, .worker])
    let decisions = Placement.daemonSet(nodes: nodes, pod: PodPlacementSpec())
    #expect(decisions.map(\.node) == nodes.map(\.name))
    #expect(decisions.filter(\.shouldRun).map(\.node) == ["slim-cluster-worker", "slim-cluster-worker2"])
    let cp = decisions[0]
    #expect(cp.node == "slim-cluster-control-plane")
    #expect(cp.reasons == ["slim-cluster-control-plane: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"])
    // NoSchedule only: a pod already there would be kept.
    #expect(cp.shouldContinueRunning)
    #expect(decisions.filter(\.shouldRun).allSatisfy { $0.reasons.isEmpty && $0.warnings.isEmpty })
}

@Test func controlPlaneTolerationRunsEverywhere() {
    let nodes = Placement.kindNodes(clusterName: "c", roles: [.controlPlane, .worker])
    let pod = PodPlacementSpec(tolerations: [controlPlaneToleration])
    #expect(Placement.daemonSet(nodes: nodes, pod: pod).allSatisfy { $0.shouldRun })
    // A blanket "tolerate everything" does too.
    let all = PodPlacementSpec(tolerations: [Toleration(operator: .exists)])
    #expect(Placement.daemonSet(nodes: nodes, pod: all).allSatisfy { $0.shouldRun })
}

@Test func nodeSelectorMismatchIsExplained() {
    let node = NodeInfo(name: "worker-3", labels: ["kubernetes.io/os": "linux"])
    let d = decision(node, PodPlacementSpec(nodeSelector: ["kubernetes.io/os": "windows", "gpu": "true"]))
    #expect(!d.shouldRun && !d.shouldContinueRunning)
    #expect(
        d.reasons == [
            "worker-3: nodeSelector gpu=true does not match (no label gpu)",
            "worker-3: nodeSelector kubernetes.io/os=windows does not match (label kubernetes.io/os=linux)"
        ])
    #expect(decision(node, PodPlacementSpec(nodeSelector: ["kubernetes.io/os": "linux"])).shouldRun)
    // An empty-valued selector needs the label, with the empty value.
    #expect(!decision(node, PodPlacementSpec(nodeSelector: ["role": ""])).shouldRun)
    #expect(decision(NodeInfo(name: "n", labels: ["role": ""]), PodPlacementSpec(nodeSelector: ["role": ""])).shouldRun)
}

@Test func affinityMismatchIsExplainedAndFatal() {
    let affinity = NodeAffinity(nodeSelectorTerms: [
        NodeSelectorTerm(matchExpressions: [
            NodeSelectorRequirement(key: "zone", operator: .in, values: ["a", "b"])
        ])
    ])
    let d = decision(NodeInfo(name: "w", labels: ["zone": "c"]), PodPlacementSpec(requiredAffinity: affinity))
    #expect(!d.shouldRun && !d.shouldContinueRunning)
    #expect(d.reasons == ["w: node affinity: no term matches (zone In [a,b]; node has zone=c)"])
    #expect(decision(NodeInfo(name: "w", labels: ["zone": "b"]), PodPlacementSpec(requiredAffinity: affinity)).shouldRun)
}

@Test func templateNodeNamePinsOneNode() {
    let pod = PodPlacementSpec(nodeName: "w1")
    #expect(decision(NodeInfo(name: "w1"), pod).shouldRun)
    let other = decision(NodeInfo(name: "w2"), pod)
    #expect(!other.shouldRun && !other.shouldContinueRunning)
    #expect(other.reasons == ["w2: the pod template pins nodeName w1"])
}

@Test func preferNoScheduleNeverBlocks() {
    let node = NodeInfo(name: "w", taints: [Taint(key: "spot", value: "true", effect: .preferNoSchedule)])
    let d = decision(node)
    #expect(d.shouldRun && d.shouldContinueRunning && d.reasons.isEmpty)
    #expect(d.warnings == ["taint spot=true:PreferNoSchedule not tolerated; PreferNoSchedule never blocks a DaemonSet pod"])
}

@Test func noExecuteExcludesAndEvicts() {
    let node = NodeInfo(name: "w", taints: [Taint(key: "dedicated", value: "db", effect: .noExecute)])
    let d = decision(node)
    #expect(!d.shouldRun && !d.shouldContinueRunning)
    #expect(d.reasons == ["w: taint dedicated=db:NoExecute not tolerated"])
    #expect(decision(node, PodPlacementSpec(tolerations: [Toleration(key: "dedicated", value: "db", effect: .noExecute)])).shouldRun)
}

@Test func noScheduleExcludesButKeeps() {
    let d = decision(NodeInfo(name: "worker-2", taints: [Taint(key: "dedicated", value: "gpu", effect: .noSchedule)]))
    #expect(!d.shouldRun && d.shouldContinueRunning)
    #expect(d.reasons == ["worker-2: taint dedicated=gpu:NoSchedule not tolerated"])
    #expect(d.warnings == ["a pod already running here is kept: no untolerated NoExecute taint"])
}

/// Every taint the controller tolerates on its own, and the one it does not.
struct ControllerTaintCase: Sendable, CustomTestStringConvertible {
    let taint: Taint
    let hostNetwork: Bool
    let runs: Bool
    var testDescription: String { "\(taint) hostNetwork=\(hostNetwork)" }
}

let controllerTaintCases: [ControllerTaintCase] = [
    .init(taint: Taint(key: TaintKey.notReady, effect: .noExecute), hostNetwork: false, runs: true),
    .init(taint: Taint(key: TaintKey.unreachable, effect: .noExecute), hostNetwork: false, runs: true),
    .init(taint: Taint(key: TaintKey.diskPressure, effect: .noSchedule), hostNetwork: false, runs: true),
    .init(taint: Taint(key: TaintKey.memoryPressure, effect: .noSchedule), hostNetwork: false, runs: true),
    .init(taint: Taint(key: TaintKey.pidPressure, effect: .noSchedule), hostNetwork: false, runs: true),
    .init(taint: Taint(key: TaintKey.unschedulable, effect: .noSchedule), hostNetwork: false, runs: true),
    .init(taint: Taint(key: TaintKey.networkUnavailable, effect: .noSchedule), hostNetwork: true, runs: true),
    .init(taint: Taint(key: TaintKey.networkUnavailable, effect: .noSchedule), hostNetwork: false, runs: false),
    .init(taint: Taint(key: TaintKey.notReady, effect: .noSchedule), hostNetwork: true, runs: false),
    .init(taint: Taint(key: TaintKey.unreachable, effect: .noSchedule), hostNetwork: true, runs: false),
    // The pressure tolerations are NoSchedule only.
    .init(taint: Taint(key: TaintKey.memoryPressure, effect: .noExecute), hostNetwork: true, runs: false)
]

@Test(arguments: controllerTaintCases)
func controllerTolerations(_ c: ControllerTaintCase) {
    let d = decision(NodeInfo(name: "n", taints: [c.taint]), PodPlacementSpec(hostNetwork: c.hostNetwork))
    #expect(d.shouldRun == c.runs)
    #expect(d.reasons.isEmpty == c.runs)
}

@Test func cordonedNodeStillRunsWithWarning() {
    let node = NodeInfo(name: "w", unschedulable: true).withLifecycleTaints()
    #expect(node.taints == [Taint(key: TaintKey.unschedulable, effect: .noSchedule)])
    let d = decision(node)
    #expect(d.shouldRun)
    #expect(d.warnings == ["node cordoned: DaemonSet pods still run here (the controller tolerates node.kubernetes.io/unschedulable)"])
}

@Test func notReadyNodeWithoutTaintsYetRunsWithWarning() {
    // Right after the kubelet reports NotReady, before the lifecycle controller taints the node.
    let d = decision(NodeInfo(name: "w", ready: false))
    #expect(d.shouldRun)
    #expect(d.warnings == ["node NotReady: the pod cannot become Ready until the node recovers"])
}

@Test func notReadyNodeWithLifecycleTaintsKeepsButDoesNotCreate() {
    let node = NodeInfo(name: "w", ready: false, conditions: ["Ready": "False"]).withLifecycleTaints()
    #expect(Set(node.taints) == [Taint(key: TaintKey.notReady, effect: .noSchedule), Taint(key: TaintKey.notReady, effect: .noExecute)])
    let d = decision(node)
    #expect(!d.shouldRun && d.shouldContinueRunning)
    #expect(d.reasons.count == 1)
    #expect(d.reasons[0].hasPrefix("w: taint node.kubernetes.io/not-ready:NoSchedule not tolerated (node not Ready"))
    #expect(d.warnings.contains("node NotReady: the pod cannot become Ready until the node recovers"))

    let unknown = NodeInfo(name: "u", ready: false, conditions: ["Ready": "Unknown"]).withLifecycleTaints()
    #expect(Set(unknown.taints.map(\.key)) == [TaintKey.unreachable])
}

@Test func lifecycleTaintsFromConditionsAreIdempotent() {
    let node = NodeInfo(
        name: "w",
        conditions: [
            "MemoryPressure": "True", "DiskPressure": "False", "PIDPressure": "True",
            "NetworkUnavailable": "True"
        ])
    let tainted = node.withLifecycleTaints()
    #expect(Set(tainted.taints.map(\.key)) == [TaintKey.memoryPressure, TaintKey.pidPressure, TaintKey.networkUnavailable])
    #expect(tainted.withLifecycleTaints() == tainted)
    #expect(decision(tainted, PodPlacementSpec(hostNetwork: true)).shouldRun)
    #expect(!decision(tainted).shouldRun)
}

/// Found by the simulator differential test: the lifecycle controller owns its taint keys both
/// ways, so such taints set by hand on a healthy node do not last, and a DaemonSet pod runs there.
@Test func lifecycleTaintsTheNodeStateDoesNotJustifyAreRemoved() {
    let handSet = [
        Taint(key: TaintKey.notReady, value: "a", effect: .noSchedule), Taint(key: TaintKey.networkUnavailable, effect: .noSchedule),
        Taint(key: TaintKey.unschedulable, effect: .noSchedule), Taint(key: TaintKey.unreachable, effect: .noExecute),
        Taint(key: TaintKey.memoryPressure, effect: .noExecute), Taint(key: TaintKey.diskPressure, effect: .preferNoSchedule),
        Taint(key: "dedicated", effect: .noSchedule)
    ]
    let healthy = NodeInfo(name: "w", taints: handSet, conditions: ["Ready": "True"]).withLifecycleTaints()
    #expect(
        healthy.taints == [
            Taint(key: TaintKey.memoryPressure, effect: .noExecute), Taint(key: TaintKey.diskPressure, effect: .preferNoSchedule),
            Taint(key: "dedicated", effect: .noSchedule)
        ])
    #expect(decision(NodeInfo(name: "w", taints: [Taint(key: TaintKey.notReady, effect: .noSchedule)]).withLifecycleTaints()).shouldRun)

    // NotReady: the unreachable NoExecute taint gives way to not-ready's; a justified taint keeps its value.
    let notReady = NodeInfo(
        name: "n", taints: [Taint(key: TaintKey.unreachable, effect: .noExecute), Taint(key: TaintKey.notReady, value: "x", effect: .noSchedule)],
        ready: false, conditions: ["Ready": "False"]
    ).withLifecycleTaints()
    #expect(notReady.taints == [Taint(key: TaintKey.notReady, value: "x", effect: .noSchedule), Taint(key: TaintKey.notReady, effect: .noExecute)])
}

@Test func everyReasonIsListedNotJustTheFirst() {
    let node = NodeInfo(
        name: "n", labels: ["zone": "c"],
        taints: [Taint(key: "a", effect: .noSchedule), Taint(key: "b", value: "1", effect: .noExecute)])
    let affinity = NodeAffinity(nodeSelectorTerms: [
        NodeSelectorTerm(matchExpressions: [
            NodeSelectorRequirement(key: "zone", operator: .in, values: ["a"])
        ])
    ])
    let d = decision(node, PodPlacementSpec(nodeSelector: ["os": "linux"], requiredAffinity: affinity))
    #expect(
        d.reasons == [
            "n: nodeSelector os=linux does not match (no label os)",
            "n: node affinity: no term matches (zone In [a]; node has zone=c)",
            "n: taint a:NoSchedule not tolerated",
            "n: taint b=1:NoExecute not tolerated"
        ])
}
