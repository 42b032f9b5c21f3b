import Testing

@testable import Placement

/// SplitMix64: tiny, fast and reproducible, so a failing seed can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Small vocabularies so random pods and nodes collide often enough to exercise every branch.
struct Arbitrary {
    var rng: SeededGenerator
    let keys = ["zone", "gpu", "cores", "dedicated", "node.kubernetes.io/not-ready", "node-role.kubernetes.io/control-plane"]
    let values = ["", "a", "b", "2", "7", "-3", "x"]

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func labels() -> [String: String] {
        var result: [String: String] = [:]
        for _ in 0..<Int.random(in: 0...3, using: &rng) { result[pick(keys)] = pick(values) }
        return result
    }
    mutating func taint() -> Taint { Taint(key: pick(keys), value: chance(0.5) ? "" : pick(values), effect: pick(TaintEffect.allCases)) }
    mutating func toleration() -> Toleration {
        Toleration(
            key: chance(0.1) ? nil : pick(keys), operator: chance(0.5) ? .exists : .equal,
            value: chance(0.3) ? nil : pick(values), effect: chance(0.3) ? nil : pick(TaintEffect.allCases))
    }
    mutating func requirement() -> NodeSelectorRequirement {
        let op = pick([NodeSelectorOperator.in, .notIn, .exists, .doesNotExist, .gt, .lt])
        switch op {
        case .exists, .doesNotExist: return NodeSelectorRequirement(key: pick(keys), operator: op)
        case .gt, .lt: return NodeSelectorRequirement(key: pick(keys), operator: op, values: [pick(["2", "7", "-3"])])
        default: return NodeSelectorRequirement(key: pick(keys), operator: op, values: [pick(values), pick(values)])
        }
    }
    mutating func affinity() -> NodeAffinity {
        NodeAffinity(
            nodeSelectorTerms: (0..<Int.random(in: 1...2, using: &rng)).map { _ in
                NodeSelectorTerm(matchExpressions: (0..<Int.random(in: 1...2, using: &rng)).map { _ in requirement() })
            })
    }
    mutating func node(_ index: Int) -> NodeInfo {
        NodeInfo(
            name: "n\(index)", labels: labels(), taints: (0..<Int.random(in: 0...2, using: &rng)).map { _ in taint() },
            unschedulable: chance(0.2), ready: chance(0.8))
    }
    mutating func pod() -> PodPlacementSpec {
        PodPlacementSpec(
            nodeSelector: chance(0.3) ? [pick(keys): pick(values)] : [:],
            requiredAffinity: chance(0.4) ? affinity() : nil,
            tolerations: (0..<Int.random(in: 0...2, using: &rng)).map { _ in toleration() },
            hostNetwork: chance(0.5))
    }
}

let seeds: [UInt64] = [1, 2, 3, 42, 2024, 0xDEAD_BEEF]
let samplesPerSeed = 300

@Test(arguments: seeds)
func unconstrainedNodeIsAlwaysEligible(seed: UInt64) {
    var gen = Arbitrary(rng: SeededGenerator(seed: seed))
    for i in 0..<samplesPerSeed {
        var node = gen.node(i)
        node.taints = node.taints.filter { $0.effect == .preferNoSchedule }
        var pod = gen.pod()
        pod.nodeSelector = [:]
        pod.requiredAffinity = nil
        let d = Placement.daemonSet(nodes: [node], pod: pod)[0]
        #expect(d.shouldRun && d.shouldContinueRunning && d.reasons.isEmpty, "seed \(seed) sample \(i): \(node)")
    }
}

@Test(arguments: seeds)
func addingATolerationNeverRemovesANode(seed: UInt64) {
    var gen = Arbitrary(rng: SeededGenerator(seed: seed))
    var gained = 0
    for i in 0..<samplesPerSeed {
        let nodes = (0..<4).map { gen.node(i * 4 + $0) }
        let pod = gen.pod()
        var wider = pod
        wider.tolerations.append(gen.toleration())
        let before = Placement.daemonSet(nodes: nodes, pod: pod)
        let after = Placement.daemonSet(nodes: nodes, pod: wider)
        for (b, a) in zip(before, after) {
            #expect(!b.shouldRun || a.shouldRun, "seed \(seed) sample \(i) node \(b.node)")
            #expect(!b.shouldContinueRunning || a.shouldContinueRunning, "seed \(seed) sample \(i) node \(b.node)")
            if a.shouldRun && !b.shouldRun { gained += 1 }
        }
    }
    // The property must have been exercised, not vacuously true.
    #expect(gained > 0)
}

@Test(arguments: seeds)
func untoleratedNoExecuteAlwaysExcludes(seed: UInt64) {
    var gen = Arbitrary(rng: SeededGenerator(seed: seed))
    var checked = 0
    for i in 0..<samplesPerSeed {
        var node = gen.node(i)
        let pod = gen.pod()
        let taint = Taint(key: gen.pick(gen.keys), value: gen.pick(gen.values), effect: .noExecute)
        node.taints.append(taint)
        let tolerations = Placement.daemonPodTolerations(pod.tolerations, hostNetwork: pod.hostNetwork)
        guard !tolerations.contains(where: { $0.tolerates(taint) }) else { continue }
        checked += 1
        let d = Placement.daemonSet(nodes: [node], pod: pod)[0]
        #expect(!d.shouldRun && !d.shouldContinueRunning, "seed \(seed) sample \(i)")
        #expect(d.reasons.contains("\(node.name): taint \(taint) not tolerated"), "seed \(seed) sample \(i)")
    }
    #expect(checked > samplesPerSeed / 4)
}

@Test(arguments: seeds)
func decisionInvariants(seed: UInt64) {
    var gen = Arbitrary(rng: SeededGenerator(seed: seed))
    for i in 0..<samplesPerSeed {
        let nodes = (0..<5).map { gen.node(i * 5 + $0) }
        let pod = gen.pod()
        let decisions = Placement.daemonSet(nodes: nodes, pod: pod)
        #expect(decisions.map(\.node) == nodes.map(\.name))
        for (node, d) in zip(nodes, decisions) {
            #expect(d.shouldRun == d.reasons.isEmpty, "seed \(seed) sample \(i)")
            #expect(!d.shouldRun || d.shouldContinueRunning, "seed \(seed) sample \(i)")
            #expect(d.reasons.allSatisfy { $0.hasPrefix("\(node.name): ") })
            // Each node is judged on its own.
            #expect(Placement.daemonSet(nodes: [node], pod: pod) == [d])
        }
    }
}

@Test(arguments: seeds)
func widerSelectorsNeverRemoveANode(seed: UInt64) {
    var gen = Arbitrary(rng: SeededGenerator(seed: seed))
    for i in 0..<samplesPerSeed {
        let node = gen.node(i)
        var pod = gen.pod()
        pod.requiredAffinity = gen.affinity()
        // One more ORed term can only add nodes.
        var ored = pod
        ored.requiredAffinity?.nodeSelectorTerms.append(NodeSelectorTerm(matchExpressions: [gen.requirement()]))
        // Dropping the nodeSelector can only add nodes.
        var unselected = pod
        unselected.nodeSelector = [:]
        let base = Placement.daemonSet(nodes: [node], pod: pod)[0].shouldRun
        #expect(!base || Placement.daemonSet(nodes: [node], pod: ored)[0].shouldRun, "seed \(seed) sample \(i)")
        #expect(!base || Placement.daemonSet(nodes: [node], pod: unselected)[0].shouldRun, "seed \(seed) sample \(i)")
    }
}
