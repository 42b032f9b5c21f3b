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
    public struct Peer: Sendable {
        public var nodeID: String
        public var port: Int
        public init(nodeID: String, port: Int) { self.nodeID = nodeID; self.port = port }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// - Parameters:
    ///   - values: the release's rendered values (for `{{ .Values… }}` and `slim.config`).
    ///   - ports: allocated loopback ports for this node, taken in order for every listening endpoint.
    ///   - peers: the other local nodes, for the static full mesh.
    public static func build(values: Value, nodeID: String, dataPort: Int, controlPort: Int, peers: [Peer]) throws -> LocalNodeConfig {
        guard case .map(var config)? = values.lookup(["slim", "config"]) else {
            throw Failure(message: "slim.config: the release values have no SLIM node config (expected a map at `slim.config`)")
        }
        var notices: [String] = []
        config = try evaluateTemplates(.map(config), values: values, key: "slim.config").mapValue ?? config
        guard case .map(var services)? = config["services"], !services.isEmpty else {
            throw Failure(message: "slim.config.services: no services in the SLIM node config")
        }
        for (name, svcValue) in services {
            guard case .map(var svc) = svcValue else { continue }
            let key = "slim.config.services.\(name)"
            svc["node_id"] = .string(nodeID)
            // Data-plane servers: listen on loopback, on this node's port.
            if case .map(var dp)? = svc["dataplane"] {
                if case .list(let servers)? = dp["servers"], !servers.isEmpty {
                    var out: [Value] = []
                    for (i, s) in servers.enumerated() {
                        guard case .map(var sm) = s else { continue }
                        let old = sm["endpoint"]?.stringValue ?? "?"
                        let port = i == 0 ? dataPort : dataPort + 1000 + i
                        sm["endpoint"] = .string("127.0.0.1:\(port)")
                        if i == 0 { notices.append("\(key).dataplane.servers[0].endpoint: \(old) → 127.0.0.1:\(port)") }
                        sm["tls"] = localTLS(sm["tls"], key: "\(key).dataplane.servers[\(i)].tls", notices: &notices)
                        out.append(.map(sm))
                    }
                    dp["servers"] = .list(out)
                } else {
                    dp["servers"] = .list([.map(["endpoint": .string("127.0.0.1:\(dataPort)"), "tls": .map(["insecure": .bool(true)])])])
                    notices.append("\(key).dataplane.servers: none in the config; added 127.0.0.1:\(dataPort)")
                }
                if case .list(let clients)? = dp["clients"], !clients.isEmpty {
                    dp["clients"] = .list([])
                    notices.append("\(key).dataplane.clients: \(clients.count) dropped (local nodes reach each other through the static mesh)")
                }
                svc["dataplane"] = .map(dp)
            }
            // The controller does not run locally.
            if case .map(let ctl)? = svc["controller"] {
                let clients = ctl["clients"]?.listValue ?? []
                var newCtl = ctl
                newCtl["clients"] = nil
                if !clients.isEmpty {
                    notices.append("\(key).controller.clients: dropped (the SLIM controller does not run on the local target)")
                }
                if case .list(let servers)? = ctl["servers"], !servers.isEmpty {
                    newCtl["servers"] = .list([.map(["endpoint": .string("127.0.0.1:\(controlPort)"), "tls": .map(["insecure": .bool(true)])])])
                    notices.append("\(key).controller.servers[0].endpoint → 127.0.0.1:\(controlPort)")
                } else {
                    newCtl["servers"] = nil
                }
                svc["controller"] = newCtl.isEmpty ? nil : .map(newCtl)
            }
            // Peers: a static full mesh of the local nodes; without routes, messages do not cross nodes.
            if !peers.isEmpty {
                let list: [Value] = peers.map {
                    .map(["node_id": .string($0.nodeID), "endpoint": .string("http://127.0.0.1:\($0.port)"),
                          "tls": .map(["insecure": .bool(true)])])
                }
                svc["peers"] = .map(["topology": "full_mesh", "discovery": .map(["type": "static", "peers": .list(list)])])
                notices.append("\(key).peers: static full mesh with \(peers.map(\.nodeID).joined(separator: ", "))")
            }
            services[name] = .map(svc)
        }
        config["services"] = .map(services)
        return LocalNodeConfig(nodeName: nodeID, config: .map(config), dataPort: dataPort, notices: notices)
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

    static func evaluateTemplates(_ v: Value, values: Value, key: String) throws -> Value {
        switch v {
        case .string(let s): return .string(try HelmExpressions.evaluate(s, values: values, key: key))
        case .list(let l): return .list(try l.enumerated().map { try evaluateTemplates($0.element, values: values, key: "\(key)[\($0.offset)]") })
        case .map(let m):
            var out: OrderedDictionary<String, Value> = [:]
            for (k, x) in m { out[k] = try evaluateTemplates(x, values: values, key: "\(key).\(k)") }
            return .map(out)
        default: return v
        }
    }
}
