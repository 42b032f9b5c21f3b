import Foundation
import OrderedCollections
import YAML

/// Hooks the benchmark needs: a cluster of benchmark size loaded at once (as an API server
/// restored from an etcd snapshot would start), an exact instant at which a workload becomes
/// ready, and log bursts delivered the way the kubelet streams them.
extension SimCluster {
    /// Stores objects as they are, without running controllers or the kubelet on them (the
    /// pods' status is taken as the kubelet last reported it). Watch history starts after the
    /// load, as after a restore: a watch from an older resourceVersion gets 410 Gone.
    public func bulkLoad(_ resource: String, _ items: [Value]) {
        withLock {
            let r = Self.res(resource)
            for var obj in items {
                revision += 1
                let name = obj[path: ["metadata", "name"]]?.str ?? ""
                let ns = r.namespaced ? (obj[path: ["metadata", "namespace"]]?.str ?? "default") : ""
                if r.namespaced { obj[path: ["metadata", "namespace"]] = .string(ns) }
                if obj[path: ["metadata", "uid"]] == nil { obj[path: ["metadata", "uid"]] = .string(SimID.uid()) }
                if obj[path: ["metadata", "creationTimestamp"]] == nil { obj[path: ["metadata", "creationTimestamp"]] = .string(SimTime.rfc3339()) }
                obj[path: ["metadata", "resourceVersion"]] = .string(String(revision))
                obj[path: ["apiVersion"]] = .string(r.groupVersion)
                obj[path: ["kind"]] = .string(r.kind)
                if r.name == "pods", let uid = obj[path: ["metadata", "uid"]]?.str {
                    // The kubelet has seen these pods already: it must not restart their lifecycle.
                    var logs: [String: [LogLine]] = [:]
                    for c in containerNames(obj) { logs[c] = [] }
                    podLogs[uid] = logs
                }
                objects[r, default: [:]][ns, default: [:]][name] = obj
            }
            watchLog.removeAll()
            watchLogStart = revision + 1
        }
    }

    /// Makes every pod of `namespace` whose name starts with `podPrefix` Ready now, and runs the
    /// controllers in the same instant, so the owning workload's status is ready when this
    /// returns: the benchmark's "known instant".
    public func makeReady(namespace: String, podPrefix: String) {
        withLock {
            behaviors[podPrefix] = PodBehavior.normal
            let r = Self.res("pods")
            for pod in allLocked(r, namespace: namespace) where (pod[path: ["metadata", "name"]]?.str ?? "").hasPrefix(podPrefix) {
                guard !Self.isTerminating(pod), pod[path: ["status", "phase"]]?.str == "Running" else { continue }
                var p = pod
                var conditions = (p[path: ["status", "conditions"]]?.list ?? []).filter {
                    $0["type"]?.str != "Ready" && $0["type"]?.str != "ContainersReady"
                }
                conditions.append(Self.condition("Ready", true))
                conditions.append(Self.condition("ContainersReady", true))
                p[path: ["status", "conditions"]] = .list(conditions)
                let statuses = (p[path: ["status", "containerStatuses"]]?.list ?? []).map { s -> Value in
                    var c = s
                    c[path: ["ready"]] = true
                    return c
                }
                p[path: ["status", "containerStatuses"]] = .list(statuses)
                if let uid = p[path: ["metadata", "uid"]]?.str { podTimers.removeValue(forKey: uid)?.cancel() }
                updateLocked(r, p)
            }
            reconcileLocked()
        }
    }

    /// Open log-follow streams (all pods, all containers): the benchmark starts its burst only
    /// once every follower of the tool under test is connected.
    public var logFollowerCount: Int {
        withLock { logFollowers.values.reduce(0) { $0 + $1.count } }
    }

    /// Open watches (all resources), for tests that act only once a client is watching.
    public var watcherCount: Int {
        withLock { watchers.values.reduce(0) { $0 + $1.count } }
    }

    /// Writes many lines to one container's log at once; followers get them as one chunk, as
    /// the kubelet forwards a burst read from the container's log file.
    public func appendLogs(namespace: String = "default", pod: String, container: String? = nil, _ lines: [String]) {
        withLock {
            guard let p = objects[Self.res("pods")]?[namespace]?[pod], let uid = p[path: ["metadata", "uid"]]?.str, podLogs[uid] != nil else { return }
            let c = container ?? containerNames(p).first ?? ""
            let now = Date()
            let entries = lines.map { LogLine(time: now, text: $0) }
            podLogs[uid]?[c, default: []].append(contentsOf: entries)
            for f in (logFollowers[uid] ?? [:]).values where f.container == c {
                var bytes: [UInt8] = []
                // One instant for the whole burst: stamp it once.
                let stamp = f.timestamps ? Array((SimTime.rfc3339(now, fraction: true) + " ").utf8) : []
                for e in entries { bytes += stamp; bytes += e.text.utf8; bytes.append(10) }
                f.sink.send(bytes)
            }
        }
    }

    /// Streams `chunks` chunks of `linesPerChunk` generated lines to every current follower of
    /// one container, as the kubelet streams a log file: the next chunk only once the previous
    /// one has left for the client, so a client that stops reading stops the producer. The
    /// lines are generated as they are sent and not kept (a follower that connects later, or
    /// reconnects, does not get them): the simulator holds no log data however much is
    /// offered, so a test can measure the client's memory in the same process. `done` is
    /// called once per follower with the chunks it was sent.
    public func streamLogs(
        namespace: String = "default", pod: String, container: String? = nil, chunks: Int, linesPerChunk: Int,
        line: @escaping @Sendable (_ index: Int) -> String, done: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        let followers: [(sink: SimStreamSink, timestamps: Bool)] = withLock {
            guard let p = objects[Self.res("pods")]?[namespace]?[pod], let uid = p[path: ["metadata", "uid"]]?.str else { return [] }
            let c = container ?? containerNames(p).first ?? ""
            return (logFollowers[uid] ?? [:]).values.filter { $0.container == c }.map { ($0.sink, $0.timestamps) }
        }
        for f in followers {
            let pump = SimLogPump(sink: f.sink, timestamps: f.timestamps, chunks: chunks, linesPerChunk: linesPerChunk, line: line, done: done)
            pump.next(0)
        }
    }

    /// Runs the controllers once now (after `bulkLoad`, so workload status matches the pods).
    public func reconcileNow() {
        withLock { reconcileLocked() }
    }

    /// The `controller-revision-hash` the simulated controllers give pods of this template.
    public static func templateHash(_ template: Value) -> String { SimTemplates.hash(template) }

    /// Deletes the DaemonSet's pods at once (no grace period); the controller recreates them
    /// Running but not Ready, until `makeReady`.
    public func resetNotReady(namespace: String, daemonSet: String) {
        withLock {
            behaviors["\(daemonSet)-"] = .neverReady
            let r = Self.res("pods")
            for pod in allLocked(r, namespace: namespace) {
                let owner = pod[path: ["metadata", "ownerReferences"]]?.list.first
                guard owner?["kind"]?.str == "DaemonSet", owner?["name"]?.str == daemonSet else { continue }
                _ = try? deleteLocked(r, namespace: namespace, name: pod[path: ["metadata", "name"]]?.str ?? "", propagation: nil, gracePeriod: 0)
            }
        }
    }

    /// Deletes an object as a client's DELETE would (pods terminate gracefully).
    public func delete(_ resource: String, namespace: String? = nil, name: String) {
        withLock { _ = try? deleteLocked(Self.res(resource), namespace: namespace, name: name, propagation: "Background", gracePeriod: nil) }
    }
}

/// One follower's generated log, a chunk at a time at the client's pace.
final class SimLogPump: Sendable {
    let sink: SimStreamSink
    let timestamps: Bool
    let chunks: Int
    let linesPerChunk: Int
    let line: @Sendable (Int) -> String
    let done: @Sendable (Int) -> Void

    init(
        sink: SimStreamSink, timestamps: Bool, chunks: Int, linesPerChunk: Int, line: @escaping @Sendable (Int) -> String,
        done: @escaping @Sendable (Int) -> Void
    ) {
        self.sink = sink; self.timestamps = timestamps; self.chunks = chunks; self.linesPerChunk = linesPerChunk; self.line = line; self.done = done
    }

    func next(_ chunk: Int) {
        guard chunk < chunks else { done(chunk); return }
        var bytes: [UInt8] = []
        let stamp = timestamps ? Array((SimTime.rfc3339(Date(), fraction: true) + " ").utf8) : []
        for j in 0..<linesPerChunk {
            bytes += stamp
            bytes += line(chunk * linesPerChunk + j).utf8
            bytes.append(10)
        }
        sink.send(bytes) { [self] ok in
            if ok { next(chunk + 1) } else { done(chunk) }
        }
    }
}
