import Foundation
import Kube
import YAML

/// The shared picture of the pods being followed: which source owns each pod, its latest state,
/// and the followers waiting for it to change. An actor because the watches write it and every
/// container tail reads it; it announces the shown containers and deletions to the merge with
/// `yield` (never waiting), so a stopped reader cannot hold up the pods' bookkeeping.
actor LogTailHub {
    nonisolated let out: LogMerge
    var pods: [String: (pod: Pod, source: Int)] = [:]
    var waiters: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    var nextWaiter = 0
    var shown: [LogTarget] = []

    init(out: LogMerge) { self.out = out }

    static func key(_ m: ObjectMeta) -> String { "\(m.namespace ?? "")/\(m.name)" }

    func pod(_ key: String) -> Pod? { pods[key]?.pod }

    /// Records a pod's state; returns it when it is new (its containers need followers). A pod
    /// that another source already shows is left to that source.
    func upsert(_ p: Pod, raw: Value, source: Int, announce: Bool) -> Pod? {
        let k = Self.key(p.metadata)
        if let cur = pods[k] {
            guard cur.source == source else { return nil }
            if cur.pod.metadata.uid != p.metadata.uid {
                // Same name, new pod (a StatefulSet replaces its pods by name): the old one is gone.
                remove(cur.pod.metadata, source: source)
                pods[k] = (p, source)
                if announce { self.announce() }
                return p
            }
            pods[k] = (p, source)
            wake(k)
            if announce { self.announce() }
            return nil
        }
        pods[k] = (p, source)
        if announce { self.announce() }
        return p
    }

    func refreshed(_ p: Pod) {
        let k = Self.key(p.metadata)
        guard let cur = pods[k], cur.pod.metadata.uid == p.metadata.uid else { return }
        if let a = Int(cur.pod.metadata.resourceVersion), let b = Int(p.metadata.resourceVersion), b < a { return }
        pods[k] = (p, cur.source)
        wake(k)
    }

    func remove(_ m: ObjectMeta, source: Int) {
        let k = Self.key(m)
        guard let cur = pods[k], cur.source == source, cur.pod.metadata.uid == m.uid || m.uid.isEmpty else { return }
        pods[k] = nil
        out.yield(.podDeleted(namespace: m.namespace ?? "", pod: m.name, node: cur.pod.nodeName ?? ""))
        wake(k)
        announce()
    }

    /// After a relist: pods of this source that are no longer there were deleted meanwhile.
    func keep(_ keys: Set<String>, source: Int) {
        for (k, v) in pods where v.source == source && !keys.contains(k) { remove(v.pod.metadata, source: source) }
    }

    /// Tells printers the containers now shown, when that set changed.
    func announce() {
        let now = pods.values.flatMap { e in
            e.pod.containers.map { LogTarget(namespace: e.pod.metadata.namespace ?? "", pod: e.pod.metadata.name, container: $0, node: e.pod.nodeName ?? "") }
        }.sorted { ($0.pod, $0.container) < ($1.pod, $1.container) }
        guard now != shown else { return }
        shown = now
        out.yield(.targets(now))
    }

    func wake(_ k: String) {
        for c in (waiters.removeValue(forKey: k) ?? [:]).values { c.resume() }
    }

    func fire(_ k: String, _ id: Int) {
        if let c = waiters[k]?.removeValue(forKey: id) { c.resume() }
    }

    /// Returns when the pod changes or goes away, after `timeout` seconds, or on cancellation.
    func nextChange(_ k: String, timeout: Double?) async {
        nextWaiter += 1
        let id = nextWaiter
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                guard !Task.isCancelled, pods[k] != nil else { c.resume(); return }
                waiters[k, default: [:]][id] = c
                if let timeout {
                    Task { [weak self] in
                        try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                        await self?.fire(k, id)
                    }
                }
            }
        } onCancel: {
            Task { await self.fire(k, id) }
        }
    }
}
