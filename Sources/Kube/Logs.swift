import Foundation
import YAML

/// Options of `GET /api/v1/namespaces/{ns}/pods/{name}/log`.
public struct LogOptions: Sendable {
    public var container: String?
    public var follow = false
    public var tailLines: Int?
    public var sinceSeconds: Int?
    public var timestamps = false
    public var previous = false
    public var limitBytes: Int?
    /// RFC 3339 time (the API's `sinceTime`); lines at or after it. Resuming a broken follow from
    /// the last timestamp seen needs it: `sinceSeconds` depends on the client's clock.
    public var sinceTime: String?
    public init(
        container: String? = nil, follow: Bool = false, tailLines: Int? = nil, sinceSeconds: Int? = nil,
        timestamps: Bool = false, previous: Bool = false, limitBytes: Int? = nil, sinceTime: String? = nil
    ) {
        self.container = container; self.follow = follow; self.tailLines = tailLines; self.sinceSeconds = sinceSeconds
        self.timestamps = timestamps; self.previous = previous; self.limitBytes = limitBytes; self.sinceTime = sinceTime
    }
}

extension KubeClient {
    /// Received chunks of one log a consumer may leave unread before the follow stops reading
    /// the network (then the transfer's own byte limit pauses it).
    static let logWindow = 64

    /// How much of one log follow may wait for its consumer: `chunks` received chunks in the
    /// stream, then `bytes` in the transfer before libcurl pauses it. One follow alone can
    /// afford the defaults; a consumer of hundreds at once (`slimctl logs -f`) takes smaller
    /// ones, since a stopped reader leaves every follow's buffers full at the same time.
    ///
    /// `ownConnection` puts the follow on an HTTP/1.1 connection of its own. Over HTTP/2,
    /// libcurl 7.88 opens a 32 MB window per stream that a pause does not take back, so a
    /// paused follow can still receive up to 32 MB into libcurl's memory; on a connection of
    /// its own the pause stops reading the socket, and TCP holds the server back (what is in
    /// flight waits in the kernel's socket buffers, not in this process).
    public struct StreamBuffer: Sendable, Hashable {
        public var chunks: Int
        public var bytes: Int
        public var ownConnection: Bool
        public init(chunks: Int, bytes: Int, ownConnection: Bool = false) {
            self.chunks = max(1, chunks); self.bytes = max(1 << 12, bytes); self.ownConnection = ownConnection
        }
        public static let `default` = StreamBuffer(chunks: KubeClient.logWindow, bytes: KubeClient.streamBufferLimit)
    }

    /// A pod's log, line by line. With `follow` the stream stays open until the container
    /// ends, the pod goes away or the consumer stops.
    public func logs(pod: String, namespace: String? = nil, options o: LogOptions = LogOptions()) -> KubeStream<String> {
        KubeStream(window: Self.logWindow * 64) { continuation in
            let task = Task { [self] in
                do {
                    for try await lines in logChunks(pod: pod, namespace: namespace, options: o) {
                        for l in lines { try await continuation.send(l) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A pod's log as the lines of each chunk the server sent. Following hundreds of pods at
    /// once, one stream event per chunk (not per line) is what keeps a consumer ahead of the
    /// kubelet: per-line events cost more than the lines themselves.
    public func logChunks(
        pod: String, namespace: String? = nil, options o: LogOptions = LogOptions(),
        buffer: StreamBuffer = .default
    ) -> KubeStream<[String]> {
        KubeStream(window: buffer.chunks) { continuation in
            let task = Task { [self] in
                let ns = namespace ?? config.namespace
                let path =
                    "/api/v1/namespaces/\(APIResource.escape(ns))/pods/\(APIResource.escape(pod))/log"
                    + Self.query([
                        ("container", o.container), ("follow", o.follow ? "true" : nil), ("tailLines", o.tailLines.map(String.init)),
                        ("sinceSeconds", o.sinceSeconds.map(String.init)), ("sinceTime", o.sinceTime), ("timestamps", o.timestamps ? "true" : nil),
                        ("previous", o.previous ? "true" : nil), ("limitBytes", o.limitBytes.map(String.init))
                    ])
                do {
                    let (t, iterator) = try await openStream(
                        path, operation: "logs of pod \"\(pod)\" in namespace \"\(ns)\"", accept: "*/*",
                        bufferLimit: buffer.bytes, ownConnection: buffer.ownConnection)
                    var it = iterator
                    var splitter = LineSplitter()
                    try await withTaskCancellationHandler {
                        while let e = try await it.next() {
                            guard case .body(let b) = e else { continue }
                            let lines = splitter.pushText(b)
                            if !lines.isEmpty { try await continuation.send(lines) }
                        }
                        if !splitter.buffer.isEmpty { try await continuation.send([String(decoding: splitter.buffer, as: UTF8.self)]) }
                    } onCancel: {
                        CurlEngine.shared.cancel(t)
                    }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch let e as CurlError {
                    continuation.finish(throwing: KubeError(kind: .network, message: "logs of pod \"\(pod)\": \(e.description)"))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
