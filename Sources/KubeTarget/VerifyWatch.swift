import Checks
import Foundation
import Kube
import YAML

/// See `WatchChange` (Checks): one shape for every target.
public typealias LiveChange = WatchChange

/// Turns a watch event's before/after into the change a person cares about, or nil when
/// nothing they would notice changed (a heartbeat, a resourceVersion).
public enum LiveChanges {
    public static func describe(kind: String, old: Value?, new: Value?, now: Date = Date()) -> LiveChange? {
        switch kind {
        case "Node": return node(old: old, new: new, now: now)
        case "Pod": return pod(old: old, new: new, now: now)
        case "DaemonSet", "StatefulSet", "Deployment": return workload(kind, old: old, new: new)
        default: return nil
        }
    }

    static func node(old: Value?, new: Value?, now: Date) -> LiveChange? {
        switch (old.map { LiveObjects.node($0, now: now) }, new.map { LiveObjects.node($0, now: now) }) {
        case (nil, let n?):
            let state = n.info.ready ? "Ready" : "NotReady"
            return LiveChange(kind: "node", name: n.name, change: "joined", status: state, text: "node \(n.name) joined (\(state))")
        case (let o?, nil):
            return LiveChange(kind: "node", name: o.name, change: "removed", status: "Removed", text: "node \(o.name) removed")
        case (let o?, let n?):
            if o.info.ready != n.info.ready {
                let text = n.info.ready ? "node \(n.name) Ready" : "node \(n.name) NotReady (\(n.notReadyWhy ?? "not Ready"))"
                return LiveChange(kind: "node", name: n.name, change: "status", status: n.info.ready ? "Ready" : "NotReady", text: text)
            }
            if o.info.unschedulable != n.info.unschedulable {
                let s = n.info.unschedulable ? "cordoned" : "uncordoned"
                return LiveChange(kind: "node", name: n.name, change: "status", status: s, text: "node \(n.name) \(s)")
            }
            if Set(o.info.taints) != Set(n.info.taints) {
                let list = n.info.taints.map(\.description).sorted().joined(separator: ", ")
                return LiveChange(
                    kind: "node", name: n.name, change: "taints", status: list.isEmpty ? "no taints" : list,
                    text: "node \(n.name) taints now: \(list.isEmpty ? "none" : list)")
            }
            return nil
        default:
            return nil
        }
    }

    static func podStatus(_ p: LivePod) -> String {
        p.crashed && !p.ready && !p.deleting ? "\(p.status), restarts \(p.restarts)" : p.status
    }

    static func pod(old: Value?, new: Value?, now: Date) -> LiveChange? {
        let o = old.map { LiveObjects.pod($0, now: now) }
        let n = new.map { LiveObjects.pod($0, now: now) }
        switch (o, n) {
        case (nil, let n?):
            let change = n.node.isEmpty ? "created" : "scheduled"
            let text =
                n.node.isEmpty
                ? "pod \(n.namespace)/\(n.name) created (\(n.status)), not scheduled yet"
                : "pod \(n.namespace)/\(n.name) scheduled on \(n.node) (\(n.status))"
            return LiveChange(
                kind: "pod", namespace: n.namespace, name: n.name, node: n.node.isEmpty ? nil : n.node, change: change, status: n.status, text: text)
        case (let o?, nil):
            return LiveChange(
                kind: "pod", namespace: o.namespace, name: o.name, node: o.node.isEmpty ? nil : o.node, change: "deleted", status: "Deleted",
                text: "pod \(o.namespace)/\(o.name)" + (o.node.isEmpty ? "" : " on \(o.node)") + " deleted")
        case (let o?, let n?):
            if o.node.isEmpty && !n.node.isEmpty {
                return LiveChange(
                    kind: "pod", namespace: n.namespace, name: n.name, node: n.node, change: "scheduled", status: n.status,
                    text: "pod \(n.namespace)/\(n.name) scheduled on \(n.node) (\(n.status))")
            }
            // Restarts alone do not make a line: a crash loop would print one per back-off.
            guard o.status != n.status else { return nil }
            return LiveChange(
                kind: "pod", namespace: n.namespace, name: n.name, node: n.node.isEmpty ? nil : n.node, change: "status", status: podStatus(n),
                text: "pod \(n.namespace)/\(n.name)" + (n.node.isEmpty ? "" : " on \(n.node)") + ": \(podStatus(n))")
        default:
            return nil
        }
    }

    static func workload(_ kind: String, old: Value?, new: Value?) -> LiveChange? {
        guard let new else {
            guard let old else { return nil }
            let name = old.lookup(["metadata", "name"])?.stringValue ?? ""
            return LiveChange(
                kind: kind, namespace: old.lookup(["metadata", "namespace"])?.stringValue, name: name, change: "deleted",
                status: "Deleted", text: "\(kind) \(name) deleted")
        }
        let name = new.lookup(["metadata", "name"])?.stringValue ?? ""
        let ns = new.lookup(["metadata", "namespace"])?.stringValue
        let gen = new.lookup(["metadata", "generation"])?.intValue ?? 0
        if let old, (old.lookup(["metadata", "generation"])?.intValue ?? 0) != gen {
            return LiveChange(
                kind: kind, namespace: ns, name: name, change: "spec", status: "generation \(gen)",
                text: "\(kind) \(name) changed (generation \(gen)): rolling out")
        }
        let (ready, progress) = Readiness.judge(kind: kind, new)
        if let old, Readiness.judge(kind: kind, old).progress == progress { return nil }
        return LiveChange(
            kind: kind, namespace: ns, name: name, change: old == nil ? "created" : "rollout", status: ready ? "rolled out" : "rolling out",
            text: "\(kind) \(name): \(progress)" + (ready ? " (rolled out)" : ""))
    }
}

/// Keeps `LiveState` current from watches on every stream verify listed, and calls back after
/// each event: `verify --wait` re-judges there, `verify --watch` prints the change. Event driven:
/// nothing sleeps and polls.
public enum VerifyWatch {
    /// Runs until `onEvent` returns true (done), the task is cancelled, or a watch fails for
    /// good (401, 403). The watches reconnect and relist on their own (see `KubeClient.watch`).
    /// Events that arrive together are applied together and `onEvent` sees their state once.
    public static func run(
        _ client: KubeClient, state initial: LiveState, streams: [WatchStream],
        onEvent: @Sendable (LiveState, [LiveChange]) async throws -> Bool
    ) async throws {
        let events = EventBatches<(WatchStream, WatchEvent)>()
        let watchers = Task {
            await withTaskGroup(of: Void.self) { group in
                for s in streams {
                    group.addTask {
                        do {
                            for try await e in client.watch(
                                apiVersion: s.apiVersion, kind: s.kind, namespace: s.namespace,
                                resourceVersion: s.resourceVersion)
                            {
                                events.push((s, e))
                            }
                        } catch {
                            events.finish(throwing: error)
                        }
                    }
                }
            }
            events.finish()
        }
        defer { watchers.cancel() }
        var state = initial
        while let batch = try await events.next() {
            var changes: [LiveChange] = []
            var onlyBookmarks = true
            for (stream, event) in batch {
                let applied = state.apply(kind: stream.kind, namespace: stream.namespace, event)
                changes += applied.compactMap { LiveChanges.describe(kind: stream.kind, old: $0.old, new: $0.new) }
                if case .bookmark = event { continue }
                onlyBookmarks = false
            }
            if onlyBookmarks { continue }
            if try await onEvent(state, changes) { return }
        }
        try Task.checkCancellation()
    }
}
