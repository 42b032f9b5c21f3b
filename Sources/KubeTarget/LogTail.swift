import Foundation
import Kube
import YAML

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

/// Every container of every matching pod at once, as stern does it: the pods are listed, then
/// (with `follow`) watched from the list's resourceVersion (`LogPodWatch`), so pods that appear
/// are picked up and pods that go away reported without polling. Each container is read by its
/// own log stream (`LogContainerTail`), a restart followed into the new instance; the pods'
/// shared state is the hub's (`LogTailHub`); everything meets in one bounded queue
/// (`LogMerge`) that the reader drains. Lines are delivered as they arrive, and no faster than
/// the reader takes them: a reader that stops stops every stream behind it.
public struct LogTail: Sendable {
    public var client: KubeClient
    public var sources: [PodSource]
    public var options: LogTailOptions
    /// Bytes of text the reader may fall behind before the containers' tails wait for it.
    public var bufferLimit: Int
    /// What each container's stream may hold for its tail while the tail waits.
    public var streamBuffer: KubeClient.StreamBuffer

    /// 512 KiB of text between all tails and the reader: a few thousand lines, enough that a
    /// reader that keeps up never waits for a tail to be woken, small next to what 200
    /// followed pods could otherwise pile up.
    public static let mergeLimit = 512 << 10

    /// Per container: 2 chunks and 32 KiB in the transfer, on a connection of its own while
    /// following (see `KubeClient.StreamBuffer`: over HTTP/2 libcurl would still take up to
    /// 32 MB per paused stream). A stopped reader leaves every stream's buffers full at once,
    /// so this is what 200 followed pods multiply; a reader that keeps up never lets a stream
    /// get that far. Smaller buffers did not lower the stopped figure further (`make bench`,
    /// logs-memory: 1 chunk and 8 or 16 KiB gave the same 69 MiB as this gives 71): what is
    /// left is libcurl's and OpenSSL's own per connection.
    public static let followBuffer = KubeClient.StreamBuffer(chunks: 2, bytes: 32 << 10, ownConnection: true)

    public init(
        client: KubeClient, sources: [PodSource], options: LogTailOptions, bufferLimit: Int = LogTail.mergeLimit,
        streamBuffer: KubeClient.StreamBuffer = LogTail.followBuffer
    ) {
        self.client = client; self.sources = sources; self.options = options; self.bufferLimit = bufferLimit; self.streamBuffer = streamBuffer
    }

    /// The events; ends when every log was read (without `follow`), on `.failed`, or when the
    /// consumer stops iterating (which cancels every stream). A consumer that stops reading
    /// without ending holds every stream still once `bufferLimit` is queued.
    public func events() -> LogEvents {
        let merge = LogMerge(limit: bufferLimit)
        let task = Task {
            await run(merge)
            merge.finish()
        }
        merge.onTermination { task.cancel() }
        return LogEvents(merge)
    }

    func run(_ out: LogMerge) async {
        let hub = LogTailHub(out: out)
        var lists: [(Int, KubeList)] = []
        for (i, s) in sources.enumerated() {
            do {
                lists.append(
                    (
                        i,
                        try await client.list(
                            apiVersion: "v1", kind: "Pod", namespace: s.namespace,
                            labelSelector: s.labelSelector, fieldSelector: s.fieldSelector)
                    ))
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
}
