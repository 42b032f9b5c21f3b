import Foundation

/// The Kubernetes Services that lead to SLIM nodes (the chart's own and strategy-applied ones),
/// resolved to local node ports the way kube-proxy would route them, so the apps' unchanged
/// `--slim http://<service>.<ns>.svc.cluster.local:46357` reaches the right local node.
public struct ServiceMap: Sendable {
    /// `internalTrafficPolicy: Local` → the SLIM node on the caller's node; otherwise any node.
    public enum Routing: String, Sendable, Codable {
        case anyNode, nodeLocal
        public init(internalTrafficPolicy: String?) { self = internalTrafficPolicy == "Local" ? .nodeLocal : .anyNode }
        public var policy: String { self == .nodeLocal ? "Local" : "Cluster" }
    }

    public struct Entry: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var routing: Routing
        /// "the slim chart" or "step slim-any-node", for notices.
        public var origin: String
    }

    /// Host forms (`slim`, `slim.ns`, `slim.ns.svc`, `slim.ns.svc.cluster.local`) → Service.
    var hosts: [String: Entry] = [:]
    public private(set) var entries: [Entry] = []
    /// SLIM node port per simulated node (node-local routing) and all node ports (round robin).
    var byNode: [String: Int] = [:]
    var all: [Int] = []
    var next = 0
    /// Whether the local SLIM nodes route to each other. When they cannot (1.x data planes mesh
    /// only through the SLIM controller, which does not run locally), an any-node Service resolves
    /// to the caller's node's SLIM, else the first node, so that apps meet on one node.
    var meshed = true

    public init() {}

    public mutating func register(name: String, namespace: String, routing: Routing, origin: String) {
        let e = Entry(name: name, namespace: namespace, routing: routing, origin: origin)
        entries.removeAll { $0.name == name && $0.namespace == namespace }
        entries.append(e)
        for h in [name, "\(name).\(namespace)", "\(name).\(namespace).svc", "\(name).\(namespace).svc.cluster.local"] {
            hosts[h] = e
        }
    }

    public func entry(name: String, namespace: String) -> Entry? {
        entries.first { $0.name == name && $0.namespace == namespace }
    }

    /// The local port an address resolves to from `node`, or nil when the host is not a SLIM Service.
    mutating func port(host: String, node: String) throws -> (Int, String)? {
        guard let e = hosts[host] else { return nil }
        switch e.routing {
        case .nodeLocal:
            guard let p = byNode[node] else {
                throw LocalError("\(host) has internalTrafficPolicy Local and no SLIM node runs on \(node): a pod there could not connect")
            }
            return (p, "node-local Service \(e.name) (\(e.origin)) → the SLIM node on \(node)")
        case .anyNode:
            guard !all.isEmpty else { throw LocalError("\(host): no SLIM node is running") }
            if !meshed {
                let p = byNode[node] ?? all[0]
                let which = byNode[node] != nil ? "the SLIM node on \(node)" : "SLIM node 1 of \(all.count)"
                return (p, "Service \(e.name) (\(e.origin)) → \(which): the local SLIM nodes are not meshed (no SLIM controller), so apps share a node")
            }
            let i = next % all.count
            next += 1
            return (all[i], "Service \(e.name) (\(e.origin)) → SLIM node \(i + 1) of \(all.count) (round robin)")
        }
    }
}
