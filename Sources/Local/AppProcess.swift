import Foundation
import OrderedCollections
import YAML

/// Turns a test app's container spec into a local command line, the way the kubelet would run it
/// (env from Secrets and ConfigMaps, `$(VAR)` expansion), with cluster addresses mapped to local
/// SLIM nodes and SPIRE-only flags dropped. Every change becomes a notice.
struct AppCommand {
    var argv: [String]
    var env: [String: String]
    var notices: [String]
}

enum AppCommandBuilder {
    static let spireFlags: Set<String> = ["--spire-socket-path", "--spire-jwt-audience", "--spire-trust-bundle", "--spire-target-spiffe-id"]

    static func build(
        podSpec: Value, namespace: String, node: String, objects: [Value], binDir: String,
        services: inout ServiceMap
    ) throws -> AppCommand {
        guard let container = podSpec["containers"]?.listValue?.first else { throw LocalError("the pod spec has no containers") }
        var notices: [String] = []
        var env: [String: String] = [:]
        for e in container["env"]?.listValue ?? [] {
            guard let name = e["name"]?.stringValue else { continue }
            if let v = e["value"]?.stringValue { env[name] = expand(v, env); continue }
            if let ref = e["valueFrom"]?["secretKeyRef"] ?? e["valueFrom"]?["configMapKeyRef"] {
                let isSecret = e["valueFrom"]?["secretKeyRef"] != nil
                guard let obj = find(objects, kind: isSecret ? "Secret" : "ConfigMap", name: ref["name"]?.stringValue, namespace: namespace),
                    let key = ref["key"]?.stringValue, let v = data(obj, key: key)
                else {
                    throw LocalError(
                        "env \(name): \(isSecret ? "Secret" : "ConfigMap") \(ref["name"]?.stringValue ?? "?") key \(ref["key"]?.stringValue ?? "?") is not among the strategy's manifests"
                    )
                }
                env[name] = v
            }
        }
        let command = (container["command"]?.listValue ?? []).compactMap(\.stringValue).map { expand($0, env) }
        let args = (container["args"]?.listValue ?? []).compactMap { $0.stringValue ?? scalarText($0) }.map { expand($0, env) }
        guard var argv = Optional(command + args), let exe = argv.first else { throw LocalError("the container has no command") }
        let local = "\(binDir)/\(exe)"
        if FileManager.default.isExecutableFile(atPath: local) { argv[0] = local }

        var out: [String] = [argv[0]]
        var i = 1
        while i < argv.count {
            let a = argv[i]
            if spireFlags.contains(a) {
                notices.append("\(a) \(i + 1 < argv.count ? argv[i + 1] : ""): dropped (no SPIRE on the local target)")
                i += 2
                continue
            }
            if a == "--slim-config", i + 1 < argv.count {
                let endpoint = try clientConfigEndpoint(path: argv[i + 1], podSpec: podSpec, container: container, objects: objects, namespace: namespace)
                let mapped = try mapURL(endpoint, node: node, services: &services, notices: &notices)
                notices.append("--slim-config \(argv[i + 1]): replaced by --slim \(mapped) (its TLS comes from SPIRE, which the local target does not run)")
                out += ["--slim", mapped]
                i += 2
                continue
            }
            out.append(a.contains("://") ? try mapURL(a, node: node, services: &services, notices: &notices) : a)
            i += 1
        }
        return AppCommand(argv: out, env: env, notices: notices)
    }

    static func mapURL(_ url: String, node: String, services: inout ServiceMap, notices: inout [String]) throws -> String {
        guard let comps = URLComponents(string: url), let host = comps.host else { return url }
        guard let (port, why) = try services.port(host: host, node: node) else { return url }
        let mapped = "http://127.0.0.1:\(port)"
        notices.append("\(url) → \(mapped) (\(why)\(comps.scheme == "https" ? "; TLS dropped" : ""))")
        return mapped
    }

    /// The endpoint inside a client config JSON mounted from a ConfigMap.
    static func clientConfigEndpoint(path: String, podSpec: Value, container: Value, objects: [Value], namespace: String) throws -> String {
        for m in container["volumeMounts"]?.listValue ?? [] {
            guard let mount = m["mountPath"]?.stringValue, path.hasPrefix(mount + "/"), let vname = m["name"]?.stringValue else { continue }
            let key = String(path.dropFirst(mount.count + 1))
            guard let vol = podSpec["volumes"]?.listValue?.first(where: { $0["name"]?.stringValue == vname }),
                let cm = vol["configMap"]?["name"]?.stringValue,
                let obj = find(objects, kind: "ConfigMap", name: cm, namespace: namespace),
                let text = data(obj, key: key)
            else { break }
            if let endpoint = (try? Value(json: text))?["endpoint"]?.stringValue { return endpoint }
        }
        throw LocalError("--slim-config \(path): no ConfigMap among the manifests provides this file with an `endpoint`")
    }

    static func find(_ objects: [Value], kind: String, name: String?, namespace: String) -> Value? {
        objects.first {
            $0["kind"]?.stringValue == kind && $0["metadata"]?["name"]?.stringValue == name
                && ($0["metadata"]?["namespace"]?.stringValue ?? namespace) == namespace
        }
    }

    static func data(_ obj: Value, key: String) -> String? {
        if let s = obj["stringData"]?[key]?.stringValue { return s }
        if let b = obj["data"]?[key]?.stringValue {
            if obj["kind"]?.stringValue == "Secret" {
                return Data(base64Encoded: b).flatMap { String(data: $0, encoding: .utf8) }
            }
            return b
        }
        return nil
    }

    static func scalarText(_ v: Value) -> String? {
        switch v {
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .bool(let b): return String(b)
        default: return nil
        }
    }

    /// Kubernetes' `$(VAR)` expansion: defined variables are replaced, `$$` escapes, unknown stay.
    static func expand(_ s: String, _ env: [String: String]) -> String {
        guard s.contains("$") else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "$", s.index(after: i) < s.endIndex {
                let n = s.index(after: i)
                if s[n] == "$" { out.append("$"); i = s.index(after: n); continue }
                if s[n] == "(", let close = s[n...].firstIndex(of: ")") {
                    let name = String(s[s.index(after: n)..<close])
                    if let v = env[name] { out += v; i = s.index(after: close); continue }
                }
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return out
    }
}

public struct LocalError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
