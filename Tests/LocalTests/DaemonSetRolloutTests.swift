import Placement
import Testing
import YAML

@testable import Local

/// The DaemonSet controller's decisions on the local target, as pure functions: which SLIM
/// nodes a re-deploy starts, stops, keeps and replaces, wave by wave.
@Suite struct DaemonSetRolloutTests {
    typealias Pod = DaemonSetRollout.Pod
    let rolling1 = DaemonSetRollout.UpdateStrategy.rollingUpdate(maxUnavailable: .int(1), maxSurge: .int(0))

    func workers(_ names: [String], taints: [String: [Taint]] = [:], cordoned: Set<String> = [], notReady: Set<String> = []) -> [NodeDecision] {
        let nodes = names.map {
            NodeInfo(
                name: $0, labels: ["kubernetes.io/hostname": $0], taints: taints[$0] ?? [],
                unschedulable: cordoned.contains($0), ready: !notReady.contains($0)
            ).withLifecycleTaints()
        }
        return Placement.daemonSet(nodes: nodes, pod: PodPlacementSpec())
    }

    func pod(_ node: String, rev: String = "r1", alive: Bool = true, ready: Bool = true) -> Pod {
        Pod(name: "slim-\(node)-\(rev)", node: node, revision: rev, alive: alive, ready: ready)
    }

    /// Runs waves the way the local target does (deletes, then creates that become ready) until done.
    func simulate(
        _ decisions: [NodeDecision], _ start: [Pod], revision: String, strategy: DaemonSetRollout.UpdateStrategy
    ) -> (waves: [DaemonSetRollout.Wave], end: [Pod]) {
        var pods = start
        var waves: [DaemonSetRollout.Wave] = []
        while waves.count < 50 {
            let w = DaemonSetRollout.next(decisions: decisions, pods: pods, revision: revision, strategy: strategy)
            if w.isEmpty { break }
            waves.append(w)
            let gone = Set(w.deletes.map(\.pod))
            pods.removeAll { gone.contains($0.name) }
            pods += w.creates.map { pod($0.node, rev: revision) }
        }
        return (waves, pods)
    }

    @Test func aNewEligibleNodeGetsItsSlimNodeAndNothingElseMoves() {
        let d = workers(["w1", "w2", "w3"])
        let w = DaemonSetRollout.next(decisions: d, pods: [pod("w1"), pod("w2")], revision: "r1", strategy: rolling1)
        #expect(w.deletes.isEmpty)
        #expect(w.creates.map(\.node) == ["w3"])
    }

    @Test func aRemovedNodeLosesItsSlimNode() {
        let w = DaemonSetRollout.next(decisions: workers(["w1"]), pods: [pod("w1"), pod("w2")], revision: "r1", strategy: rolling1)
        #expect(w.deletes.map(\.node) == ["w2"])
        #expect(w.deletes[0].reason.contains("gone"))
        #expect(w.creates.isEmpty)
    }

    @Test func cordonKeepsTheDaemonSetPodAndStillPlacesOne() {
        let d = workers(["w1", "w2"], cordoned: ["w2"])
        #expect(DaemonSetRollout.next(decisions: d, pods: [pod("w1"), pod("w2")], revision: "r1", strategy: rolling1).isEmpty)
        // A cordoned node without a pod still gets one: DaemonSet pods tolerate unschedulable.
        #expect(DaemonSetRollout.next(decisions: d, pods: [pod("w1")], revision: "r1", strategy: rolling1).creates.map(\.node) == ["w2"])
    }

    @Test func noExecuteEvictsNoScheduleOnlyKeeps() {
        let noExec = workers(["w1", "w2"], taints: ["w2": [Taint(key: "maintenance", value: "now", effect: .noExecute)]])
        let w = DaemonSetRollout.next(decisions: noExec, pods: [pod("w1"), pod("w2")], revision: "r1", strategy: rolling1)
        #expect(w.deletes.map(\.node) == ["w2"])
        #expect(w.deletes[0].reason.contains("maintenance=now:NoExecute"))
        let noSched = workers(["w1", "w2"], taints: ["w2": [Taint(key: "dedicated", value: "gpu", effect: .noSchedule)]])
        #expect(DaemonSetRollout.next(decisions: noSched, pods: [pod("w1"), pod("w2")], revision: "r1", strategy: rolling1).isEmpty)
        // …but a NoSchedule node without a pod gets none.
        #expect(DaemonSetRollout.next(decisions: noSched, pods: [pod("w1")], revision: "r1", strategy: rolling1).isEmpty)
    }

    @Test func aNotReadyNodeKeepsItsPodButGetsNoNewOne() {
        let d = workers(["w1", "w2"], notReady: ["w2"])
        #expect(DaemonSetRollout.next(decisions: d, pods: [pod("w1"), pod("w2")], revision: "r1", strategy: rolling1).isEmpty)
        #expect(DaemonSetRollout.next(decisions: d, pods: [pod("w1")], revision: "r1", strategy: rolling1).isEmpty)
    }

    @Test func aFailedPodIsReplaced() {
        let w = DaemonSetRollout.next(
            decisions: workers(["w1", "w2"]), pods: [pod("w1"), pod("w2", alive: false, ready: false)], revision: "r1", strategy: rolling1)
        #expect(w.deletes.map(\.node) == ["w2"])
        #expect(w.creates.map(\.node) == ["w2"])
    }

    @Test func rollingUpdateReplacesOneNodeAtATime() {
        let d = workers(["w1", "w2", "w3"])
        let (waves, end) = simulate(d, [pod("w1"), pod("w2"), pod("w3")], revision: "r2", strategy: rolling1)
        // delete w1, create w1, delete w2, create w2, …: never two nodes without a ready pod.
        #expect(waves.map { $0.deletes.count + $0.creates.count } == [1, 1, 1, 1, 1, 1])
        #expect(waves.compactMap { $0.deletes.first?.node } == ["w1", "w2", "w3"])
        #expect(waves.compactMap { $0.creates.first?.node } == ["w1", "w2", "w3"])
        #expect(end.allSatisfy { $0.revision == "r2" } && end.count == 3)
    }

    @Test func maxUnavailableTwoAndPercentages() {
        let d = workers(["w1", "w2", "w3", "w4"])
        let start = ["w1", "w2", "w3", "w4"].map { pod($0) }
        let two = DaemonSetRollout.next(decisions: d, pods: start, revision: "r2", strategy: .rollingUpdate(maxUnavailable: .int(2), maxSurge: .int(0)))
        #expect(two.deletes.count == 2)
        // 30% of 4 rounds up to 2, as the controller scales maxUnavailable.
        let pct = DaemonSetRollout.next(decisions: d, pods: start, revision: "r2", strategy: .rollingUpdate(maxUnavailable: .percent(30), maxSurge: .int(0)))
        #expect(pct.deletes.count == 2)
    }

    @Test func outdatedPodsThatAreNotReadyGoFirstAndFree() {
        let d = workers(["w1", "w2", "w3"])
        let w = DaemonSetRollout.next(decisions: d, pods: [pod("w1", ready: false), pod("w2"), pod("w3")], revision: "r2", strategy: rolling1)
        // w1 is already unavailable: replacing it costs nothing, and the budget is spent.
        #expect(w.deletes.map(\.node) == ["w1"])
    }

    @Test func onDeleteReplacesNothingUntilAPodIsGone() {
        let d = workers(["w1", "w2"])
        #expect(DaemonSetRollout.next(decisions: d, pods: [pod("w1"), pod("w2")], revision: "r2", strategy: .onDelete).isEmpty)
        // Once w2's process is removed, its new pod has the new revision.
        let (_, end) = simulate(d, [pod("w1")], revision: "r2", strategy: .onDelete)
        #expect(Set(end.map { "\($0.node):\($0.revision ?? "")" }) == ["w1:r1", "w2:r2"])
    }

    @Test func surgeStartsTheNewPodBesideTheOld() {
        let d = workers(["w1", "w2"])
        let surge = DaemonSetRollout.UpdateStrategy.rollingUpdate(maxUnavailable: .int(0), maxSurge: .int(1))
        let w1 = DaemonSetRollout.next(decisions: d, pods: [pod("w1"), pod("w2")], revision: "r2", strategy: surge)
        #expect(w1.deletes.isEmpty && w1.creates.map(\.node) == ["w1"])
        // The new pod on w1 is not ready yet: nothing else moves.
        let w2 = DaemonSetRollout.next(decisions: d, pods: [pod("w1"), pod("w1", rev: "r2", ready: false), pod("w2")], revision: "r2", strategy: surge)
        #expect(w2.isEmpty)
        // Ready: the old pod on w1 goes.
        let w3 = DaemonSetRollout.next(decisions: d, pods: [pod("w1"), pod("w1", rev: "r2"), pod("w2")], revision: "r2", strategy: surge)
        #expect(w3.deletes.map(\.pod) == ["slim-w1-r1"])
    }

    @Test func chartStrategyReadsValuesAsTheChartRendersThem() throws {
        func values(_ yaml: String) throws -> Value { try YAML.load(yaml, file: "t") }
        #expect(try DaemonSetRollout.chartStrategy(values: .emptyMap) == rolling1)
        // Helm's `default` turns 0 into 1; maxSurge is never rendered for a DaemonSet.
        #expect(
            try DaemonSetRollout.chartStrategy(values: values("slim: {updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 3}}}"))
                == rolling1)
        #expect(
            try DaemonSetRollout.chartStrategy(values: values("slim: {updateStrategy: {rollingUpdate: {maxUnavailable: '50%'}}}"))
                == .rollingUpdate(maxUnavailable: .percent(50), maxSurge: .int(0)))
        #expect(try DaemonSetRollout.chartStrategy(values: values("slim: {updateStrategy: {type: OnDelete}}")) == .onDelete)
        #expect(throws: SimNodes.Failure.self) { try DaemonSetRollout.chartStrategy(values: values("slim: {updateStrategy: {type: Recreate}}")) }
    }
}
