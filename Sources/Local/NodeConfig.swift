import Foundation
import OrderedCollections
import YAML

/// Turns the chart's `slim.config` into the config of one local SLIM node. Every change is
/// recorded as a notice, because the point of the local target is to run the same config the
/// cluster would — so any difference must be visible.
public struct LocalNodeConfig: Sendable {
    public var nodeName: String
    public var config: Value
    public var dataPort: Int
    public var notices: [String]
}

public enum NodeConfigBuilder {
    /// Another local node, for the static full mesh.
    public struct Peer: Sendable {
        public var nodeID: String
        public var port: Int
        public init(nodeID: String, port: Int) { self.nodeID = nodeID; self.port = port }
    }

    /// One SLIM pod as a local process: its name, node, the env the chart's pod template gives it, its ports.
    public struct Pod: Sendable {
        public var name: String
        public var node: String
        public var env: [String: String]
        public var dataPort: Int
        public var controlPort: Int
        public init(name: String, node: String, env: [String: String], dataPort: Int, controlPort: Int) {
            self.name = name; self.node = node; self.env = env; self.dataPort = dataPort; self.controlPort = controlPort
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// The node id a pod's SLIM will use: the config's `node_id` with `${env:VAR}` expanded from
    /// the pod's env, or the pod name when the config cannot give each pod its own (see `build`).
    public static func nodeID(values: Value, pod: Pod, pods: Int) -> String {
        guard case .map(let services)? = values.lookup(["slim", "config", "services"]),
            let raw = services.values.first?["node_id"]?.stringValue,
            let resolved = expandEnv(raw, pod.env), raw.contains("${env:") || pods == 1
        else { return pod.name }
        return resolved
    }

    /// - Parameters:
    ///   - values: the release's rendered values (for `{{ .Values… }}` and `slim.config`).
    ///   - slim: what the chart renders for the release (names for `.Release`/`include` expressions).
    ///   - peers: the other local nodes, for the static full mesh.
    ///   - staticPeers: whether the data plane has `peers` (slim-bindings 2.x); 1.4 nodes cannot mesh without the controller.
    public static func build(values: Value, slim: LocalLayout.SlimRelease, pod: Pod, pods: Int, peers: [Peer], staticPeers: Bool) throws -> LocalNodeConfig {
        guard case .map(var config)? = values.lookup(["slim", "config"]) else {
            throw Failure(message: "slim.config: the release values have no SLIM node config (expected a map at `slim.config`)")
        }
        var notices: [String] = []
        let context = HelmExpressions.Context(
            values: values, releaseName: slim.release, namespace: slim.namespace, fullname: slim.fullname,
            name: slim.selectorLabels["app.kubernetes.io/name"] ?? "slim")
        var evaluated: [String] = []
        config = try evaluateTemplates(.map(config), context: context, key: "slim.config", evaluated: &evaluated).mapValue ?? config
        if !evaluated.isEmpty {
            notices.append("Helm expressions in slim.config evaluated as the chart would: " + evaluated.joined(separator: ", "))
        }
        guard case .map(var services)? = config["services"], !services.isEmpty else {
            throw Failure(message: "slim.config.services: no services in the SLIM node config")
        }
        notices.append("pod env as the chart sets it: " + pod.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        for (name, svcValue) in services {
            guard case .map(var svc) = svcValue else { continue }
            let key = "slim.config.services.\(name)"
            try nodeIdentity(&svc, key: key, pod: pod, pods: pods, notices: &notices)
            if case .map(var dp)? = svc["dataplane"] {
                dataplane(&dp, key: key, port: pod.dataPort, notices: &notices)
                svc["dataplane"] = .map(dp)
            }
            // The controller does not run locally.
            if case .map(let ctl)? = svc["controller"] {
                svc["controller"] = controller(ctl, key: key, port: pod.controlPort, notices: &notices)
            }
            mesh(&svc, key: key, slim: slim, peers: peers, staticPeers: staticPeers, notices: &notices)
            services[name] = .map(svc)
        }
        config["services"] = .map(services)
        return LocalNodeConfig(nodeName: pod.name, config: .map(config), dataPort: pod.dataPort, notices: notices)
    }

    /// Keeps the chart's `node_id` (e.g. `${env:SLIM_NODE_ID}`, set per pod like the chart does)
    /// unless it cannot work locally: missing, an unset variable, or one literal shared by all nodes.
    static func nodeIdentity(_ svc: inout OrderedDictionary<String, Value>, key: String, pod: Pod, pods: Int, notices: inout [String]) throws {
        guard let raw = svc["node_id"]?.stringValue else {
            svc["node_id"] = .string(pod.name)
            notices.append("\(key).node_id: not set; set to the pod name")
            return
        }
        guard expandEnv(raw, pod.env) != nil else {
            throw Failure(
                message:
                    "\(key).node_id: \(raw) uses an environment variable the chart's SLIM pod does not set (it sets \(pod.env.keys.sorted().joined(separator: ", ")))"
            )
        }
        if !raw.contains("${env:") && pods > 1 {
            svc["node_id"] = .string(pod.name)
            notices.append("\(key).node_id: the literal \(raw) would be shared by all \(pods) nodes; set to each pod's name")
        }
    }

    /// Data-plane servers listen on loopback, on this node's port; client links to other nodes go.
    static func dataplane(_ dp: inout OrderedDictionary<String, Value>, key: String, port: Int, notices: inout [String]) {
        if case .list(let servers)? = dp["servers"], !servers.isEmpty {
            var out: [Value] = []
            for (i, s) in servers.enumerated() {
                guard case .map(var sm) = s else { continue }
                let old = sm["endpoint"]?.stringValue ?? "?"
                let p = i == 0 ? port : port + 1000 + i
                sm["endpoint"] = .string("127.0.0.1:\(p)")
                if i == 0 { notices.append("\(key).dataplane.servers[0].endpoint: \(old) → 127.0.0.1:\(p)") }
                sm["tls"] = localTLS(sm["tls"], key: "\(key).dataplane.servers[\(i)].tls", notices: &notices)
                out.append(.map(sm))
            }
            dp["servers"] = .list(out)
        } else {
            dp["servers"] = .list([.map(["endpoint": .string("127.0.0.1:\(port)"), "tls": .map(["insecure": .bool(true)])])])
            notices.append("\(key).dataplane.servers: none in the config; added 127.0.0.1:\(port)")
        }
        if case .list(let clients)? = dp["clients"], !clients.isEmpty {
            dp["clients"] = .list([])
            notices.append("\(key).dataplane.clients: \(clients.count) dropped (they name cluster addresses)")
        }
    }

    static func controller(_ ctl: OrderedDictionary<String, Value>, key: String, port: Int, notices: inout [String]) -> Value? {
        var newCtl = ctl
        newCtl["clients"] = nil
        if !(ctl["clients"]?.listValue ?? []).isEmpty {
            notices.append("\(key).controller.clients: dropped (the SLIM controller does not run on the local target)")
        }
        if case .list(let servers)? = ctl["servers"], !servers.isEmpty {
            newCtl["servers"] = .list([.map(["endpoint": .string("127.0.0.1:\(port)"), "tls": .map(["insecure": .bool(true)])])])
            notices.append("\(key).controller.servers[0].endpoint → 127.0.0.1:\(port)")
        } else {
            newCtl["servers"] = nil
        }
        return newCtl.isEmpty ? nil : .map(newCtl)
    }

    /// Peers: the chart's discovery (Kubernetes EndpointSlices) has no API server locally, so the
    /// local nodes become a static full mesh; without routes, messages do not cross nodes. A data
    /// plane without `peers` (1.4) would drop the whole service over that key, so it goes.
    static func mesh(
        _ svc: inout OrderedDictionary<String, Value>, key: String, slim: LocalLayout.SlimRelease, peers: [Peer],
        staticPeers: Bool, notices: inout [String]
    ) {
        let original = svc["peers"]
        guard staticPeers else {
            if original != nil {
                svc["peers"] = nil
                notices.append("WARNING \(key).peers: dropped (this data plane has no `peers` setting)")
            }
            if !peers.isEmpty {
                notices.append(
                    "\(key): not meshed: SLIM 1.4 nodes route to each other only through the SLIM controller, which does not run locally; "
                        + "any-node Services resolve to one node so that apps meet there")
            }
            return
        }
        guard !peers.isEmpty else {
            if original != nil {
                svc["peers"] = nil
                notices.append("\(key).peers: dropped (one node, no peer to reach)")
            }
            return
        }
        let list: [Value] = peers.map {
            .map(["node_id": .string($0.nodeID), "endpoint": .string("http://127.0.0.1:\($0.port)"), "tls": .map(["insecure": .bool(true)])])
        }
        var topology: Value = "full_mesh"
        if let t = original?["topology"] { topology = t }
        svc["peers"] = .map(["topology": topology, "discovery": .map(["type": "static", "peers": .list(list)])])
        let names = peers.map(\.nodeID).joined(separator: ", ")
        switch original?["discovery"]?["type"]?.stringValue {
        case "kubernetes"?:
            let ns = original?["discovery"]?["namespace"]?.stringValue ?? slim.namespace
            let svcName = original?["discovery"]?["service_name"]?.stringValue ?? slim.fullname
            notices.append("\(key).peers.discovery: kubernetes (EndpointSlices of Service \(ns)/\(svcName)) → static full mesh of the local nodes: \(names)")
        case let other?:
            notices.append("\(key).peers.discovery: \(other) → static full mesh of the local nodes: \(names)")
        case nil:
            notices.append("\(key).peers: static full mesh with \(names)")
        }
    }

    /// SPIRE-sourced TLS cannot work without SPIRE: use insecure transport and say so.
    static func localTLS(_ tls: Value?, key: String, notices: inout [String]) -> Value {
        guard let tls, case .map(let m) = tls else { return .map(["insecure": .bool(true)]) }
        let usesSpire = ["source", "ca_source"].contains { m[$0]?["type"]?.stringValue == "spire" }
        if usesSpire {
            notices.append("WARNING \(key): SPIRE TLS replaced by insecure transport (no SPIRE on the local target)")
            return .map(["insecure": .bool(true)])
        }
        if m["insecure"]?.boolValue == true { return tls }
        if m["source"] != nil || m["cert_file"] != nil {
            notices.append("WARNING \(key): TLS material replaced by insecure transport on the local target")
        }
        return .map(["insecure": .bool(true)])
    }

    /// The config file a SLIM node process is started with: a comment naming it, then the config.
    public static func fileText(_ config: Value, pod: Pod, release: String) -> String {
        "# SLIM node config for \(pod.name) on \(pod.node), from \(release)'s slim.config\n" + YAML.emit(config)
    }

    /// `${env:VAR}` expanded from `env`; nil when a variable is not there (the node would not start).
    static func expandEnv(_ s: String, _ env: [String: String]) -> String? {
        var out = ""
        var rest = Substring(s)
        while let open = rest.range(of: "${env:") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}"), let v = env[String(rest[open.upperBound..<close])] else { return nil }
            out += rest[..<open.lowerBound] + v
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    static func evaluateTemplates(_ v: Value, context: HelmExpressions.Context, key: String, evaluated: inout [String]) throws -> Value {
        switch v {
        case .string(let s):
            let out = try HelmExpressions.evaluate(s, context: context, key: key)
            if out != s { evaluated.append("\(s) → \(out)") }
            return .string(out)
        case .list(let l):
            var out: [Value] = []
            for (i, x) in l.enumerated() { out.append(try evaluateTemplates(x, context: context, key: "\(key)[\(i)]", evaluated: &evaluated)) }
            return .list(out)
        case .map(let m):
            var out: OrderedDictionary<String, Value> = [:]
            for (k, x) in m { out[k] = try evaluateTemplates(x, context: context, key: "\(key).\(k)", evaluated: &evaluated) }
            return .map(out)
        default: return v
        }
    }
}
