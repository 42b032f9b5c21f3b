import CCurl
import Foundation

/// One HTTP exchange as libcurl runs it. Events reach async code through `events`: first
/// `.head` (status and headers), then `.body` chunks, then the stream finishes (with an error
/// if the transfer failed).
final class Transfer: @unchecked Sendable {
    enum Event: Sendable {
        case head(Int, [String: String])
        case body([UInt8])
    }

    let easy: UnsafeMutableRawPointer
    var slist: UnsafeMutablePointer<curl_slist>?
    var connectTo: UnsafeMutablePointer<curl_slist>?
    let continuation: AsyncThrowingStream<Event, Error>.Continuation
    let events: AsyncThrowingStream<Event, Error>
    var status = 0
    var headers: [String: String] = [:]
    var headSent = false
    var finished = false
    /// CURL_HTTP_VERSION_* the exchange used, read when it ends (for `-v`).
    var httpVersion = 0
    /// The server (`host:port` connected to) whose connections this transfer shares.
    var origin = ""

    /// Back-pressure for streams: at most this many received bytes wait for the consumer
    /// before libcurl is told to pause the transfer (0: no limit, for ordinary requests that
    /// are read whole anyway). Paused, libcurl stops reading the socket (on HTTP/2 it stops
    /// granting window to that stream alone), so a slow consumer of a fast log follow holds
    /// a bounded amount of memory and the server is slowed down instead.
    let bufferLimit: Int
    private let flow = NSLock()
    private var pending = 0
    private var pausedByLimit = false
    /// Largest number of bytes that waited for the consumer at once (tests, `-v`).
    private(set) var peakPending = 0

    init?(bufferLimit: Int = 0) {
        guard let e = curl_easy_init() else { return nil }
        easy = e
        self.bufferLimit = bufferLimit
        (events, continuation) = AsyncThrowingStream.makeStream(of: Event.self, throwing: Error.self, bufferingPolicy: .unbounded)
    }

    /// Called on the engine thread with a received chunk: false means pause (the chunk stays
    /// with libcurl and is delivered again after the resume).
    func admit(_ count: Int) -> Bool {
        guard bufferLimit > 0 else { return true }
        flow.lock()
        defer { flow.unlock() }
        if pending >= bufferLimit {
            pausedByLimit = true
            return false
        }
        pending += count
        peakPending = max(peakPending, pending)
        return true
    }

    /// The consumer took `count` bytes; resumes the transfer once a quarter of the limit is left.
    func consumed(_ count: Int) {
        guard bufferLimit > 0 else { return }
        flow.lock()
        pending -= count
        let resume = pausedByLimit && pending <= bufferLimit / 4
        if resume { pausedByLimit = false }
        flow.unlock()
        if resume { CurlEngine.shared.resume(self) }
    }

    deinit {
        curl_easy_cleanup(easy)
        if let slist { curl_slist_free_all(slist) }
        if let connectTo { curl_slist_free_all(connectTo) }
    }

    func sendHead() {
        guard !headSent else { return }
        headSent = true
        continuation.yield(.head(status, headers))
    }
}

/// The process's single curl multi handle, driven by a dedicated thread. Requests and long
/// streams are easy handles added to it, so hundreds of watches cost one thread, connections
/// are pooled and reused, and HTTP/2 streams are multiplexed; the Swift cooperative pool
/// never blocks on the network.
final class CurlEngine: @unchecked Sendable {
    static let shared = CurlEngine()

    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var toAdd: [Transfer] = []
    private var toRemove: [Transfer] = []
    private var toResume: [Transfer] = []
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    private let statsLock = NSLock()
    private var pauseCount = 0, resumeCount = 0

    /// How often streams were paused for a slow consumer and resumed (tests, `-v`).
    var flowStats: (pauses: Int, resumes: Int) {
        statsLock.lock(); defer { statsLock.unlock() }
        return (pauseCount, resumeCount)
    }

    func notePause() { statsLock.lock(); pauseCount += 1; statsLock.unlock() }

    private init() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        guard let m = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        multi = m
        slim_multi_setopt_long(m, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        slim_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, 0)
        // Streams per HTTP/2 connection as the server allows (kube-apiserver: 100); past that
        // libcurl opens another connection instead of queueing a follow behind the others.
        slim_multi_setopt_long(m, CURLMOPT_MAX_CONCURRENT_STREAMS, 1000)
        // Keep idle connections for reuse; the default cache (4 per handle in use) closed the
        // connection of one server while many others were busy.
        slim_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, 64)
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "slimctl-curl"
        thread.start()
    }

    func start(_ t: Transfer) {
        lock.lock()
        toAdd.append(t)
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    func cancel(_ t: Transfer) {
        lock.lock()
        toRemove.append(t)
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    /// Un-pauses a transfer its consumer has caught up with; curl_easy_pause must run on the
    /// thread that drives the multi handle.
    func resume(_ t: Transfer) {
        lock.lock()
        toResume.append(t)
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    private func run() {
        var running: Int32 = 0
        while true {
            lock.lock()
            let adds = toAdd, removes = toRemove, resumes = toResume
            toAdd.removeAll()
            toRemove.removeAll()
            toResume.removeAll()
            lock.unlock()
            waiting.append(contentsOf: adds)
            for t in removes {
                if let i = waiting.firstIndex(where: { $0 === t }) {
                    waiting.remove(at: i)
                    finish(t, error: CancellationError())
                }
            }
            admitWaiting()
            for t in removes where active[t.easy] != nil {
                release(t)
                finish(t, error: CancellationError())
            }
            for t in resumes where active[t.easy] != nil {
                statsLock.lock(); resumeCount += 1; statsLock.unlock()
                curl_easy_pause(t.easy, 0)  // CURLPAUSE_CONT
            }
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle, let t = active[easy] else { continue }
                let code = slim_msg_result(msg)
                release(t)
                if code == CURLE_OK {
                    var status = 0
                    slim_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
                    if t.status == 0 { t.status = status }
                    var version = 0
                    slim_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
                    t.httpVersion = version
                    finish(t, error: nil)
                } else {
                    finish(t, error: CurlError(code: code))
                }
            }
            admitWaiting()
            curl_multi_poll(multi, nil, 0, waiting.isEmpty ? 1000 : 10, nil)
        }
    }

    /// Transfers not yet handed to libcurl, streams per server, and per server the transfer
    /// that opens its next connection.
    private var waiting: [Transfer] = []
    private var perOrigin: [String: Int] = [:]
    private var pioneers: [String: (transfer: Transfer, since: ContinuousClock.Instant)] = [:]
    /// Streams one HTTP/2 connection carries (kube-apiserver's limit, and libcurl's own default).
    static let streamsPerConnection = 100

    /// Hands waiting transfers to libcurl. libcurl 7.88 gives every transfer that finds all
    /// HTTP/2 connections full a connection of its own, even while another one is still in its
    /// handshake: 150 follows started at once became 51 connections. So, per server, the
    /// transfer that crosses a multiple of 100 goes alone, and the rest for that server wait (at
    /// most a second) until its response has begun, by which time its connection is known to
    /// multiplex and they share it, as Go's client does with one dial per host in flight.
    private func admitWaiting() {
        for (origin, p) in pioneers where p.transfer.headSent || p.transfer.finished || ContinuousClock.now - p.since > .seconds(1) {
            pioneers.removeValue(forKey: origin)
        }
        guard !waiting.isEmpty else { return }
        var held: [Transfer] = []
        for t in waiting {
            if pioneers[t.origin] != nil { held.append(t); continue }
            let n = perOrigin[t.origin, default: 0]
            if n > 0, n % Self.streamsPerConnection == 0 { pioneers[t.origin] = (t, .now) }
            perOrigin[t.origin] = n + 1
            let ptr = Unmanaged.passUnretained(t).toOpaque()
            slim_easy_setopt_ptr(t.easy, CURLOPT_WRITEDATA, ptr)
            slim_easy_setopt_ptr(t.easy, CURLOPT_HEADERDATA, ptr)
            active[t.easy] = t
            curl_multi_add_handle(multi, t.easy)
        }
        waiting = held
    }

    private func release(_ t: Transfer) {
        curl_multi_remove_handle(multi, t.easy)
        active.removeValue(forKey: t.easy)
        let n = perOrigin[t.origin, default: 1] - 1
        perOrigin[t.origin] = n > 0 ? n : nil
    }

    private func finish(_ t: Transfer, error: Error?) {
        guard !t.finished else { return }
        t.finished = true
        if error == nil { t.sendHead() }
        t.continuation.finish(throwing: error)
    }
}

/// Reads a stream's events and tells its transfer what the consumer has taken, which is what
/// lets a paused transfer resume.
struct TransferReader {
    let transfer: Transfer
    var iterator: AsyncThrowingStream<Transfer.Event, Error>.AsyncIterator

    mutating func next() async throws -> Transfer.Event? {
        let e = try await iterator.next()
        if case .body(let b)? = e { transfer.consumed(b.count) }
        return e
    }
}

/// A libcurl failure with the code kept for retry decisions.
struct CurlError: Error, CustomStringConvertible {
    let code: CURLcode
    var description: String { String(cString: curl_easy_strerror(code)) }

    var isTimeout: Bool { code == CURLE_OPERATION_TIMEDOUT }
    /// Nothing was sent: any request may be retried.
    var beforeSend: Bool { code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY }
    /// The connection broke; retry only idempotent requests.
    var isConnectionFailure: Bool {
        beforeSend || code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING
            || code == CURLE_PARTIAL_FILE || code == CURLE_HTTP2 || code == CURLE_HTTP2_STREAM || code == CURLE_SSL_CONNECT_ERROR
    }
    var isTLS: Bool {
        code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_CERTPROBLEM
            || code == CURLE_SSL_CIPHER || code == CURLE_SSL_ISSUER_ERROR
    }
}

private let writeCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, n, ud in
    guard let ud, let data else { return 0 }
    let t = Unmanaged<Transfer>.fromOpaque(ud).takeUnretainedValue()
    let count = size * n
    t.sendHead()
    guard t.admit(count) else {
        CurlEngine.shared.notePause()
        return Int(CURL_WRITEFUNC_PAUSE)
    }
    t.continuation.yield(.body(Array(UnsafeRawBufferPointer(start: data, count: count))))
    return count
}

private let headerCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, n, ud in
    guard let ud, let data else { return 0 }
    let t = Unmanaged<Transfer>.fromOpaque(ud).takeUnretainedValue()
    let count = size * n
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        let parts = line.split(separator: " ")
        t.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        t.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        t.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    } else if line.isEmpty, t.status >= 200 {
        t.sendHead()
    }
    return count
}

extension Transfer {
    /// Everything about one request that libcurl needs; credentials are copied into libcurl
    /// (blobs with CURL_BLOB_COPY), never written to disk.
    struct Options {
        var url: String
        var method: String
        var headers: [String]
        var body: [UInt8]?
        var caData: [UInt8]?
        var caFile: String?
        var insecure: Bool
        var tlsServerName: String?
        var proxy: String?
        var clientCert: [UInt8]?
        var clientKey: [UInt8]?
        var timeoutMs: Int
        var connectTimeoutMs: Int
        /// HTTP/1.1 on a connection of its own instead of a multiplexed HTTP/2 stream: for a
        /// stream whose pause must hold the server back within a small bound. libcurl 7.88
        /// grants every HTTP/2 stream a 32 MB window it cannot shrink, and what the server sends
        /// into it while the transfer is paused waits in libcurl's memory; on a connection of
        /// its own, a paused transfer stops reading the socket and TCP holds the server back.
        var ownConnection = false
    }

    func configure(_ o: Options) {
        var url = o.url
        // tls-server-name: connect to the real host but verify (and send SNI for) the given name.
        if let name = o.tlsServerName, let u = URLComponents(string: o.url), let host = u.host {
            let port = u.port ?? 443
            var c = u
            c.host = name
            url = c.string ?? o.url
            connectTo = curl_slist_append(nil, "\(name):\(port):\(host):\(port)")
            slim_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, connectTo)
        }
        slim_easy_setopt_str(easy, CURLOPT_URL, url)
        // Connections of their own share nothing: they stay out of the HTTP/2 bookkeeping.
        if let u = URLComponents(string: o.url) { origin = "\(u.host ?? ""):\(u.port ?? 443)" + (o.ownConnection ? " http/1.1" : "") }
        slim_easy_setopt_writefn(easy, writeCallback)
        slim_easy_setopt_headerfn(easy, headerCallback)
        slim_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        if o.ownConnection {
            slim_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        } else {
            slim_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
            // Wait for a connection being set up to say whether it multiplexes rather than opening
            // one per request: a burst of watches and follows then shares HTTP/2 connections.
            slim_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1)
        }
        slim_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        slim_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, o.connectTimeoutMs)
        if o.timeoutMs > 0 { slim_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, o.timeoutMs) }
        slim_easy_setopt_str(easy, CURLOPT_ACCEPT_ENCODING, "")
        switch o.method {
        case "GET": slim_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        default: slim_easy_setopt_str(easy, CURLOPT_CUSTOMREQUEST, o.method)
        }
        if let body = o.body {
            slim_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count)
            body.withUnsafeBytes { p in
                _ = slim_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: p.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        for h in o.headers { slist = curl_slist_append(slist, h) }
        // Suppress libcurl's own "Expect: 100-continue" round trip on bodies.
        slist = curl_slist_append(slist, "Expect:")
        slim_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, slist)
        if o.insecure {
            slim_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            slim_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        } else {
            slim_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
            slim_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
            if let ca = o.caData {
                ca.withUnsafeBytes { _ = slim_easy_setopt_blob_copy(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) }
            } else if let f = o.caFile {
                slim_easy_setopt_str(easy, CURLOPT_CAINFO, f)
            }
        }
        if let cert = o.clientCert, let key = o.clientKey {
            slim_easy_setopt_str(easy, CURLOPT_SSLCERTTYPE, "PEM")
            cert.withUnsafeBytes { _ = slim_easy_setopt_blob_copy(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) }
            slim_easy_setopt_str(easy, CURLOPT_SSLKEYTYPE, "PEM")
            key.withUnsafeBytes { _ = slim_easy_setopt_blob_copy(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) }
        }
        if let proxy = o.proxy { slim_easy_setopt_str(easy, CURLOPT_PROXY, proxy) }
    }
}
