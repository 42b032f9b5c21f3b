import Testing

@testable import Placement

@Test func kindNamesFollowKindsNamer() {
    let nodes = Placement.kindNodes(clusterName: "slim", roles: [.controlPlane, .worker, .worker, .worker, .controlPlane])
    #expect(nodes.map(\.name) == ["slim-control-plane", "slim-control-plane2", "slim-worker", "slim-worker2", "slim-worker3"])
}

@Test func kindLabelsAndTaints() throws {
    let nodes = Placement.kindNodes(clusterName: "kind", roles: [.controlPlane, .worker])
    let cp = try #require(nodes.first { $0.name == "kind-control-plane" })
    let worker = try #require(nodes.first { $0.name == "kind-worker" })
    for node in nodes {
        #expect(node.labels["kubernetes.io/hostname"] == node.name)
        #expect(node.labels["kubernetes.io/os"] == "linux")
        #expect(node.labels["kubernetes.io/arch"] == "amd64")
        #expect(node.ready && !node.unschedulable)
    }
    #expect(cp.labels["node-role.kubernetes.io/control-plane"] == "")
    #expect(cp.labels["node.kubernetes.io/exclude-from-external-load-balancers"] == "")
    #expect(cp.taints == [Taint(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule)])
    #expect(worker.taints.isEmpty)
    #expect(worker.labels["node-role.kubernetes.io/control-plane"] == nil)
    #expect(Placement.kindNodes(clusterName: "k", roles: [.worker], arch: "arm64")[0].labels["kubernetes.io/arch"] == "arm64")
}

@Test func singleNodeKindClusterHasNoControlPlaneTaint() {
    for roles in [[NodeRole.controlPlane], []] {
        let nodes = Placement.kindNodes(clusterName: "solo", roles: roles)
        #expect(nodes.map(\.name) == ["solo-control-plane"])
        #expect(nodes[0].taints.isEmpty)
        #expect(nodes[0].labels["node-role.kubernetes.io/control-plane"] == "")
        #expect(nodes[0].labels["node.kubernetes.io/exclude-from-external-load-balancers"] == nil)
        #expect(Placement.daemonSet(nodes: nodes, pod: PodPlacementSpec()).allSatisfy { $0.shouldRun })
    }
}

@Test func kindNodesAreListedInApiOrder() throws {
    let roles = Array(repeating: NodeRole.worker, count: 11) + [.controlPlane]
    let names = Placement.kindNodes(clusterName: "c", roles: roles).map(\.name)
    #expect(names.first == "c-control-plane")
    #expect(names == names.sorted())
    let ten = try #require(names.firstIndex(of: "c-worker10"))
    let two = try #require(names.firstIndex(of: "c-worker2"))
    #expect(ten < two)
}

@Test func statefulSetPodNames() {
    #expect(Placement.statefulSetPodNames(name: "slim", replicas: 3) == ["slim-0", "slim-1", "slim-2"])
    #expect(Placement.statefulSetPodNames(name: "slim", replicas: 0).isEmpty)
    #expect(Placement.statefulSetPodNames(name: "slim", replicas: -1).isEmpty)
    #expect(Placement.statefulSetPodNames(name: "db", replicas: 2, start: 5) == ["db-5", "db-6"])
}
