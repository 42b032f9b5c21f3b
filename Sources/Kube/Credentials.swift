import Foundation
import Tools
import YAML

/// What goes on the wire to authenticate one request. Not `CustomStringConvertible` on
/// purpose: nothing should ever print it.
enum Credential: Sendable {
    case none
    case clientCertificate(cert: [UInt8], key: [UInt8])
    case bearer(String)
}

/// Produces credentials for a user: static ones from the kubeconfig, tokens re-read from
/// `tokenFile` (it may rotate), and exec plugin output cached until its expiry.
actor CredentialProvider {
    let config: ResolvedConfig
    /// Seconds an exec plugin may run; nil: `SLIMCTL_EXEC_TIMEOUT` or 60 s.
    let execTimeout: Double?
    let runner: any CommandRunner
    private var cached: (Credential, Date?)?
    private var inFlight: Task<(Credential, Date?), Error>?

    init(config: ResolvedConfig, execTimeout: Double? = nil, runner: any CommandRunner = ProcessRunner()) {
        self.config = config
        self.execTimeout = execTimeout
        self.runner = runner
    }

    func invalidate() { cached = nil }

    var usesExec: Bool { config.user.exec != nil }

    func credential() async throws -> Credential {
        let u = config.user
        if let data = u.clientCertificateData ?? u.clientCertificate.flatMap({ FileManager.default.contents(atPath: $0).map(Array.init) }),
            let key = u.clientKeyData ?? u.clientKey.flatMap({ FileManager.default.contents(atPath: $0).map(Array.init) })
        {
            return .clientCertificate(cert: data, key: key)
        }
        if let t = u.token, !t.isEmpty { return .bearer(t) }
        if let f = u.tokenFile {
            guard let d = FileManager.default.contents(atPath: f) else {
                throw KubeError.config("user \"\(config.userName)\": cannot read tokenFile \(f)")
            }
            return .bearer(String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if let e = u.exec {
            if let (c, expiry) = cached, expiry.map({ $0 > Date().addingTimeInterval(10) }) ?? true { return c }
            // Requests made while the plugin runs wait for that run instead of starting their own
            // (the actor is re-entered at every await): one plugin process at a time, as kubectl.
            if let running = inFlight { return try await running.value.0 }
            let run = Task { try await self.runExec(e) }
            inFlight = run
            defer { inFlight = nil }
            let (c, expiry) = try await withTaskCancellationHandler {
                try await run.value
            } onCancel: {
                run.cancel()
            }
            cached = (c, expiry)
            return c
        }
        return .none
    }

    /// Runs a client.authentication.k8s.io credential plugin with KUBERNETES_EXEC_INFO, as
    /// kubectl does, and reads the ExecCredential it prints.
    func runExec(_ e: ExecConfig) async throws -> (Credential, Date?) {
        if e.interactiveMode == "Always" {
            throw KubeError.config(
                "user \"\(config.userName)\": exec plugin \(e.command) requires an interactive terminal (interactiveMode: Always), which slimctl does not provide"
            )
        }
        var spec: [String: Value] = ["interactive": .bool(false)]
        if e.provideClusterInfo {
            var cluster: [String: Value] = [
                "server": .string(config.cluster.server),
                "insecure-skip-tls-verify": .bool(config.cluster.insecureSkipTLSVerify)
            ]
            if let ca = config.cluster.certificateAuthorityData { cluster["certificate-authority-data"] = .string(Data(ca).base64EncodedString()) }
            if let n = config.cluster.tlsServerName { cluster["tls-server-name"] = .string(n) }
            spec["cluster"] = .map(.init(uniqueKeysWithValues: cluster.sorted { $0.key < $1.key }))
        }
        let info: Value = .map([
            "apiVersion": .string(e.apiVersion), "kind": .string("ExecCredential"),
            "spec": .map(.init(uniqueKeysWithValues: spec.sorted { $0.key < $1.key }))
        ])
        var env = ProcessInfo.processInfo.environment
        for (k, v) in e.env { env[k] = v }
        env["KUBERNETES_EXEC_INFO"] = info.jsonString()
        guard let exe = PluginPath.find(e.command, path: env["PATH"] ?? "/usr/bin:/bin") else {
            var m = "user \"\(config.userName)\": exec plugin \"\(e.command)\" not found"
            if let hint = e.installHint { m += "\n" + hint }
            throw KubeError.config(m)
        }
        let limit = try execTimeout ?? ExecTimeout.seconds(environment: ProcessInfo.processInfo.environment)
        // Its own process group, registered for Ctrl-C, stopped with everything it started at the limit.
        let r: CapturedOutput
        do {
            r = try await Trace.$hideArguments.withValue(true) {
                try await runner.capture([exe] + e.args, environment: env, timeout: .milliseconds(Int64(limit * 1000)))
            }
        } catch let f as CommandFailure {
            throw KubeError.config("user \"\(config.userName)\": cannot run exec plugin \(e.command): \(f.reason ?? f.description)")
        }
        let err = Self.lastLines(r.stderr)
        if r.timedOut {
            throw KubeError(
                kind: .timeout,
                message: "user \"\(config.userName)\": exec plugin \(e.command) did not finish within \(ExecTimeout.text(limit)) and was stopped "
                    + "(\(ExecTimeout.variable) sets the limit; default \(ExecTimeout.text(ExecTimeout.defaultSeconds)))"
                    + (err.isEmpty ? "; it printed nothing on stderr" : "; its stderr: \(err)"))
        }
        guard r.status == 0 else {
            throw KubeError.config("user \"\(config.userName)\": exec plugin \(e.command) exited with status \(r.status)\(err.isEmpty ? "" : ": \(err)")")
        }
        guard let out = try? Value(jsonBytes: r.stdout), out["kind"]?.stringValue == "ExecCredential" else {
            throw KubeError.config("user \"\(config.userName)\": exec plugin \(e.command) did not print an ExecCredential as JSON")
        }
        guard out["apiVersion"]?.stringValue == e.apiVersion else {
            throw KubeError.config(
                "user \"\(config.userName)\": exec plugin \(e.command) answered apiVersion \(out["apiVersion"]?.stringValue ?? "none"), expected \(e.apiVersion)"
            )
        }
        let status = out["status"] ?? .null
        var expiry: Date?
        if let ts = status["expirationTimestamp"]?.stringValue {
            guard let d = ISO8601DateFormatter().date(from: ts) else {
                throw KubeError.config("user \"\(config.userName)\": exec plugin \(e.command) gave an invalid expirationTimestamp")
            }
            expiry = d
        }
        if let t = status["token"]?.stringValue, !t.isEmpty { return (.bearer(t), expiry) }
        if let c = status["clientCertificateData"]?.stringValue, let k = status["clientKeyData"]?.stringValue {
            return (.clientCertificate(cert: Array(c.utf8), key: Array(k.utf8)), expiry)
        }
        throw KubeError.config("user \"\(config.userName)\": exec plugin \(e.command) returned neither a token nor a client certificate")
    }

    /// The end of a plugin's stderr (where the reason usually is), bounded for a message.
    static func lastLines(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.suffix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = text.split(separator: "\n").suffix(5)
        return lines.joined(separator: " | ")
    }
}

/// Where exec plugins are looked up: kubectl's rule, a path with `/` as is, otherwise `PATH`.
enum PluginPath {
    static func find(_ command: String, path: String) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(command)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
