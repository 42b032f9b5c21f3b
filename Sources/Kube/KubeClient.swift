import CCurl
import Foundation
import Tools
import YAML

/// How the client behaves on the wire.
public struct KubeClientOptions: Sendable {
    /// Whole-request timeout for ordinary calls (not streams).
    public var requestTimeout: Double = 30
    public var connectTimeout: Double = 10
    /// Attempts for retryable failures (429 always; 5xx and resets on idempotent calls).
    public var maxAttempts: Int = 5
    /// First backoff; doubles per attempt with jitter, capped at `maxBackoff`.
    public var initialBackoff: Double = 0.1
    public var maxBackoff: Double = 5
    /// Called with one line per request and response (`-v`); credentials are redacted.
    public var requestLog: (@Sendable (String) -> Void)?
    public var userAgent = "slimctl/0.1"
    public var fieldManager = "slimctl"
    /// Seconds a kubeconfig exec credential plugin may run; nil: `SLIMCTL_EXEC_TIMEOUT`, else 60.
    public var execTimeout: Double?
    /// What runs exec credential plugins (a test's recording runner, or the real one).
    public var runner: any CommandRunner = ProcessRunner()
    /// Where warnings go (TLS verification off); nil: stderr, each distinct warning once per process.
    public var warning: (@Sendable (String) -> Void)?
    public init() {}
}

/// A response with its body fully read.
public struct KubeResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
}

/// The Kubernetes API client slimctl uses instead of kubectl: kubeconfig credentials, libcurl
/// transport, discovery-based URLs, retries, and clear errors.
public final class KubeClient: Sendable {
    public let config: ResolvedConfig
    public let options: KubeClientOptions
    let credentials: CredentialProvider
    let discoveryCache = DiscoveryCache()

    public init(config: ResolvedConfig, options: KubeClientOptions = KubeClientOptions()) {
        self.config = config
        self.options = options
        self.credentials = CredentialProvider(config: config, execTimeout: options.execTimeout, runner: options.runner)
        if let w = TLSWarning.message(config) { (options.warning ?? TLSWarning.printOnce)(w) }
    }

    /// kubectl-style construction: `--kubeconfig`, `KUBECONFIG`, `--context`, `--namespace`.
    public convenience init(
        kubeconfig: String? = nil, context: String? = nil, namespace: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        options: KubeClientOptions = KubeClientOptions()
    ) throws {
        let cfg = try KubeconfigLoader.load(explicitPath: kubeconfig, environment: environment)
        self.init(config: try cfg.resolve(context: context, namespace: namespace), options: options)
    }

    public var namespace: String { config.namespace }

    /// Bytes of one watch or log stream that may wait for a slow consumer before the transfer
    /// is paused (see `Transfer.bufferLimit`).
    static let streamBufferLimit = 1 << 20

    // MARK: Transport

    func makeTransfer(
        method: String, path: String, body: [UInt8]?, contentType: String?, accept: String, stream: Bool,
        bufferLimit: Int = KubeClient.streamBufferLimit, ownConnection: Bool = false
    ) async throws -> Transfer {
        let credential = try await credentials.credential()
        Trace.emit(.request(method: method, path: path))
        guard let t = Transfer(bufferLimit: stream ? bufferLimit : 0) else { throw KubeError(kind: .network, message: "libcurl could not create a handle") }
        var headers = ["Accept: \(accept)", "User-Agent: \(options.userAgent)"]
        if let contentType { headers.append("Content-Type: \(contentType)") }
        var cert: [UInt8]?, key: [UInt8]?
        switch credential {
        case .bearer(let token): headers.append("Authorization: Bearer \(token)")
        case .clientCertificate(let c, let k): cert = c; key = k
        case .none: break
        }
        let base = config.cluster.server.hasSuffix("/") ? String(config.cluster.server.dropLast()) : config.cluster.server
        t.configure(
            .init(
                url: base + path, method: method, headers: headers, body: body,
                caData: config.cluster.certificateAuthorityData, caFile: config.cluster.certificateAuthority,
                insecure: config.cluster.insecureSkipTLSVerify, tlsServerName: config.cluster.tlsServerName,
                proxy: config.cluster.proxyURL, clientCert: cert, clientKey: key,
                timeoutMs: stream ? 0 : Int(options.requestTimeout * 1000), connectTimeoutMs: Int(options.connectTimeout * 1000),
                ownConnection: ownConnection))
        if let log = options.requestLog {
            log("> \(method) \(base + path)")
            for h in headers { log("> " + Redact.header(h)) }
        }
        return t
    }

    /// One attempt: runs the transfer and reads the whole body.
    func once(method: String, path: String, body: [UInt8]?, contentType: String?, accept: String) async throws -> KubeResponse {
        let start = Date()
        let t = try await makeTransfer(method: method, path: path, body: body, contentType: contentType, accept: accept, stream: false)
        CurlEngine.shared.start(t)
        var status = 0
        var headers: [String: String] = [:]
        var data: [UInt8] = []
        try await withTaskCancellationHandler {
            for try await e in t.events {
                switch e {
                case .head(let s, let h): status = s; headers = h
                case .body(let b): data += b
                }
            }
        } onCancel: {
            CurlEngine.shared.cancel(t)
        }
        if let log = options.requestLog {
            let proto = t.httpVersion == Int(CURL_HTTP_VERSION_2_0) ? "HTTP/2" : "HTTP/1.1"
            log("< \(status) \(method) \(path) in \(Int(Date().timeIntervalSince(start) * 1000))ms (\(proto))")
        }
        return KubeResponse(status: status, headers: headers, body: data)
    }

    func backoff(_ attempt: Int) -> Double {
        min(options.maxBackoff, options.initialBackoff * pow(2, Double(attempt))) * Double.random(in: 0.8...1.2)
    }

    /// A request with the retry policy: 429 waits Retry-After then retries (the server did not
    /// process it); 5xx and broken connections retry with backoff only when `idempotent`;
    /// connection refusals (nothing sent) always; 401 with an exec plugin refreshes once.
    public func request(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil,
        accept: String = "application/json", idempotent: Bool? = nil, operation: String? = nil
    ) async throws -> KubeResponse {
        let idem = idempotent ?? (method == "GET" || method == "HEAD")
        let op = operation ?? "\(method) \(path)"
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            let r: KubeResponse
            do {
                r = try await once(method: method, path: path, body: body, contentType: contentType, accept: accept)
            } catch let e as CurlError {
                if (e.beforeSend || (idem && e.isConnectionFailure)) && attempt < options.maxAttempts {
                    try await Task.sleep(nanoseconds: UInt64(backoff(attempt) * 1e9))
                    continue
                }
                if e.isTimeout {
                    throw KubeError(
                        kind: .timeout,
                        message:
                            "\(op): timed out after \(Int(options.requestTimeout))s talking to \(config.cluster.server) (context \"\(config.contextName)\")")
                }
                let via = config.cluster.proxyURL.map { " through proxy-url \($0)" } ?? ""
                var m = "\(op): cannot reach \(config.cluster.server)\(via) (context \"\(config.contextName)\"): \(e.description)"
                if e.isTLS { m += "; the server certificate did not verify against the kubeconfig's certificate-authority" }
                throw KubeError(kind: .network, message: m)
            }
            if r.status == 429, attempt < options.maxAttempts {
                let wait = Double(r.headers["retry-after"] ?? "").map { min($0, 30) } ?? backoff(attempt)
                options.requestLog?("  throttled (429): retrying in \(wait)s")
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                continue
            }
            if r.status >= 500, idem, attempt < options.maxAttempts {
                try await Task.sleep(nanoseconds: UInt64(backoff(attempt) * 1e9))
                continue
            }
            if r.status == 401, !refreshed, await credentials.usesExec {
                refreshed = true
                await credentials.invalidate()
                continue
            }
            if r.status >= 400 {
                throw KubeError.from(code: r.status, body: r.body, operation: op, context: config.contextName, user: config.userName)
            }
            return r
        }
    }

    func getJSON(_ path: String, operation: String) async throws -> Value {
        let r = try await request("GET", path, operation: operation)
        do { return try Value(jsonBytes: r.body) } catch {
            throw KubeError(kind: .other, message: "\(operation): the server answered something that is not JSON: \(error)")
        }
    }
}

/// Removes secrets from anything the client logs.
public enum Redact {
    public static func header(_ h: String) -> String {
        let lower = h.lowercased()
        if lower.hasPrefix("authorization:") {
            let scheme = h.dropFirst("authorization:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? ""
            return "Authorization: \(scheme) <redacted>"
        }
        return h
    }
}
