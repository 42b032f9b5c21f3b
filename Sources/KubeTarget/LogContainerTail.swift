import Foundation
import Kube

/// One container's tail (stern's "tail"): its own log stream, read while the reader keeps up.
/// Each batch of lines is handed to the merge with `send`, which waits while the reader is
/// behind; while it waits this tail does not pull from its `KubeStream`, whose window then
/// fills and whose libcurl transfer pauses, so the kubelet's log stays on the node instead of
/// in this process. The tail is also where a container's story is decided (waiting, restarted,
/// reconnected, ended), because only it knows what it has already shown.
extension LogTail {
    /// Reads one container's log. With `follow`: waits until the container can be read, follows
    /// it, and when the stream ends decides from the pod's fresh state whether the container
    /// restarted (follow the new instance from its first line), the connection broke (resume
    /// from the last timestamp, dropping what was already shown), or it ended for good.
    func follow(_ hub: LogTailHub, pod first: Pod, container: String, tailLines: Int?, sinceSeconds: Int?) async {
        let ns = first.metadata.namespace ?? client.namespace
        let name = first.metadata.name
        let key = LogTailHub.key(first.metadata)
        var instance: Int?
        var point = ResumePoint()
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
                point = ResumePoint(); tail = nil; since = nil
            }
            instance = restarts
            let resumeFrom = point.last, skipSame = point.last == nil ? 0 : point.atLast
            let o = LogOptions(
                container: container, follow: options.follow, tailLines: resumeFrom == nil ? tail : nil,
                sinceSeconds: resumeFrom == nil ? since : nil, timestamps: true, previous: options.previous,
                sinceTime: resumeFrom == nil ? nil : point.stamp)
            guard let delivered = await stream(hub, target: target, options: o, from: resumeFrom, skipSame: skipSame, point: &point) else { return }
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

    /// Where a broken stream resumes: the last timestamp shown and how many lines carried it
    /// (lines of one timestamp can arrive on both sides of a reconnect).
    struct ResumePoint {
        var last: LogTimestamp?
        var stamp: String?
        var atLast = 0
    }

    /// One log stream of the container into the merge, dropping what a resumed stream repeats
    /// (lines before `resumeFrom`, and the first `skipSame` at it). Returns the lines delivered,
    /// or nil when the follow was cancelled.
    func stream(
        _ hub: LogTailHub, target: LogTarget, options o: LogOptions, from resumeFrom: LogTimestamp?, skipSame: Int,
        point: inout ResumePoint
    ) async -> Int? {
        var skipSame = skipSame
        var delivered = 0
        var buffer = streamBuffer
        // A read that ends by itself holds no more than its log: no connection of its own.
        if !options.follow { buffer.ownConnection = false }
        do {
            for try await chunk in client.logChunks(pod: target.pod, namespace: target.namespace, options: o, buffer: buffer) {
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
                    if t == point.last { point.atLast += 1 } else { point.last = t; point.stamp = String(stamp); point.atLast = 1 }
                    delivered += 1
                    batch.append(LogText(text: String(text), time: String(stamp)))
                }
                if !batch.isEmpty { await hub.out.send(.lines(target, batch)) }
            }
        } catch let e as KubeError where e.kind == .notFound || e.code == 400 {
            // The pod went away or the container is between instances: the fresh state decides.
        } catch is CancellationError {
            return nil
        } catch {
            if !Task.isCancelled { hub.out.yield(.warning("[\(target.pod)/\(target.container): \(error)]")) }
        }
        return delivered
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
