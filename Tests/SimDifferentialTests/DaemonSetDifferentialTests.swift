import Foundation
import KubeSim
import Placement
import Testing
import YAML

/// slimctl's `Placement.daemonSet` against the simulator's own DaemonSet controller, node
/// lifecycle controller and scheduler, on random clusters and pod templates. The two were written
/// separately from Kubernetes' documentation and source, so every disagreement is a bug in one
/// of them. `SIMDIFF_SEED` and `SIMDIFF_CASES` replay a reported case.
@Suite("DaemonSet placement: simulator vs Placement on random clusters")
struct DaemonSetDifferentialTests {
    static let baseSeed = UInt64(ProcessInfo.processInfo.environment["SIMDIFF_SEED"] ?? "") ?? 0x5EED_2026
    static let cases = Int(ProcessInfo.processInfo.environment["SIMDIFF_CASES"] ?? "") ?? 1_000

    @Test func simulatorAndPlacementAgree() throws {
        var report = DiffReport()
        for i in 0..<Self.cases {
            let seed = Self.baseSeed &+ UInt64(i)
            var rng = SplitMix64(seed: seed)
            let c = RandomCase.generate(&rng)
            try report.add(seed: seed, c.compare())
        }
        print(report.summary(cases: Self.cases, baseSeed: Self.baseSeed))
        for line in report.failures.prefix(20) { print(line) }
        #expect(report.disagreements == 0, "\(report.disagreements) disagreement(s); first: \(report.failures.first ?? "")")
        #expect(report.unbound == 0, "DaemonSet pods the simulated scheduler would not bind: \(report.unbound)")
    }
}

/// Counts over all cases, and one line per disagreement naming the seed that reproduces it.
struct DiffReport {
    var nodes = 0, shouldRun = 0, shouldKeep = 0, disagreements = 0, unbound = 0
    var failures: [String] = []

    mutating func add(seed: UInt64, _ r: CaseResult) {
        nodes += r.nodes
        shouldRun += r.expectedRun.count
        shouldKeep += r.expectedKeep.count
        unbound += r.unbound
        let runDiff = r.expectedRun.symmetricDifference(r.simRun)
        let keepDiff = r.expectedKeep.symmetricDifference(r.simKeep)
        disagreements += runDiff.count + keepDiff.count
        if !runDiff.isEmpty || !keepDiff.isEmpty || r.unbound > 0 {
            failures.append(
                "seed \(seed): shouldRun Placement \(r.expectedRun.sorted()) sim \(r.simRun.sorted()); "
                    + "shouldContinueRunning Placement \(r.expectedKeep.sorted()) sim \(r.simKeep.sorted()); unbound \(r.unbound)\n  \(r.description)")
        }
    }

    func summary(cases: Int, baseSeed: UInt64) -> String {
        "DaemonSet differential: \(cases) clusters (seeds \(baseSeed)...), \(nodes) nodes, Placement says run on \(shouldRun), keep on \(shouldKeep); "
            + "\(disagreements) disagreement(s), \(unbound) unbound pod(s)"
    }
}

struct CaseResult {
    var nodes: Int
    var expectedRun: Set<String>, simRun: Set<String>
    var expectedKeep: Set<String>, simKeep: Set<String>
    var unbound: Int
    var description: String
}

/// SplitMix64: a seeded generator, so a failing case replays from its seed alone.
struct SplitMix64: RandomNumberGenerator {
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
