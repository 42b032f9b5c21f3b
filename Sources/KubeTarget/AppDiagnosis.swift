import Foundation
import Kube
import YAML

/// Says why a test app is not ready, the way `kubectl describe` would lead a person to it: the
/// pod, its node, the container's waiting reason and the kubelet's warning event.
enum AppDiagnosis {
    /// The pods a workload owns (selected as its controller selects them).
    static func pods(_ c: KubeClient, _ w: Workload) async throws -> [Value] {
        let (labels, fields) = selectors(w)
        guard labels != nil || fields != nil else { return [] }
        return try await c.list(apiVersion: "v1", kind: "Pod", namespace: w.namespace, labelSelector: labels, fieldSelector: fields).items
    }

    /// Waiting reasons that time alone does not cure: waiting longer only delays the failure.
    static let stuckReasons: Set<String> = [
        "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull",
        "CreateContainerConfigError", "CrashLoopBackOff"
    ]

    /// Returns once a pod of `w` waits for a reason in `stuckReasons` (watching its pods from the
    /// version the first list saw); runs until cancelled otherwise.
    static func untilStuck(_ c: KubeClient, _ w: Workload) async throws {
        func stuck(_ v: Value) -> Bool {
            Pod(v).containerStatuses.contains { $0.waitingReason.map(stuckReasons.contains) ?? false }
        }
        let (labels, fields) = selectors(w)
        guard labels != nil || fields != nil else { return try await Task.sleep(for: .seconds(86_400)) }
        let first = try await c.list(apiVersion: "v1", kind: "Pod", namespace: w.namespace, labelSelector: labels, fieldSelector: fields)
        if first.items.contains(where: stuck) { return }
        for try await e in c.watch(
            apiVersion: "v1", kind: "Pod", namespace: w.namespace, labelSelector: labels, fieldSelector: fields,
            resourceVersion: first.resourceVersion)
        {
            if let o = e.object, stuck(o) { return }
        }
        try await Task.sleep(for: .seconds(86_400))
    }

    /// How the workload's controller selects its pods.
    static func selectors(_ w: Workload) -> (labels: String?, fields: String?) {
        if w.kind == "Pod" { return (nil, "metadata.name=\(w.name)") }
        let labels = (w.object.lookup(["spec", "selector", "matchLabels"])?.mapValue ?? [:])
            .compactMap { k, v in v.stringValue.map { "\(k)=\($0)" } }.sorted()
        return (labels.isEmpty ? nil : labels.joined(separator: ","), nil)
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
