import Foundation
import Kube
import KubeSim
import YAML

/// Every event of a kind (pods by default) in a namespace from a given resourceVersion on, in
/// the order the API server committed them, replayed into snapshots so a test can check an
/// invariant of a rollout at every step (how many pods existed, which were ready) rather than at
/// moments it sampled.
final class PodTimeline: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [WatchEvent] = []
    private var task: Task<Void, Never>?

    /// Starts recording from the cluster's current version.
    static func start(_ client: KubeClient, server: KubeSimServer, namespace: String, apiVersion: String = "v1", kind: String = "Pod") -> PodTimeline {
        let t = PodTimeline()
        let rv = String(server.cluster.resourceVersion)
        t.task = Task {
            do {
                for try await e in client.watch(apiVersion: apiVersion, kind: kind, namespace: namespace, resourceVersion: rv) {
                    t.lock.withLock { t.events.append(e) }
                }
            } catch {}
        }
        return t
    }

    func stop() { task?.cancel() }

    /// The objects after each event (name to object), starting from `initial`.
    func snapshots(initial: [Value]) -> [[String: Value]] {
        var pods: [String: Value] = [:]
        for p in initial { pods[p.objectName] = p }
        var out: [[String: Value]] = []
        for e in lock.withLock({ events }) {
            switch e {
            case .added(let p), .modified(let p): pods[p.objectName] = p
            case .deleted(let p): pods.removeValue(forKey: p.objectName)
            case .relisted(let all):
                pods = [:]
                for p in all { pods[p.objectName] = p }
            case .bookmark: continue
            }
            out.append(pods)
        }
        return out
    }

    var count: Int { lock.withLock { events.count } }
}

extension Value {
    var isTerminating: Bool { lookup(["metadata", "deletionTimestamp"]) != nil }
    var isReadyPod: Bool { conditions["Ready"] == "True" }
    var image: String { lookup(["spec", "containers"])?.listValue?.first?["image"]?.stringValue ?? "" }
    var nodeName: String { lookup(["spec", "nodeName"])?.stringValue ?? "" }
}
