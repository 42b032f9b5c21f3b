import Foundation
import Kube
import YAML

/// One container's log as the output names it.
public struct LogTarget: Sendable, Hashable {
    public var namespace: String
    public var pod: String
    public var container: String
    public var node: String
    public init(namespace: String, pod: String, container: String, node: String) {
        self.namespace = namespace; self.pod = pod; self.container = container; self.node = node
    }
}

/// A log line's text and its kubelet timestamp (nil when the line carried none).
public struct LogText: Sendable, Hashable {
    public var text: String
    public var time: String?
    public init(text: String, time: String?) { self.text = text; self.time = time }
}

/// What the follower reports, in arrival order.
public enum LogEvent: Sendable {
    /// Lines of one container, as many as arrived together (one chunk from the server).
    case lines(LogTarget, [LogText])
    /// The containers being shown changed (pods came or went): printers realign on it.
    case targets([LogTarget])
    /// A followed container restarted; lines after this belong to the new instance.
    case restarted(LogTarget, restartCount: Int)
    case podDeleted(namespace: String, pod: String, node: String)
    /// Something worth saying that does not stop the others (a container that cannot start).
    case warning(String)
    /// The tail cannot go on (the pods cannot be listed or watched); the stream ends after it.
    case failed(String)
}

public struct LogTailOptions: Sendable {
    public var follow: Bool
    /// Lines per container from the end, for pods that exist when the tail starts.
    public var tailLines: Int?
    public var sinceSeconds: Int?
    /// The previous (ended) instance of each container, as `kubectl logs --previous`: what a
    /// node logged before it crashed. Never followed.
    public var previous: Bool
    public init(follow: Bool = false, tailLines: Int? = nil, sinceSeconds: Int? = nil, previous: Bool = false) {
        self.follow = follow && !previous; self.tailLines = tailLines; self.sinceSeconds = sinceSeconds; self.previous = previous
    }
}

/// A namespace and selectors the API server answers with pods.
public struct PodSource: Sendable, Hashable {
    public var namespace: String
    public var labelSelector: String?
    public var fieldSelector: String?
    public init(namespace: String, labelSelector: String? = nil, fieldSelector: String? = nil) {
        self.namespace = namespace; self.labelSelector = labelSelector; self.fieldSelector = fieldSelector
    }

    /// The live workload's own selector when the query names one and it can be read; the
    /// query's label selector otherwise.
    public static func resolve(_ queries: [PodQuery], client: KubeClient) async throws -> [PodSource] {
        var out: [PodSource] = []
        for q in queries {
            var label = q.labelSelector
            if let w = q.workload, let live = try await client.get(apiVersion: w.apiVersion, kind: w.kind, name: w.name, namespace: q.namespace),
               let s = LogSelectors.selector(from: live) {
                label = s
            }
            let src = PodSource(namespace: q.namespace, labelSelector: label, fieldSelector: q.fieldSelector)
            if !out.contains(src) { out.append(src) }
        }
        return out
    }
}

/// Every container of every matching pod at once: the pods are listed, then (with `follow`)
/// watched from the list's resourceVersion, so pods that appear are picked up and pods that
/// go away reported without polling. Each container is read by its own log stream; a restart
/// is followed into the new instance. Lines are delivered as they arrive.
public struct LogTail: Sendable {
    public var client: KubeClient
    public var sources: [PodSource]
    public var options: LogTailOptions

    public init(client: KubeClient, sources: [PodSource], options: LogTailOptions) {
        self.client = client; self.sources = sources; self.options = options
    }

    /// The events; ends when every log was read (without `follow`), on `.failed`, or when the
    /// consumer stops iterating (which cancels every stream).
    public func events() -> AsyncStream<LogEvent> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let task = Task {
                await run(continuation)
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func run(_ out: AsyncStream<LogEvent>.Continuation) async {
        let hub = LogTailHub(out: out)
        var lists: [(Int, KubeList)] = []
        for (i, s) in sources.enumerated() {
            do {
                lists.append((i, try await client.list(apiVersion: "v1", kind: "Pod", namespace: s.namespace,
                                                       labelSelector: s.labelSelector, fieldSelector: s.fieldSelector)))
            } catch {
                out.yield(.failed("\(error)"))
                return
            }
        }
        var initial: [Pod] = []
        for (i, l) in lists {
            for item in l.items { if let p = await hub.upsert(Pod(item), raw: item, source: i, announce: false) { initial.append(p) } }
        }
        await hub.announce()
        await withTaskGroup(of: Void.self) { group in
            for p in initial {
                for c in p.containers {
                    group.addTask { await follow(hub, pod: p, container: c, tailLines: options.tailLines, sinceSeconds: options.sinceSeconds) }
                }
            }
            guard options.follow else { return }
            for (i, l) in lists {
                group.addTask { await watch(hub, source: i, from: l.resourceVersion) }
            }
        }
    }

    /// Keeps the hub's picture of one source's pods current and starts followers for new pods.
    func watch(_ hub: LogTailHub, source i: Int, from rv: String) async {
        let s = sources[i]
        await withTaskGroup(of: Void.self) { group in
            do {
                for try await ev in client.watch(apiVersion: "v1", kind: "Pod", namespace: s.namespace, labelSelector: s.labelSelector,
                                                 fieldSelector: s.fieldSelector, resourceVersion: rv) {
                    switch ev {
                    case .added(let v), .modified(let v):
                        if let p = await hub.upsert(Pod(v), raw: v, source: i, announce: true) {
                            for c in p.containers { group.addTask { await follow(hub, pod: p, container: c, tailLines: nil, sinceSeconds: nil) } }
                        }
                    case .deleted(let v):
                        await hub.remove(Pod(v).metadata, source: i)
                    case .relisted(let items):
                        let pods = items.map { (Pod($0), $0) }
                        await hub.keep(Set(pods.map { LogTailHub.key($0.0.metadata) }), source: i)
                        for (p, raw) in pods {
                            if let fresh = await hub.upsert(p, raw: raw, source: i, announce: true) {
                                for c in fresh.containers { group.addTask { await follow(hub, pod: fresh, container: c, tailLines: nil, sinceSeconds: nil) } }
                            }
                        }
                    case .bookmark:
                        continue
                    }
                }
            } catch {
                hub.out.yield(.failed("\(error)"))
                group.cancelAll()
            }
        }
    }

    /// Reads one container's log. With `follow`: waits until the container can be read, follows
    /// it, and when the stream ends decides from the pod's fresh state whether the container
    /// restarted (follow the new instance from its first line), the connection broke (resume
    /// from the last timestamp, dropping what was already shown), or it ended for good.
    func follow(_ hub: LogTailHub, pod first: Pod, container: String, tailLines: Int?, sinceSeconds: Int?) async {
        let ns = first.metadata.namespace ?? client.namespace
        let name = first.metadata.name
        let key = LogTailHub.key(first.metadata)
        var instance: Int?
        var last: LogTimestamp?
        var lastStamp: String?
        var atLast = 0
        var tail = tailLines, since = sinceSeconds
        var quiet = 0
        var warned: String?
        while !Task.isCancelled {
            guard let pod = await hub.pod(key) else { return }
            let cs = pod.containerStatuses.first { $0.name == container }
            let restarts = cs?.restartCount ?? 0
            if options.previous && restarts == 0 {
                hub.out.yield(.warning("\(name)/\(container): no previous instance (it has not restarted)"))
                return
            }
            let readable = options.previous || (cs.map { $0.running || $0.terminatedReason != nil } ?? false)
            if !readable {
                guard options.follow else {
                    hub.out.yield(.warning("\(name)/\(container): " + (cs?.waitingReason.map { "waiting to start: \($0)" } ?? "not started yet")))
                    return
                }
                if let why = cs?.waitingReason, why != "ContainerCreating", why != "PodInitializing", warned != why {
                    warned = why
                    hub.out.yield(.warning("[\(name)/\(container) waiting: \(why)]"))
                }
                await hub.nextChange(key, timeout: nil)
                continue
            }
            let target = LogTarget(namespace: ns, pod: name, container: container, node: pod.nodeName ?? "")
            if let i = instance, restarts > i {
                hub.out.yield(.restarted(target, restartCount: restarts))
                last = nil; lastStamp = nil; atLast = 0; tail = nil; since = nil
            }
            instance = restarts
            var skipSame = last == nil ? 0 : atLast
            let resumeFrom = last
            let o = LogOptions(container: container, follow: options.follow, tailLines: resumeFrom == nil ? tail : nil,
                               sinceSeconds: resumeFrom == nil ? since : nil, timestamps: true, previous: options.previous,
                               sinceTime: resumeFrom == nil ? nil : lastStamp)
            var delivered = 0
            do {
                for try await chunk in client.logChunks(pod: name, namespace: ns, options: o) {
                    var batch: [LogText] = []
                    batch.reserveCapacity(chunk.count)
                    for raw in chunk {
                        guard let (stamp, t, text) = LogTimestamp.split(raw) else {
                            batch.append(LogText(text: raw, time: nil))
                            continue
                        }
                        if let r = resumeFrom {
                            if t < r { continue }
                            if t == r && skipSame > 0 { skipSame -= 1; continue }
                        }
                        if t == last { atLast += 1 } else { last = t; lastStamp = String(stamp); atLast = 1 }
                        delivered += 1
                        batch.append(LogText(text: String(text), time: String(stamp)))
                    }
                    if !batch.isEmpty { hub.out.yield(.lines(target, batch)) }
                }
            } catch let e as KubeError where e.kind == .notFound || e.code == 400 {
                // The pod went away or the container is between instances: the fresh state decides.
            } catch is CancellationError {
                return
            } catch {
                if !Task.isCancelled { hub.out.yield(.warning("[\(name)/\(container): \(error)]")) }
            }
            guard options.follow, !Task.isCancelled else { return }
            let fresh = await refresh(hub, key: key, namespace: ns, name: name)
            guard let now = fresh else { return }
            let ncs = now.containerStatuses.first { $0.name == container }
            let nrestarts = ncs?.restartCount ?? 0
            if nrestarts > restarts { quiet = 0; continue }
            if ncs?.running == true {
                // Same instance still running: the connection ended, or the kubelet has not
                // reported the exit yet. Resume once something changes, backing off.
                quiet = delivered > 0 ? 0 : quiet + 1
                await hub.nextChange(key, timeout: min(5, 0.25 * Double(1 << min(quiet, 5))))
                continue
            }
            if now.phase == "Succeeded" || now.phase == "Failed" { return }
            await hub.nextChange(key, timeout: nil)
        }
    }

    /// The pod as the API server has it now (the watch may lag the stream's end); nil when gone.
    func refresh(_ hub: LogTailHub, key: String, namespace: String, name: String) async -> Pod? {
        do {
            guard let v = try await client.get(apiVersion: "v1", kind: "Pod", name: name, namespace: namespace) else {
                return await hub.pod(key)
            }
            await hub.refreshed(Pod(v))
            return await hub.pod(key)
        } catch {
            return await hub.pod(key)
        }
    }
}

/// The shared picture of the pods being followed: which source owns each pod, its latest state,
/// and the followers waiting for it to change.
actor LogTailHub {
    nonisolated let out: AsyncStream<LogEvent>.Continuation
    var pods: [String: (pod: Pod, source: Int)] = [:]
    var waiters: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    var nextWaiter = 0
    var shown: [LogTarget] = []

    init(out: AsyncStream<LogEvent>.Continuation) { self.out = out }

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
