import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import YAML

/// A simulated kube-apiserver on 127.0.0.1 over HTTPS. Clients authenticate with the kind-style
/// admin client certificate (or a bearer token registered in `cluster.tokens`); requests with
/// neither are answered 401 as the real server does.
public final class KubeSimServer: Sendable {
    public let cluster: SimCluster
    public let port: Int
    public let pki: SimPKI
    let group: MultiThreadedEventLoopGroup
    let channel: Channel

    public var url: String { "https://127.0.0.1:\(port)" }

    public static func start(options: SimOptions = SimOptions()) async throws -> KubeSimServer {
        let pki = try SimPKI.shared()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let cluster = SimCluster(options: options, loop: group.next())
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.serverCert.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.serverKey.utf8), format: .pem)))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caCert.utf8)))
        tls.certificateVerification = .optionalVerification
        // Shutting down, do not wait the default 5 s for close_notify from clients that keep
        // idle connections pooled (libcurl answers only when it next uses the connection).
        tls.shutdownTimeout = .milliseconds(50)
        // kube-apiserver offers h2 first; Go and libcurl clients then multiplex every request
        // and stream over one connection per 100 streams.
        tls.applicationProtocols = options.http2 ? ["h2", "http/1.1"] : ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let portBox = PortBox()
        var h2Connection = NIOHTTP2Handler.ConnectionConfiguration()
        h2Connection.initialSettings =
            nioDefaultSettings.filter { $0.parameter != .maxConcurrentStreams }
            + [
                HTTP2Setting(parameter: .maxConcurrentStreams, value: options.http2MaxConcurrentStreams),
                HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20)
            ]
        // Windows as large as Go's server uses (1 MB per stream, more per connection), so flow
        // control does not throttle a fast reader.
        h2Connection.targetWindowSize = 16 << 20
        var h2Stream = NIOHTTP2Handler.StreamConfiguration()
        h2Stream.targetWindowSize = 1 << 20
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 512)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                do {
                    try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                } catch {
                    return ch.eventLoop.makeFailedFuture(error)
                }
                return ch.configureCommonHTTPServerPipeline(
                    connectionConfiguration: h2Connection, streamConfiguration: h2Stream,
                    h2ConnectionChannelConfigurator: { conn in
                        cluster.noteConnection("h2")
                        return conn.eventLoop.makeSucceededVoidFuture()
                    },
                    configurator: { stream in
                        stream.eventLoop.makeCompletedFuture {
                            // HTTP/1.1 configures the TLS connection itself; HTTP/2 each stream.
                            if (try? stream.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)) != nil {
                                cluster.noteConnection("http/1.1")
                            }
                            try stream.pipeline.syncOperations.addHandler(SimHTTPHandler(cluster: cluster, port: portBox))
                        }
                    })
            }
        // With a process-running kubelet, pods reach the server on their bridge's gateway.
        let channel = try await bootstrap.bind(host: options.runtime == nil ? "127.0.0.1" : "0.0.0.0", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        portBox.set(port)
        if let rt = options.runtime {
            rt.apiCA = pki.caCert
            rt.apiPort = port
            try rt.network.start()
        }
        return KubeSimServer(cluster: cluster, port: port, pki: pki, group: group, channel: channel)
    }

    init(cluster: SimCluster, port: Int, pki: SimPKI, group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.cluster = cluster; self.port = port; self.pki = pki; self.group = group; self.channel = channel
    }

    public func shutdown() async {
        cluster.stopRealPods()
        cluster.dropWatches()
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// A kubeconfig exactly as kind writes it: embedded CA and client certificate/key data.
    public func kubeconfig(name: String = "kind-sim", namespace: String? = nil) -> String {
        func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
        return """
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: \(b64(pki.caCert))
                server: \(url)
              name: \(name)
            contexts:
            - context:
                cluster: \(name)
                user: \(name)\(namespace.map { "\n    namespace: \($0)" } ?? "")
              name: \(name)
            current-context: \(name)
            kind: Config
            preferences: {}
            users:
            - name: \(name)
              user:
                client-certificate-data: \(b64(pki.clientCert))
                client-key-data: \(b64(pki.clientKey))

            """
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func set(_ v: Int) { lock.lock(); value = v; lock.unlock() }
    var port: Int { lock.lock(); defer { lock.unlock() }; return value }
}

/// Streams chunks to one HTTP response from any thread, once the response head is out.
final class ChannelSink: SimStreamSink, @unchecked Sendable {
    let channel: Channel
    private let lock = NSLock()
    private var finished = false
    var onFinish: (@Sendable () -> Void)?

    init(channel: Channel) { self.channel = channel }

    var isFinished: Bool { lock.lock(); defer { lock.unlock() }; return finished }

    /// Touched only on the channel's event loop: orders body chunks against the end chunk no
    /// matter which thread produced them.
    private var endWritten = false

    func send(_ bytes: [UInt8]) {
        guard !isFinished else { return }
        let channel = self.channel
        channel.eventLoop.execute { [self] in
            guard !endWritten else { return }
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: bytes))), promise: nil)
        }
    }

    /// The write's promise completes when the bytes reach the socket (on HTTP/2, once the
    /// stream's flow-control window let them go), so waiting for it is the client's pace.
    func send(_ bytes: [UInt8], written: @escaping @Sendable (Bool) -> Void) {
        guard !isFinished else { written(false); return }
        let channel = self.channel
        channel.eventLoop.execute { [self] in
            guard !endWritten else { written(false); return }
            let promise = channel.eventLoop.makePromise(of: Void.self)
            // Never inline: a write that completes at once would otherwise recurse.
            promise.futureResult.whenComplete { r in
                channel.eventLoop.execute { if case .success = r { written(!self.isFinished) } else { written(false) } }
            }
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: bytes))), promise: promise)
        }
    }

    func finish() {
        lock.lock()
        if finished { lock.unlock(); return }
        finished = true
        let stop = onFinish
        onFinish = nil
        lock.unlock()
        stop?()
        let channel = self.channel
        channel.eventLoop.execute { [self] in
            guard !endWritten else { return }
            endWritten = true
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        }
    }

    /// The client went away: stop producing, no end chunk to write.
    func abandon() {
        lock.lock()
        finished = true
        let stop = onFinish
        onFinish = nil
        lock.unlock()
        stop?()
        channel.eventLoop.execute { [self] in endWritten = true }
    }
}

final class SimHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let cluster: SimCluster
    let port: PortBox
    var head: HTTPRequestHead?
    var body: [UInt8] = []
    var activeStream: ChannelSink?
    var bookmarkTask: RepeatedTask?

    init(cluster: SimCluster, port: PortBox) { self.cluster = cluster; self.port = port }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h; body = []
        case .body(var b): body += b.readBytes(length: b.readableBytes) ?? []
        case .end:
            guard let h = head else { return }
            head = nil
            handle(context: context, head: h, body: body)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        activeStream?.abandon()
        activeStream = nil
        bookmarkTask?.cancel()
        context.fireChannelInactive()
    }

    func user(context: ChannelHandlerContext, headers: HTTPHeaders) -> SimUser? {
        if let auth = headers.first(name: "authorization"), auth.hasPrefix("Bearer ") {
            return cluster.withLock { cluster.tokens[String(auth.dropFirst(7))] }
        }
        // On HTTP/2 the handler sits on a stream channel; TLS is on the connection (its parent).
        let ssl =
            (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))
            ?? (try? context.channel.parent?.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))
        guard let ssl,
            let cert = ssl.peerCertificate, let der = try? cert.toDERBytes()
        else { return nil }
        let subject = DERSubject.subject(der: der)
        guard let cn = subject.cn else { return nil }
        return SimUser(name: cn, groups: subject.orgs)
    }

    func handle(context: ChannelHandlerContext, head h: HTTPRequestHead, body: [UInt8]) {
        let parts = h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var headers: [String: String] = [:]
        for (k, v) in h.headers { headers[k.lowercased()] = v }
        if h.version.major == 2 { cluster.withLock { cluster.http2Requests += 1 } }
        let req = SimRequest(
            method: h.method.rawValue, path: String(parts.first ?? ""),
            query: parts.count > 1 ? SimRequest.parseQuery(parts[1]) : [:],
            headers: headers, body: body, user: user(context: context, headers: h.headers))
        respond(context: context, head: h, cluster.route(req, serverAddress: "127.0.0.1:\(port.port)"))
    }

    func respond(context: ChannelHandlerContext, head h: HTTPRequestHead, _ response: SimResponse) {
        switch response {
        case .reset:
            context.close(promise: nil)
        case .delayed(let seconds, let inner):
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                let (handler, ctx) = loopBound.value
                handler.respond(context: ctx, head: h, inner)
            }
        case .full(let code, let contentType, let body, let extra):
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.count))
            headers.add(name: "Audit-Id", value: SimID.uid())
            headers.add(name: "Cache-Control", value: "no-cache, private")
            for (k, v) in extra { headers.add(name: k, value: v) }
            let status = HTTPResponseStatus(statusCode: code)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .stream(let contentType, let start, let bookmarks):
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            // No Content-Length: HTTP/1.1 gets chunked encoding from NIO's encoder, HTTP/2 DATA
            // frames until END_STREAM (Transfer-Encoding is forbidden there).
            headers.add(name: "Cache-Control", value: "no-cache, private")
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .ok, headers: headers))), promise: nil)
            let sink = ChannelSink(channel: context.channel)
            activeStream = sink
            do {
                let (initial, stop) = try start(sink)
                for chunk in initial {
                    context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: chunk)))), promise: nil)
                }
                context.flush()
                let alreadyDone = sink.isFinished
                sink.onFinish = stop
                if alreadyDone { stop() }
                if let r = bookmarks, !alreadyDone {
                    let interval = cluster.options.bookmarkInterval
                    let cluster = self.cluster
                    bookmarkTask = context.eventLoop.scheduleRepeatedTask(
                        initialDelay: .nanoseconds(Int64(interval * 1e9)),
                        delay: .nanoseconds(Int64(interval * 1e9))
                    ) { task in
                        if sink.isFinished { task.cancel(); return }
                        sink.send(cluster.bookmark(r))
                    }
                }
            } catch let e as SimError {
                sink.send(SimCluster.watchEventBytes(type: "ERROR", object: e.status))
                sink.finish()
            } catch {
                sink.finish()
            }
        }
    }
}
