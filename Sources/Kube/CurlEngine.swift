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

    init?() {
        guard let e = curl_easy_init() else { return nil }
        easy = e
        (events, continuation) = AsyncThrowingStream.makeStream(of: Event.self, throwing: Error.self, bufferingPolicy: .unbounded)
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
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    private init() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        guard let m = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        multi = m
        slim_multi_setopt_long(m, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        slim_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, 0)
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

    private func run() {
        var running: Int32 = 0
        while true {
            lock.lock()
            let adds = toAdd, removes = toRemove
            toAdd.removeAll()
            toRemove.removeAll()
            lock.unlock()
            for t in adds {
                let ptr = Unmanaged.passUnretained(t).toOpaque()
                slim_easy_setopt_ptr(t.easy, CURLOPT_WRITEDATA, ptr)
                slim_easy_setopt_ptr(t.easy, CURLOPT_HEADERDATA, ptr)
                active[t.easy] = t
                curl_multi_add_handle(multi, t.easy)
            }
            for t in removes where active[t.easy] != nil {
                curl_multi_remove_handle(multi, t.easy)
                active.removeValue(forKey: t.easy)
                finish(t, error: CancellationError())
            }
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle, let t = active[easy] else { continue }
                let code = slim_msg_result(msg)
                curl_multi_remove_handle(multi, easy)
                active.removeValue(forKey: easy)
                if code == CURLE_OK {
                    var status = 0
                    slim_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
                    if t.status == 0 { t.status = status }
                    finish(t, error: nil)
                } else {
                    finish(t, error: CurlError(code: code))
                }
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func finish(_ t: Transfer, error: Error?) {
        guard !t.finished else { return }
        t.finished = true
        if error == nil { t.sendHead() }
        t.continuation.finish(throwing: error)
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
        slim_easy_setopt_writefn(easy, writeCallback)
        slim_easy_setopt_headerfn(easy, headerCallback)
        slim_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        slim_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
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
