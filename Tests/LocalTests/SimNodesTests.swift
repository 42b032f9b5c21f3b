import Placement
import Testing

@testable import Local

/// `slimctl local-node` edits: kubectl's syntax and rules, and what Placement then sees.
@Suite struct SimNodesTests {
    func base() -> [LocalState.SimNode] {
        Placement.kindNodes(clusterName: "c", roles: [.controlPlane, .worker, .worker]).map(SimNodes.simNode)
    }

    @Test func addLabelsAsKindAndRefusesDuplicatesAndBadNames() throws {
        var n = base()
        let said = try SimNodes.add(&n, name: "w9", labels: ["zone=b"], taints: ["dedicated=gpu:NoSchedule"])
        #expect(said == ["node/w9 added, labels zone=b, taints dedicated=gpu:NoSchedule"])
        let w9 = try #require(n.first { $0.name == "w9" })
        #expect(w9.labels["kubernetes.io/hostname"] == "w9" && w9.labels["zone"] == "b")
        #expect(throws: SimNodes.Failure.self) { try SimNodes.add(&n, name: "w9", labels: [], taints: []) }
        #expect(throws: SimNodes.Failure.self) { try SimNodes.add(&n, name: "Bad_Name", labels: [], taints: []) }
        #expect(throws: SimNodes.Failure.self) { try SimNodes.add(&n, name: "w10", labels: ["zone"], taints: []) }
        #expect(throws: SimNodes.Failure.self) { try SimNodes.add(&n, name: "w10", labels: [], taints: ["x=y:Sometimes"]) }
    }

    @Test func labelNeedsOverwriteToChangeAndDashRemoves() throws {
        var n = base()
        let w = n[1].name
        #expect(try SimNodes.label(&n, name: w, edits: ["zone=a"], overwrite: false) == ["node/\(w) labeled zone=a"])
        #expect(throws: SimNodes.Failure.self) { try SimNodes.label(&n, name: w, edits: ["zone=b"], overwrite: false) }
        #expect(try SimNodes.label(&n, name: w, edits: ["zone=b"], overwrite: true) == ["node/\(w) label zone=a → zone=b"])
        #expect(try SimNodes.label(&n, name: w, edits: ["zone-"], overwrite: false) == ["node/\(w) label zone removed"])
        #expect(n[1].labels["zone"] == nil)
        #expect(throws: SimNodes.Failure.self) { try SimNodes.label(&n, name: "nope", edits: ["a=b"], overwrite: false) }
    }

    @Test func taintAddRemoveByKeyAndEffect() throws {
        var n = base()
        let w = n[1].name
        _ = try SimNodes.taint(&n, name: w, edits: ["a=1:NoSchedule", "a=1:NoExecute", "b:PreferNoSchedule"], overwrite: false)
        #expect(Set(n[1].taints) == ["a=1:NoSchedule", "a=1:NoExecute", "b:PreferNoSchedule"])
        #expect(throws: SimNodes.Failure.self) { try SimNodes.taint(&n, name: w, edits: ["a=2:NoSchedule"], overwrite: false) }
        _ = try SimNodes.taint(&n, name: w, edits: ["a:NoExecute-"], overwrite: false)
        #expect(Set(n[1].taints) == ["a=1:NoSchedule", "b:PreferNoSchedule"])
        _ = try SimNodes.taint(&n, name: w, edits: ["a-", "b-"], overwrite: false)
        #expect(n[1].taints.isEmpty)
        #expect(throws: SimNodes.Failure.self) { try SimNodes.taint(&n, name: w, edits: ["a-"], overwrite: false) }
    }

    @Test func cordonBecomesTheLifecycleTaintAndDaemonSetsTolerateIt() throws {
        var n = base()
        let w = n[1].name
        #expect(try SimNodes.cordon(&n, name: w, true) == ["node/\(w) cordoned"])
        #expect(try SimNodes.cordon(&n, name: w, true) == ["node/\(w) already cordoned"])
        let info = SimNodes.nodeInfo(n[1])
        #expect(info.taints.contains(Taint(key: TaintKey.unschedulable, effect: .noSchedule)))
        let d = Placement.daemonSet(nodes: [info], pod: PodPlacementSpec())
        #expect(d[0].shouldRun && d[0].shouldContinueRunning)
    }

    @Test func fingerprintChangesWithEveryEditAndNotWithOrder() throws {
        var n = base()
        let f0 = SimNodes.fingerprint(n)
        #expect(SimNodes.fingerprint(n.reversed()) == f0)
        var a = n; _ = try SimNodes.add(&a, name: "w9", labels: [], taints: [])
        var b = n; _ = try SimNodes.cordon(&b, name: n[1].name, true)
        var c = n; _ = try SimNodes.label(&c, name: n[1].name, edits: ["x=y"], overwrite: false)
        var d = n; _ = try SimNodes.taint(&d, name: n[1].name, edits: ["x=y:NoExecute"], overwrite: false)
        _ = try SimNodes.remove(&n, name: n[2].name)
        #expect(
            Set([f0, SimNodes.fingerprint(a), SimNodes.fingerprint(b), SimNodes.fingerprint(c), SimNodes.fingerprint(d), SimNodes.fingerprint(n)]).count == 6)
    }
}

/// The change lines of `verify --watch` on the local target.
@Suite struct LocalChangesTests {
    @Test func nodesPodsAndRolloutsMakeLinesLikeTheClusters() {
        let a = LocalSnapshot(
            nodes: [.init(name: "w1"), .init(name: "w2")],
            pods: [.init(namespace: "slim", name: "slim-a", node: "w1", status: "Ready")],
            rollouts: [.init(name: "slim", revision: "r1", desired: 2, available: 1, updated: 1, total: 1)])
        let b = LocalSnapshot(
            nodes: [.init(name: "w1", unschedulable: true), .init(name: "w3")],
            pods: [.init(namespace: "slim", name: "slim-b", node: "w1", status: "Running (not ready)")],
            rollouts: [.init(name: "slim", revision: "r2", desired: 2, available: 0, updated: 1, total: 1)])
        let lines = LocalChanges.diff(a, b).map(\.text)
        #expect(
            lines == [
                "node w1 cordoned", "node w3 joined (Ready)", "node w2 removed",
                "pod slim/slim-a on w1 deleted", "pod slim/slim-b scheduled on w1 (Running (not ready))",
                "DaemonSet slim changed (revision r2): rolling out", "DaemonSet slim: 0/2 available, 1 updated"
            ])
        #expect(LocalChanges.diff(b, b).isEmpty)
        // A replacement that became Ready is said before the deletion it allowed.
        let c = LocalSnapshot(nodes: b.nodes, pods: [.init(namespace: "slim", name: "slim-b", node: "w1", status: "Ready")], rollouts: b.rollouts)
        let e = LocalSnapshot(
            nodes: b.nodes,
            pods: [
                .init(namespace: "slim", name: "slim-c", node: "w3", status: "Ready"),
                .init(namespace: "slim", name: "slim-b", node: "w1", status: "Ready")
            ], rollouts: b.rollouts)
        let f = LocalSnapshot(nodes: b.nodes, pods: [.init(namespace: "slim", name: "slim-b", node: "w1", status: "Ready")], rollouts: b.rollouts)
        #expect(LocalChanges.diff(b, c).map(\.text) == ["pod slim/slim-b on w1: Ready"])
        #expect(LocalChanges.diff(e, f).map(\.text) == ["pod slim/slim-c on w3 deleted"])
        let g = LocalSnapshot(
            nodes: b.nodes,
            pods: [
                .init(namespace: "slim", name: "slim-x", node: "w1", status: "Running (not ready)"),
                .init(namespace: "slim", name: "slim-c", node: "w3", status: "Ready")
            ], rollouts: b.rollouts)
        let h = LocalSnapshot(
            nodes: b.nodes,
            pods: [
                .init(namespace: "slim", name: "slim-x", node: "w1", status: "Ready"),
                .init(namespace: "slim", name: "slim-y", node: "w3", status: "Running (not ready)")
            ], rollouts: b.rollouts)
        #expect(
            LocalChanges.diff(g, h).map(\.text) == [
                "pod slim/slim-x on w1: Ready", "pod slim/slim-c on w3 deleted",
                "pod slim/slim-y scheduled on w3 (Running (not ready))"
            ])
        let done = LocalSnapshot(rollouts: [.init(name: "slim", revision: "r2", desired: 2, available: 2, updated: 2, total: 2)])
        #expect(LocalChanges.diff(b, done).last?.text == "DaemonSet slim: 2/2 available, 2 updated (rolled out)")
    }
}
