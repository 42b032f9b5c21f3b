import Foundation
import NIOCore
import NIOPosix

/// An HTTP CONNECT proxy on 127.0.0.1, for the kubeconfig's `proxy-url`: it answers a CONNECT
/// with 200 and then relays bytes both ways, as corporate proxies in front of API servers do.
/// It records every CONNECT target, so a test can tell that the client really went through it
/// (TLS stays end to end: the proxy sees only the target and ciphertext).
public final class SimConnectProxy: Sendable {
    public let port: Int
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let log: ConnectLog

    public var url: String { "http://127.0.0.1:\(port)" }
    /// `host:port` of every CONNECT, in order.
    public var connects: [String] { log.all }

    public static func start() async throws -> SimConnectProxy {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = ConnectLog()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(ConnectHandler(log: log)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SimConnectProxy(port: channel.localAddress?.port ?? 0, group: group, channel: channel, log: log)
    }

    init(port: Int, group: MultiThreadedEventLoopGroup, channel: Channel, log: ConnectLog) {
        self.port = port; self.group = group; self.channel = channel; self.log = log
    }

    public func shutdown() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

final class ConnectLog: @unchecked Sendable {
    private let lock = NSLock()
    private var targets: [String] = []
    func add(_ t: String) { lock.withLock { targets.append(t) } }
    var all: [String] { lock.withLock { targets } }
}

/// Reads the CONNECT request head, connects to the target, answers 200, then relays.
final class ConnectHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let log: ConnectLog
    var head: [UInt8] = []
    var peer: Channel?
    var pending: [ByteBuffer] = []
    var connecting = false

    init(log: ConnectLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buf = unwrapInboundIn(data)
        if let peer {
            peer.writeAndFlush(buf, promise: nil)
            return
        }
        if connecting { pending.append(buf); return }
        head += buf.readBytes(length: buf.readableBytes) ?? []
        guard let end = Self.endOfHead(head) else { return }
        let text = String(decoding: head[..<end], as: UTF8.self)
        let rest = Array(head[(end + 4)...])
        let parts = text.split(separator: "\r\n").first?.split(separator: " ") ?? []
        guard parts.count >= 2, parts[0] == "CONNECT", let colon = parts[1].lastIndex(of: ":"), let port = Int(parts[1][parts[1].index(after: colon)...]) else {
            context.writeAndFlush(
                wrapOutboundOut(context.channel.allocator.buffer(string: "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")), promise: nil)
            context.close(promise: nil)
            return
        }
        let host = String(parts[1][..<colon])
        log.add("\(host):\(port)")
        connecting = true
        if !rest.isEmpty { pending.append(context.channel.allocator.buffer(bytes: rest)) }
        let client = context.channel
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(RelayHandler(partner: client)) }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                let (handler, ctx) = loopBound.value
                switch result {
                case .success(let upstream):
                    handler.peer = upstream
                    ctx.writeAndFlush(
                        handler.wrapOutboundOut(ctx.channel.allocator.buffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
                    for b in handler.pending { upstream.writeAndFlush(b, promise: nil) }
                    handler.pending = []
                case .failure:
                    ctx.writeAndFlush(
                        handler.wrapOutboundOut(ctx.channel.allocator.buffer(string: "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")), promise: nil)
                    ctx.close(promise: nil)
                }
            }
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer?.close(promise: nil)
        context.fireChannelInactive()
    }

    static func endOfHead(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}

/// The upstream side: bytes from the API server go back to the client.
final class RelayHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let partner: Channel
    init(partner: Channel) { self.partner = partner }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
        context.fireChannelInactive()
    }
}
