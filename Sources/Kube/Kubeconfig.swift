import Foundation
import Tools
import YAML

public struct KubeCluster: Sendable, Equatable {
    public var server: String
    public var certificateAuthorityData: [UInt8]?
    public var certificateAuthority: String?
    public var insecureSkipTLSVerify: Bool
    public var tlsServerName: String?
    public var proxyURL: String?
    /// The kubeconfig file that defines this cluster, for messages (the TLS warning names it).
    public var file: String? = nil
}

public struct ExecConfig: Sendable, Equatable {
    public var command: String
    public var args: [String]
    public var env: [String: String]
    public var apiVersion: String
    public var interactiveMode: String
    public var provideClusterInfo: Bool
    public var installHint: String?
}

public struct KubeUser: Sendable, Equatable {
    public var clientCertificateData: [UInt8]?
    public var clientCertificate: String?
    public var clientKeyData: [UInt8]?
    public var clientKey: String?
    public var token: String?
    public var tokenFile: String?
    public var exec: ExecConfig?
}

public struct KubeContext: Sendable, Equatable {
    public var cluster: String
    public var user: String
    public var namespace: String?
}

/// A kubeconfig, possibly merged from several files by kubectl's rules.
public struct Kubeconfig: Sendable {
    public var clusters: [String: KubeCluster] = [:]
    public var users: [String: KubeUser] = [:]
    public var contexts: [String: KubeContext] = [:]
    public var currentContext: String?
    /// The files it came from, in precedence order, for error messages.
    public var files: [String] = []
    public init() {}
}

/// The one cluster/user/namespace a client talks to.
public struct ResolvedConfig: Sendable {
    public var contextName: String
    public var clusterName: String
    public var userName: String
    public var cluster: KubeCluster
    public var user: KubeUser
    public var namespace: String
}

/// Loads kubeconfig files the way kubectl does (client-go's clientcmd loading rules).
public enum KubeconfigLoader {
    /// `explicitPath` is `--kubeconfig`: only that file, which must exist. Otherwise the
    /// `KUBECONFIG` list (missing files skipped, duplicates ignored), else `~/.kube/config`.
    public static func load(explicitPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Kubeconfig {
        if let path = explicitPath, !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else {
                throw KubeError.config("kubeconfig \(path) (from --kubeconfig) does not exist")
            }
            return try merge([parseFile(path)])
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            var seen = Set<String>()
            var parsed: [Kubeconfig] = []
            for p in list.split(separator: ":").map(String.init) where !p.isEmpty && seen.insert(p).inserted {
                guard FileManager.default.fileExists(atPath: p) else { continue }
                parsed.append(try parseFile(p))
            }
            return merge(parsed)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let path = home + "/.kube/config"
        guard FileManager.default.fileExists(atPath: path) else {
            throw KubeError.config(
                "no kubeconfig: \(path) does not exist and KUBECONFIG is not set; create a cluster (slimctl cluster up) or pass --kubeconfig")
        }
        return merge([try parseFile(path)])
    }

    /// First file to define a name wins, for clusters, users and contexts alike; the
    /// current-context comes from the first file that sets one.
    public static func merge(_ configs: [Kubeconfig]) -> Kubeconfig {
        var out = Kubeconfig()
        for c in configs {
            out.clusters.merge(c.clusters) { first, _ in first }
            out.users.merge(c.users) { first, _ in first }
            out.contexts.merge(c.contexts) { first, _ in first }
            if (out.currentContext ?? "").isEmpty, let cc = c.currentContext, !cc.isEmpty { out.currentContext = cc }
            out.files += c.files
        }
        return out
    }

    public static func parseFile(_ path: String) throws -> Kubeconfig {
        let text: String
        do { text = try FileSystem.readText(path, what: "kubeconfig") } catch {
            throw KubeError.config("\(error)")
        }
        let dir = (path as NSString).deletingLastPathComponent
        return try parse(text, file: path, baseDirectory: dir.isEmpty ? "." : dir)
    }

    /// Parses one file; relative file references are resolved against `baseDirectory` (the
    /// file's own directory), as kubectl does.
    public static func parse(_ text: String, file: String, baseDirectory: String) throws -> Kubeconfig {
        let root: Value
        do {
            root = text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? .map([:]) : try YAML.load(text, file: file)
        } catch {
            throw KubeError.config("kubeconfig \(file) is not valid YAML: \(error)")
        }
        guard root.isNull || root.mapValue != nil else { throw KubeError.config("kubeconfig \(file): expected a map at the top, found a \(root.kindName)") }
        var cfg = Kubeconfig()
        cfg.files = [file]
        cfg.currentContext = root["current-context"]?.stringValue
        func resolve(_ p: String?) -> String? {
            guard let p, !p.isEmpty else { return nil }
            return p.hasPrefix("/") ? p : baseDirectory + "/" + p
        }
        func b64(_ v: Value?, _ field: String, _ name: String) throws -> [UInt8]? {
            guard let s = v?.stringValue, !s.isEmpty else { return nil }
            guard let d = Data(base64Encoded: s.filter { !$0.isWhitespace }) else {
                throw KubeError.config("kubeconfig \(file): \(field) of \"\(name)\" is not valid base64")
            }
            return Array(d)
        }
        func named(_ key: String, _ inner: String) throws -> [(String, Value)] {
            guard let list = root[key], !list.isNull else { return [] }
            guard let items = list.listValue else { throw KubeError.config("kubeconfig \(file): \(key) must be a list") }
            return try items.map { item in
                guard let name = item["name"]?.stringValue, !name.isEmpty else {
                    throw KubeError.config("kubeconfig \(file): an entry in \(key) has no name")
                }
                return (name, item[inner] ?? .map([:]))
            }
        }
        for (name, c) in try named("clusters", "cluster") where cfg.clusters[name] == nil {
            cfg.clusters[name] = KubeCluster(
                server: c["server"]?.stringValue ?? "",
                certificateAuthorityData: try b64(c["certificate-authority-data"], "certificate-authority-data", name),
                certificateAuthority: resolve(c["certificate-authority"]?.stringValue),
                insecureSkipTLSVerify: c["insecure-skip-tls-verify"]?.boolValue ?? false,
                tlsServerName: c["tls-server-name"]?.stringValue, proxyURL: c["proxy-url"]?.stringValue, file: file)
        }
        for (name, u) in try named("users", "user") where cfg.users[name] == nil {
            var exec: ExecConfig?
            if let e = u["exec"], e.mapValue != nil {
                var env: [String: String] = [:]
                for item in e["env"]?.listValue ?? [] {
                    if let n = item["name"]?.stringValue { env[n] = item["value"]?.stringValue ?? "" }
                }
                var command = e["command"]?.stringValue ?? ""
                if command.contains("/"), !command.hasPrefix("/") { command = resolve(command) ?? command }
                exec = ExecConfig(
                    command: command, args: (e["args"]?.listValue ?? []).compactMap(\.stringValue), env: env,
                    apiVersion: e["apiVersion"]?.stringValue ?? "", interactiveMode: e["interactiveMode"]?.stringValue ?? "IfAvailable",
                    provideClusterInfo: e["provideClusterInfo"]?.boolValue ?? false, installHint: e["installHint"]?.stringValue)
            }
            cfg.users[name] = KubeUser(
                clientCertificateData: try b64(u["client-certificate-data"], "client-certificate-data", name),
                clientCertificate: resolve(u["client-certificate"]?.stringValue),
                clientKeyData: try b64(u["client-key-data"], "client-key-data", name),
                clientKey: resolve(u["client-key"]?.stringValue),
                token: u["token"]?.stringValue, tokenFile: resolve(u["tokenFile"]?.stringValue), exec: exec)
        }
        for (name, c) in try named("contexts", "context") where cfg.contexts[name] == nil {
            cfg.contexts[name] = KubeContext(
                cluster: c["cluster"]?.stringValue ?? "", user: c["user"]?.stringValue ?? "",
                namespace: c["namespace"]?.stringValue)
        }
        return cfg
    }
}

extension Kubeconfig {
    var fileList: String { files.isEmpty ? "(no files)" : files.joined(separator: ", ") }

    /// Picks the context (`--context` or current-context) and validates it as kubectl does
    /// before any request, so a broken kubeconfig fails with a message that says what to fix.
    public func resolve(context: String? = nil, namespace: String? = nil) throws -> ResolvedConfig {
        guard let name = (context?.isEmpty == false ? context : currentContext), !name.isEmpty else {
            throw KubeError.config(
                "no context selected: current-context is not set in \(fileList); pass --context (one of: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let ctx = contexts[name] else {
            throw KubeError.config("context \"\(name)\" does not exist in \(fileList) (contexts: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let cluster = clusters[ctx.cluster] else {
            throw KubeError.config("context \"\(name)\" refers to cluster \"\(ctx.cluster)\", which does not exist in \(fileList)")
        }
        guard let user = users[ctx.user] else {
            throw KubeError.config("context \"\(name)\" refers to user \"\(ctx.user)\", which does not exist in \(fileList)")
        }
        guard !cluster.server.isEmpty else {
            throw KubeError.config("cluster \"\(ctx.cluster)\" has no server defined (in \(fileList))")
        }
        guard let url = URL(string: cluster.server), let scheme = url.scheme, ["https", "http"].contains(scheme), url.host != nil else {
            throw KubeError.config("cluster \"\(ctx.cluster)\": server \"\(cluster.server)\" is not an http(s) URL")
        }
        if cluster.insecureSkipTLSVerify && (cluster.certificateAuthorityData != nil || cluster.certificateAuthority != nil) {
            throw KubeError.config(
                "cluster \"\(ctx.cluster)\": certificate-authority and insecure-skip-tls-verify are both set; specifying a root certificate with the insecure flag is not allowed"
            )
        }
        if let ca = cluster.certificateAuthority, cluster.certificateAuthorityData == nil, !FileManager.default.fileExists(atPath: ca) {
            throw KubeError.config("cluster \"\(ctx.cluster)\": certificate-authority file \(ca) does not exist")
        }
        let hasCert = user.clientCertificateData != nil || user.clientCertificate != nil
        let hasKey = user.clientKeyData != nil || user.clientKey != nil
        if hasCert != hasKey {
            throw KubeError.config(
                "user \"\(ctx.user)\": client-certificate and client-key must be set together (only \(hasCert ? "the certificate" : "the key") is set)")
        }
        for f in [user.clientCertificate, user.clientKey, user.tokenFile].compactMap({ $0 }) where !FileManager.default.fileExists(atPath: f) {
            if f == user.clientCertificate && user.clientCertificateData != nil { continue }
            if f == user.clientKey && user.clientKeyData != nil { continue }
            if f == user.tokenFile && user.token != nil { continue }
            throw KubeError.config("user \"\(ctx.user)\": file \(f) does not exist")
        }
        if let e = user.exec {
            if e.command.isEmpty { throw KubeError.config("user \"\(ctx.user)\": exec plugin has no command") }
            let known = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]
            guard known.contains(e.apiVersion) else {
                throw KubeError.config(
                    "user \"\(ctx.user)\": exec plugin apiVersion \"\(e.apiVersion)\" is not supported (use client.authentication.k8s.io/v1)")
            }
            if !["Never", "IfAvailable", "Always"].contains(e.interactiveMode) {
                throw KubeError.config("user \"\(ctx.user)\": exec plugin interactiveMode \"\(e.interactiveMode)\" is invalid (Never, IfAvailable or Always)")
            }
        }
        let ns = (namespace?.isEmpty == false ? namespace : nil) ?? ctx.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return ResolvedConfig(contextName: name, clusterName: ctx.cluster, userName: ctx.user, cluster: cluster, user: user, namespace: ns)
    }
}
