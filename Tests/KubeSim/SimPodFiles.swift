import Foundation
import YAML

/// What the kubelet makes of a pod spec before a process starts: volume contents on disk, the
/// container environment, and the command line. Written from the Pod API reference: volume
/// sources must exist unless `optional`, env is resolved in order with `$(VAR)` expansion of
/// earlier variables, and `command`/`args` expand `$(VAR)` too (`$$(` escapes).
struct SimPodProblem: Error, CustomStringConvertible {
    let description: String
}

extension SimCluster {
    /// Writes ConfigMap, Secret, projected and service-account volumes into the pod folder.
    /// Throws the kubelet's FailedMount message when a source is missing.
    func materializeVolumes(_ rp: RealPod, pod: Value, rt: SimRuntime) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: rp.dir + "/volumes", withIntermediateDirectories: true)
        let ns = rp.namespace
        func write(_ dir: String, _ files: [(String, Data)]) throws {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (path, data) in files {
                let full = dir + "/" + path
                try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: full))
            }
        }
        func keyed(_ data: [String: Data], items: [Value]?) -> [(String, Data)] {
            guard let items, !items.isEmpty else { return data.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
            return items.compactMap { i in
                guard let k = i["key"]?.str, let d = data[k] else { return nil }
                return (i["path"]?.str ?? k, d)
            }
        }
        for v in pod[path: ["spec", "volumes"]]?.list ?? [] {
            let name = v["name"]?.str ?? ""
            let dir = "\(rp.dir)/volumes/\(name)"
            if let cm = v["configMap"] {
                let cmName = cm["name"]?.str ?? ""
                guard let data = configMapData(ns, cmName) else {
                    if cm["optional"]?.boolValue == true { try write(dir, []); continue }
                    throw SimPodProblem(description: "MountVolume.SetUp failed for volume \"\(name)\" : configmap \"\(cmName)\" not found")
                }
                try write(dir, keyed(data, items: cm["items"]?.list))
            } else if let s = v["secret"] {
                let sName = s["secretName"]?.str ?? ""
                guard let data = secretData(ns, sName) else {
                    if s["optional"]?.boolValue == true { try write(dir, []); continue }
                    throw SimPodProblem(description: "MountVolume.SetUp failed for volume \"\(name)\" : secret \"\(sName)\" not found")
                }
                try write(dir, keyed(data, items: s["items"]?.list))
            } else if let p = v["projected"] {
                var files: [(String, Data)] = []
                for src in p["sources"]?.list ?? [] {
                    if let cm = src["configMap"] {
                        let cmName = cm["name"]?.str ?? ""
                        guard let data = configMapData(ns, cmName) else {
                            if cm["optional"]?.boolValue == true { continue }
                            throw SimPodProblem(description: "MountVolume.SetUp failed for volume \"\(name)\" : configmap \"\(cmName)\" not found")
                        }
                        files += keyed(data, items: cm["items"]?.list)
                    } else if let s = src["secret"] {
                        let sName = s["name"]?.str ?? ""
                        guard let data = secretData(ns, sName) else {
                            if s["optional"]?.boolValue == true { continue }
                            throw SimPodProblem(description: "MountVolume.SetUp failed for volume \"\(name)\" : secret \"\(sName)\" not found")
                        }
                        files += keyed(data, items: s["items"]?.list)
                    } else if let t = src["serviceAccountToken"] {
                        files.append((t["path"]?.str ?? "token", Data(serviceAccountToken(pod: pod, rp: rp).utf8)))
                    }
                }
                try write(dir, files)
            } else {
                // emptyDir, hostPath, PVCs, CSI: an empty folder of the pod's own.
                try write(dir, [])
            }
        }
        // The service-account admission plugin's volume, mounted where in-cluster clients look.
        let automount = pod[path: ["spec", "automountServiceAccountToken"]]?.boolValue ?? true
        if automount {
            try write(
                rp.dir + "/serviceaccount",
                [
                    ("token", Data(serviceAccountToken(pod: pod, rp: rp).utf8)),
                    ("ca.crt", Data(rt.apiCA.utf8)),
                    ("namespace", Data(ns.utf8))
                ])
        }
    }

    func configMapData(_ ns: String, _ name: String) -> [String: Data]? {
        guard let cm = objects[Self.res("configmaps")]?[ns]?[name] else { return nil }
        var out: [String: Data] = [:]
        for (k, v) in cm["data"]?.mapValue ?? [:] { out[k] = Data((v.str ?? "").utf8) }
        for (k, v) in cm["binaryData"]?.mapValue ?? [:] { out[k] = Data(base64Encoded: v.str ?? "") ?? Data() }
        return out
    }

    func secretData(_ ns: String, _ name: String) -> [String: Data]? {
        guard let s = objects[Self.res("secrets")]?[ns]?[name] else { return nil }
        var out: [String: Data] = [:]
        for (k, v) in s["data"]?.mapValue ?? [:] { out[k] = Data(base64Encoded: v.str ?? "") ?? Data() }
        for (k, v) in s["stringData"]?.mapValue ?? [:] { out[k] = Data((v.str ?? "").utf8) }
        return out
    }

    /// A bearer token the API server accepts as the pod's service account.
    func serviceAccountToken(pod: Value, rp: RealPod) -> String {
        let sa = pod[path: ["spec", "serviceAccountName"]]?.str ?? "default"
        let token = "kubesim-sa-" + SimID.hash(.string(rp.uid + sa))
        tokens[token] = SimUser(
            name: "system:serviceaccount:\(rp.namespace):\(sa)",
            groups: ["system:serviceaccounts", "system:serviceaccounts:\(rp.namespace)", "system:authenticated"])
        return token
    }

    /// The container's environment: what the kubelet sets, then envFrom, then env in order.
    func containerEnv(_ c: Value, pod: Value, rp: RealPod, rt: SimRuntime) throws -> [String: String] {
        var env: [String: String] = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root",
            "HOSTNAME": pod[path: ["spec", "hostname"]]?.str ?? rp.name,
            "KUBERNETES_SERVICE_HOST": rt.network.gateway,
            "KUBERNETES_SERVICE_PORT": "\(rt.apiPort)",
            "KUBERNETES_SERVICE_PORT_HTTPS": "\(rt.apiPort)",
            "KUBERNETES_PORT": "tcp://\(rt.network.gateway):\(rt.apiPort)"
        ]
        if let lang = ProcessInfo.processInfo.environment["LANG"] { env["LANG"] = lang }
        if case .pythonApps(let venv) = rt.images.resolve(c["image"]?.str ?? "") {
            env["PATH"] = venv + "/bin:" + (env["PATH"] ?? "")
            env["VIRTUAL_ENV"] = venv
        }
        let ns = rp.namespace
        for from in c["envFrom"]?.list ?? [] {
            let prefix = from["prefix"]?.str ?? ""
            if let ref = from["configMapRef"] {
                guard let data = configMapData(ns, ref["name"]?.str ?? "") else {
                    if ref["optional"]?.boolValue == true { continue }
                    throw SimPodProblem(description: "configmap \"\(ref["name"]?.str ?? "")\" not found")
                }
                for (k, v) in data { env[prefix + k] = String(decoding: v, as: UTF8.self) }
            }
            if let ref = from["secretRef"] {
                guard let data = secretData(ns, ref["name"]?.str ?? "") else {
                    if ref["optional"]?.boolValue == true { continue }
                    throw SimPodProblem(description: "secret \"\(ref["name"]?.str ?? "")\" not found")
                }
                for (k, v) in data { env[prefix + k] = String(decoding: v, as: UTF8.self) }
            }
        }
        for e in c["env"]?.list ?? [] {
            guard let name = e["name"]?.str else { continue }
            if let v = e["value"]?.str {
                env[name] = Self.expand(v, env)
                continue
            }
            guard let from = e["valueFrom"] else { env[name] = ""; continue }
            if let path = from[path: ["fieldRef", "fieldPath"]]?.str {
                env[name] = fieldValue(path, pod: pod, rp: rp)
            } else if let ref = from["secretKeyRef"] {
                let sName = ref["name"]?.str ?? "", key = ref["key"]?.str ?? ""
                guard let data = secretData(ns, sName) else {
                    if ref["optional"]?.boolValue == true { continue }
                    throw SimPodProblem(description: "secret \"\(sName)\" not found")
                }
                guard let v = data[key] else {
                    if ref["optional"]?.boolValue == true { continue }
                    throw SimPodProblem(description: "couldn't find key \(key) in Secret \(ns)/\(sName)")
                }
                env[name] = String(decoding: v, as: UTF8.self)
            } else if let ref = from["configMapKeyRef"] {
                let cmName = ref["name"]?.str ?? "", key = ref["key"]?.str ?? ""
                guard let data = configMapData(ns, cmName) else {
                    if ref["optional"]?.boolValue == true { continue }
                    throw SimPodProblem(description: "configmap \"\(cmName)\" not found")
                }
                guard let v = data[key] else {
                    if ref["optional"]?.boolValue == true { continue }
                    throw SimPodProblem(description: "couldn't find key \(key) in ConfigMap \(ns)/\(cmName)")
                }
                env[name] = String(decoding: v, as: UTF8.self)
            } else {
                env[name] = ""
            }
        }
        return env
    }

    func fieldValue(_ path: String, pod: Value, rp: RealPod) -> String {
        switch path {
        case "metadata.name": return rp.name
        case "metadata.namespace": return rp.namespace
        case "metadata.uid": return rp.uid
        case "spec.nodeName": return pod[path: ["spec", "nodeName"]]?.str ?? ""
        case "spec.serviceAccountName": return pod[path: ["spec", "serviceAccountName"]]?.str ?? "default"
        case "status.podIP": return rp.ip ?? ""
        case "status.podIPs": return rp.ip ?? ""
        case "status.hostIP", "status.hostIPs": return nodeAddress(pod[path: ["spec", "nodeName"]]?.str ?? "")
        default:
            for (prefix, field) in [("metadata.labels['", "labels"), ("metadata.annotations['", "annotations")] where path.hasPrefix(prefix) {
                let key = String(path.dropFirst(prefix.count).dropLast(2))
                return pod[path: ["metadata", field, key]]?.str ?? ""
            }
            return ""
        }
    }

    /// `$(VAR)` → the variable's value when defined (left as written otherwise); `$$` → `$`.
    static func expand(_ s: String, _ env: [String: String]) -> String {
        guard s.contains("$") else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            let next = s.index(after: i)
            if ch == "$", next < s.endIndex {
                if s[next] == "$" { out.append("$"); i = s.index(after: next); continue }
                if s[next] == "(", let close = s[next...].firstIndex(of: ")") {
                    let name = String(s[s.index(after: next)..<close])
                    if let v = env[name] { out += v; i = s.index(after: close); continue }
                }
            }
            out.append(ch)
            i = next
        }
        return out
    }

    /// The process to run: the image's entrypoint stand-in with the container's arguments,
    /// paths under a volume mount translated to the pod folder that holds that volume.
    func containerArgv(_ c: Value, env: [String: String], pod: Value, rp: RealPod) -> (argv: [String], notes: [String]) {
        let mounts = (c["volumeMounts"]?.list ?? []).map { m -> (path: String, host: String) in
            let vol = m["name"]?.str ?? ""
            var host = "\(rp.dir)/volumes/\(vol)"
            if let sub = m["subPath"]?.str, !sub.isEmpty { host += "/" + sub }
            return (m["mountPath"]?.str ?? "", host)
        }.sorted { $0.path.count > $1.path.count }
        func translate(_ arg: String) -> String {
            for m in mounts where !m.path.isEmpty {
                if arg == m.path { return m.host }
                let dir = m.path.hasSuffix("/") ? m.path : m.path + "/"
                if arg.hasPrefix(dir) { return m.host + "/" + arg.dropFirst(dir.count) }
            }
            return arg
        }
        let command = (c["command"]?.list ?? []).compactMap(\.str).map { Self.expand($0, env) }.enumerated().map {
            $0.offset == 0 ? $0.element : translate($0.element)
        }
        let args = (c["args"]?.list ?? []).compactMap(\.str).map { Self.expand($0, env) }.map(translate)
        let container = c["name"]?.str ?? ""
        switch runtime?.images.resolve(c["image"]?.str ?? "") {
        case .slimNode(let venv, let script):
            // SLIM's image runs `/slim --config FILE`; the bindings' node runner takes FILE.
            var config = "/config.yaml"
            if let i = args.firstIndex(where: { $0 == "--config" || $0 == "-c" }), i + 1 < args.count {
                config = args[i + 1]
            } else if let a = args.first(where: { $0.hasPrefix("--config=") }) {
                config = translate(String(a.dropFirst(9)))
            }
            var file = translate(config)
            var notes: [String] = []
            if let replaced = Self.withoutSpireTLS(file: file, into: "\(rp.dir)/\(container)-config.yaml") {
                file = replaced
                notes.append(
                    "SPIRE is inert in the simulated cluster, so container \(container) gets no SVIDs: its SPIRE-sourced TLS (source/ca_source type spire in \(config)) runs as plaintext (insecure: true)"
                )
            }
            return ([venv + "/bin/python", script, file], notes)
        case .pythonApps:
            return Self.withoutSpireFlags(command + args, container: container)
        default:
            return (command + args, [])
        }
    }

    /// The node config with every SPIRE-sourced `tls` block made `insecure: true` and https
    /// client endpoints made http, written beside the pod's volumes; nil when SPIRE is not used.
    static func withoutSpireTLS(file: String, into out: String) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8), text.contains("spire"),
            let config = try? YAML.load(text, file: file)
        else { return nil }
        var changed = false
        func walk(_ v: Value) -> Value {
            switch v {
            case .map(let m):
                var r = m
                for (k, child) in m {
                    if k == "tls", let t = child.mapValue,
                        ["source", "ca_source"].contains(where: { t[$0]?["type"]?.str == "spire" })
                    {
                        r[k] = .map(["insecure": true])
                        changed = true
                    } else if k == "endpoint", let s = child.str, s.hasPrefix("https://") {
                        r[k] = .string("http://" + s.dropFirst(8))
                    } else {
                        r[k] = walk(child)
                    }
                }
                return .map(r)
            case .list(let l): return .list(l.map(walk))
            default: return v
            }
        }
        let rewritten = walk(config)
        guard changed, (try? YAML.emit(rewritten).write(toFile: out, atomically: true, encoding: .utf8)) != nil else { return nil }
        return out
    }

    /// The example apps without their SPIRE options: `--spire-*` flags dropped (the app then
    /// uses its shared secret) and `--slim-config FILE` replaced by `--slim` with the file's
    /// endpoint over plaintext.
    static func withoutSpireFlags(_ argv: [String], container: String) -> (argv: [String], notes: [String]) {
        guard argv.contains(where: { $0.hasPrefix("--spire-") }) else { return (argv, []) }
        var out: [String] = []
        var i = 0
        while i < argv.count {
            let a = argv[i]
            if a.hasPrefix("--spire-") {
                i += a.contains("=") ? 1 : 2
                continue
            }
            if a == "--slim-config", i + 1 < argv.count {
                if let data = FileManager.default.contents(atPath: argv[i + 1]),
                    let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let e = json["endpoint"] as? String
                {
                    out += ["--slim", e.hasPrefix("https://") ? "http://" + e.dropFirst(8) : e]
                }
                i += 2
                continue
            }
            out.append(a)
            i += 1
        }
        return (
            out,
            [
                "SPIRE is inert in the simulated cluster: container \(container) runs without its --spire-* options (identity from its shared secret) and with --slim-config's endpoint over plaintext"
            ]
        )
    }
}
