import Placement

/// A pod as verify sees it, whatever produced it (the Kubernetes API or a local process).
public struct ObservedPod: Sendable, Hashable, Codable {
    public var name: String
    /// `DaemonSet/slim`, `StatefulSet/slim`, `Pod/bob`.
    public var owner: String
    public var node: String
    /// Running, Pending, Succeeded, Failed.
    public var phase: String
    public var ready: Bool
    public var restarts: Int
    /// Why it is not ready: CrashLoopBackOff, ImagePullBackOff, "exited with code 1", …
    public var reason: String?
    public var ageSeconds: Double
    public var lastLogLines: [String]

    public init(
        name: String, owner: String, node: String, phase: String, ready: Bool, restarts: Int = 0,
        reason: String? = nil, ageSeconds: Double = 0, lastLogLines: [String] = []
    ) {
        self.name = name
        self.owner = owner
        self.node = node
        self.phase = phase
        self.ready = ready
        self.restarts = restarts
        self.reason = reason
        self.ageSeconds = ageSeconds
        self.lastLogLines = lastLogLines
    }
}

extension ObservedPod {
    /// The STATUS column as kubectl shows it: an app that ran to completion is `Completed` (or
    /// `Error` with its exit code), never `Ready`; a running pod that is not ready says why.
    public var displayStatus: String {
        switch phase {
        case "Running": return ready ? "Running" : reason ?? "Running (not ready)"
        case "Succeeded": return "Completed"
        case "Failed": return reason ?? "Error"
        default: return reason ?? phase
        }
    }
}

/// The verdict on one verify rule, with a row per pod for the table and one line per gap.
public struct CheckResult: Sendable, Codable {
    public struct Row: Sendable, Codable, Hashable {
        public var node: String
        public var pod: String
        public var status: String
        public var ageSeconds: Double
        /// Container restarts, as kubectl's RESTARTS column: a crash that recovered is still news.
        public var restarts: Int = 0
    }

    public var rule: String
    /// pass, fail, or skipped (the target cannot check it; said why in `notes`).
    public var outcome: Outcome
    public var rows: [Row]
    public var problems: [String]
    public var notes: [String]

    public var passed: Bool { outcome != .fail }

    public init(rule: String, outcome: Outcome, rows: [Row], problems: [String], notes: [String]) {
        self.rule = rule
        self.outcome = outcome
        self.rows = rows
        self.problems = problems
        self.notes = notes
    }
}

public enum WorkloadChecks {
    /// One Ready pod on every node the DaemonSet controller would choose, none elsewhere.
    public static func daemonSet(name: String, nodes: [NodeInfo], spec: PodPlacementSpec, pods: [ObservedPod]) -> CheckResult {
        let owned = pods.filter { $0.owner == "DaemonSet/\(name)" }
        let decisions = Placement.daemonSet(nodes: nodes, pod: spec)
        var problems: [String] = []
        var notes: [String] = []
        for d in decisions {
            let here = owned.filter { $0.node == d.node }
            if d.shouldRun {
                notes += d.warnings
                if here.isEmpty {
                    problems.append("\(d.node): no \(name) pod, but the DaemonSet controller places one here")
                } else if here.count > 1 {
                    problems.append("\(d.node): \(here.count) \(name) pods (\(here.map(\.name).joined(separator: ", "))), expected exactly one")
                }
                for p in here where !p.ready { problems.append(describe(p)) }
            } else {
                notes += d.reasons
                for p in here where !d.shouldContinueRunning {
                    problems.append("\(p.name) on \(d.node): should not run here (\(d.reasons.joined(separator: "; ")))")
                }
            }
        }
        for p in owned where !decisions.contains(where: { $0.node == p.node }) {
            problems.append("\(p.name): on node \(p.node), which does not exist")
        }
        let expected = decisions.filter(\.shouldRun).count
        let ready = owned.filter(\.ready).count
        return CheckResult(
            rule: "DaemonSet \(name): \(ready)/\(expected) nodes ready", outcome: problems.isEmpty ? .pass : .fail,
            rows: rows(owned), problems: problems, notes: notes)
    }

    /// `replicas` Ready pods named `name-0..n-1`.
    public static func statefulSet(name: String, replicas: Int, pods: [ObservedPod]) -> CheckResult {
        let owned = pods.filter { $0.owner == "StatefulSet/\(name)" }
        var problems: [String] = []
        let expected = Placement.statefulSetPodNames(name: name, replicas: replicas)
        for n in expected {
            guard let p = owned.first(where: { $0.name == n }) else {
                problems.append("\(n): missing")
                continue
            }
            if !p.ready { problems.append(describe(p)) }
        }
        for p in owned where !expected.contains(p.name) {
            problems.append("\(p.name): not an expected replica (expected \(expected.joined(separator: ", ")))")
        }
        let ready = owned.filter { $0.ready && expected.contains($0.name) }.count
        return CheckResult(
            rule: "StatefulSet \(name): \(ready)/\(replicas) replicas ready", outcome: problems.isEmpty ? .pass : .fail,
            rows: rows(owned), problems: problems, notes: [])
    }

    public static func skipped(_ rule: String, because why: String) -> CheckResult {
        CheckResult(rule: rule, outcome: .skipped, rows: [], problems: [], notes: [why])
    }

    /// "slim-x7k2p on worker-1: CrashLoopBackOff, restarts 4, last log lines: …"
    public static func describe(_ p: ObservedPod) -> String {
        var s = "\(p.name) on \(p.node): \(p.reason ?? (p.phase == "Running" ? "not ready" : p.phase))"
        if p.restarts > 0 { s += ", restarts \(p.restarts)" }
        if !p.lastLogLines.isEmpty { s += ", last log lines: " + p.lastLogLines.suffix(3).joined(separator: " | ") }
        return s
    }

    static func rows(_ pods: [ObservedPod]) -> [CheckResult.Row] {
        pods.sorted { ($0.node, $0.name) < ($1.node, $1.name) }.map {
            CheckResult.Row(node: $0.node, pod: $0.name, status: $0.ready ? "Ready" : ($0.reason ?? $0.phase), ageSeconds: $0.ageSeconds)
        }
    }
}
