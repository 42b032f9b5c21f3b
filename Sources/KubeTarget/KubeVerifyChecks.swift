import Checks
import Foundation
import Placement

/// Live rules judged by the same pure checks the local target uses, so both targets give one
/// verdict in one shape. It only maps data, no I/O.
public enum KubeVerifyChecks {
    public static func results(_ rules: [LiveRule]) -> [CheckResult] { rules.map(result) }

    /// A pod that is Ready but on an old revision does not count: it is reported not ready,
    /// with the revision as the reason.
    static func observed(_ p: VerifiedPod) -> ObservedPod {
        ObservedPod(
            name: p.pod.name, owner: p.pod.owner, node: p.pod.node.isEmpty ? "<no node>" : p.pod.node, phase: p.pod.phase,
            ready: p.counts, restarts: p.pod.restarts, reason: p.counts ? nil : (p.explanation ?? p.pod.status),
            ageSeconds: p.pod.ageSeconds, lastLogLines: p.lastLogLines)
    }

    static func result(_ r: LiveRule) -> CheckResult {
        let pods = r.pods.map(observed)
        var c: CheckResult
        var rows = r.pods.sorted { ($0.pod.node, $0.pod.name) < ($1.pod.node, $1.pod.name) }.map {
            CheckResult.Row.make(
                node: $0.pod.node.isEmpty ? "<none>" : $0.pod.node, pod: $0.pod.name,
                status: $0.counts ? "Ready" : ($0.pod.ready ? "Ready, outdated" : $0.pod.status), ageSeconds: $0.pod.ageSeconds,
                restarts: $0.pod.restarts)
        }
        switch r.check {
        case .daemonSet(let nodes, let spec):
            c = WorkloadChecks.daemonSet(name: r.name, nodes: nodes, spec: spec, pods: pods)
            // Nodes that should have a pod and have none get a row too, so the table shows the gap.
            for d in Placement.daemonSet(nodes: nodes, pod: spec) where d.shouldRun && !r.pods.contains(where: { $0.pod.node == d.node }) {
                rows.append(CheckResult.Row.make(node: d.node, pod: "<none>", status: "Missing", ageSeconds: 0))
            }
            rows.sort { ($0.node, $0.pod) < ($1.node, $1.pod) }
        case .statefulSet(let replicas):
            c = WorkloadChecks.statefulSet(name: r.name, replicas: replicas, pods: pods)
        case .plain:
            c = CheckResult(rule: r.title, outcome: .pass, rows: [], problems: [], notes: [])
        }
        c.rows = rows
        c.problems = r.problems + c.problems
        c.notes += r.notes
        c.outcome = c.problems.isEmpty ? .pass : .fail
        return c
    }
}
