import Foundation
import Kube
import YAML

/// Says why a test app is not ready, the way `kubectl describe` would lead a person to it: the
/// pod, its node, the container's waiting reason and the kubelet's warning event.
enum AppDiagnosis {
    /// The pods a workload owns (selected as its controller selects them).
    static func pods(_ c: KubeClient, _ w: Workload) async throws -> [Value] {
        if w.kind == "Pod" {
            return try await c.list(apiVersion: "v1", kind: "Pod", namespace: w.namespace, fieldSelector: "metadata.name=\(w.name)").items
        }
        let labels = (w.object.lookup(["spec", "selector", "matchLabels"])?.mapValue ?? [:])
            .compactMap { k, v in v.stringValue.map { "\(k)=\($0)" } }.sorted()
        guard !labels.isEmpty else { return [] }
        return try await c.list(apiVersion: "v1", kind: "Pod", namespace: w.namespace, labelSelector: labels.joined(separator: ",")).items
    }

    /// "alice-x7k2p on worker-1: ImagePullBackOff (Failed to pull image …)" for every pod that is
    /// not ready, or the workload's own progress when no pod explains it.
    static func notReady(_ c: KubeClient, _ w: Workload) async throws -> String {
        let all = try await pods(c, w).map(Pod.init).filter { !$0.metadata.deleting }
        let bad = all.filter { !$0.ready && $0.phase != "Succeeded" }
        if bad.isEmpty {
            let now = try await c.get(apiVersion: w.apiVersion, kind: w.kind, name: w.name, namespace: w.namespace)
            let progress = now.map { Readiness.judge(kind: w.kind, $0).progress } ?? "not found"
            return "\(w.kind) \(w.namespace)/\(w.name): \(progress)" + (all.isEmpty ? " (no pods)" : "")
        }
        let events = (try? await c.list(apiVersion: "v1", kind: "Event", namespace: w.namespace).items.map(Event.init)) ?? []
        return bad.map { p in describe(p, events: events.filter { $0.involvedKind == "Pod" && $0.involvedName == p.metadata.name }) }
            .joined(separator: "; ")
    }

    static func describe(_ p: Pod, events: [Event]) -> String {
        let scheduled = p.conditions.first { $0.type == "PodScheduled" }
        let cs = p.containerStatuses.first
        var reason = cs?.waitingReason ?? cs?.terminatedReason
        if reason == nil, p.nodeName == nil { reason = scheduled?.reason ?? "not scheduled" }
        if reason == nil, cs?.running == true { reason = "running, not Ready" }
        let warnings = events.filter { $0.type == "Warning" }.sorted { ($0.lastTimestamp ?? "") < ($1.lastTimestamp ?? "") }
        // The pull or start failure says more than the back-off that follows it.
        let event = warnings.last { $0.reason == "Failed" || $0.reason == "FailedScheduling" } ?? warnings.last
        let detail = event?.message ?? cs?.waitingMessage ?? (scheduled?.status == "False" ? scheduled?.message : nil)
        return "\(p.metadata.name) on \(p.nodeName ?? "no node"): \(reason ?? p.phase)" + (detail.map { " (\($0))" } ?? "")
    }
}
