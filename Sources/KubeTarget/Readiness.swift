import Foundation
import Kube
import YAML

/// Waits for workloads to be ready by watching them: a get for the current state, then a watch
/// from its resourceVersion, so readiness is noticed the moment the API server knows it. The
/// step's timeout (the engine cancels the task) bounds the wait; there is no polling.
public enum Readiness {
    public static let workloadKinds: Set<String> = ["DaemonSet", "StatefulSet", "Deployment", "Pod"]

    /// A one-line progress text and whether the object is ready, as `kubectl rollout status` judges it.
    public static func judge(kind: String, _ v: Value) -> (ready: Bool, progress: String) {
        switch kind {
        case "DaemonSet":
            let d = DaemonSet(v)
            return (d.rolledOut, "\(d.numberAvailable)/\(d.desiredNumberScheduled) available, \(d.updatedNumberScheduled) updated")
        case "StatefulSet":
            let s = StatefulSet(v)
            return (s.rolledOut, "\(s.readyReplicas)/\(s.replicas) ready, \(s.updatedReplicas) updated")
        case "Deployment":
            let d = Deployment(v)
            return (d.rolledOut, "\(d.availableReplicas)/\(d.replicas) available, \(d.updatedReplicas) updated")
        case "Pod":
            let p = Pod(v)
            let why = p.containerStatuses.compactMap(\.waitingReason).first
            return (p.ready || p.phase == "Succeeded", p.ready ? "Ready" : why ?? p.phase)
        default:
            return (true, "present")
        }
    }

    /// Returns once the object is ready; reports each change of progress.
    public static func wait(
        _ client: KubeClient, apiVersion: String, kind: String, name: String, namespace: String,
        report: @Sendable (String) -> Void
    ) async throws {
        var last = ""
        func seen(_ v: Value) -> Bool {
            let (ready, progress) = judge(kind: kind, v)
            if progress != last {
                last = progress
                report("\(kind) \(namespace)/\(name): \(progress)")
            }
            return ready
        }
        let selector = "metadata.name=\(name)"
        let first = try await client.list(apiVersion: apiVersion, kind: kind, namespace: namespace, fieldSelector: selector)
        if let v = first.items.first, seen(v) { return }
        if first.items.isEmpty { report("\(kind) \(namespace)/\(name): waiting for it to appear") }
        for try await event in client.watch(
            apiVersion: apiVersion, kind: kind, namespace: namespace, fieldSelector: selector,
            resourceVersion: first.resourceVersion)
        {
            switch event {
            case .added(let v), .modified(let v):
                if seen(v) { return }
            case .relisted(let items):
                if let v = items.first, seen(v) { return }
            case .deleted:
                report("\(kind) \(namespace)/\(name) was deleted; waiting for it to come back")
            case .bookmark:
                continue
            }
        }
        try Task.checkCancellation()
        throw ReadinessError(message: "the watch on \(kind) \(namespace)/\(name) ended before it was ready (last: \(last))")
    }

    /// Waits until `count` nodes exist and all are Ready.
    public static func waitForNodes(_ client: KubeClient, count: Int, report: @Sendable (String) -> Void) async throws {
        var nodes: [String: Bool] = [:]
        var last = ""
        func done() -> Bool {
            let ready = nodes.values.filter { $0 }.count
            let text = "nodes: \(ready)/\(max(count, nodes.count)) Ready"
            if text != last { last = text; report(text) }
            return nodes.count >= count && ready == nodes.count
        }
        let first = try await client.list(apiVersion: "v1", kind: "Node")
        for n in first.items.map(Node.init) { nodes[n.metadata.name] = n.ready }
        if done() { return }
        for try await event in client.watch(apiVersion: "v1", kind: "Node", resourceVersion: first.resourceVersion) {
            switch event {
            case .added(let v), .modified(let v): let n = Node(v); nodes[n.metadata.name] = n.ready
            case .deleted(let v): nodes[Node(v).metadata.name] = nil
            case .relisted(let items): nodes = [:]; for n in items.map(Node.init) { nodes[n.metadata.name] = n.ready }
            case .bookmark: continue
            }
            if done() { return }
        }
        try Task.checkCancellation()
        throw ReadinessError(message: "the watch on nodes ended before all were Ready (\(last))")
    }
}

public struct ReadinessError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
