import Foundation
import Plan
import YAML

/// One running SLIM node's config for `slimctl diff`: the file it was started with, and the one
/// a deploy with the rendered values would start it with.
public struct NodeConfigPair: Sendable {
    public var pod: String
    public var node: String
    /// The config the process runs with; nil when its file is gone or unreadable.
    public var deployed: Value?
    public var wouldDeploy: Value
}

extension LocalTarget {
    /// The configs of the running SLIM nodes of release `r`, each beside the config the rendered
    /// values would give it. A node keeps its identity: its pod name, ports and the peers it
    /// would get (the other running nodes), so that only what the values change shows; a SLIM
    /// DaemonSet node whose revision stays is not restarted by a deploy, so its config stays
    /// as it is. nil when `r` is not a SLIM release run locally; empty when none runs.
    public func nodeConfigs(_ r: RenderedRelease) throws -> [NodeConfigPair]? {
        guard let slim = LocalLayout.slimRelease(r) else { return nil }
        let state = loadState()
        let owner = "\(slim.workload.rawValue)/\(slim.fullname)"
        let running = state.processes.filter { $0.component == "slim" && $0.workload == owner }
        let revision = slimRevision(r)
        return try running.map { p in
            let deployed = p.configPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }.flatMap { try? YAML.load($0, file: p.name) }
            if slim.daemonSet, p.revision == revision, let deployed {
                return NodeConfigPair(pod: p.name, node: p.node, deployed: deployed, wouldDeploy: deployed)
            }
            let dataPort = p.port ?? 0
            let pod = NodeConfigBuilder.Pod(
                name: p.name, node: p.node, env: slim.environment(pod: p.name, node: p.node),
                dataPort: dataPort, controlPort: deployed.flatMap(Self.controlPort) ?? dataPort + 1)
            let peers = running.filter { $0.pid != p.pid }.compactMap { o -> NodeConfigBuilder.Peer? in
                guard let port = o.port else { return nil }
                let other = NodeConfigBuilder.Pod(
                    name: o.name, node: o.node, env: slim.environment(pod: o.name, node: o.node),
                    dataPort: port, controlPort: port + 1)
                return .init(nodeID: NodeConfigBuilder.nodeID(values: r.values, pod: other, pods: running.count), port: port)
            }
            let ownID = NodeConfigBuilder.nodeID(values: r.values, pod: pod, pods: running.count)
            let cfg = try NodeConfigBuilder.build(
                values: r.values, slim: slim, pod: pod, pods: running.count,
                peers: peers.filter { $0.nodeID != ownID },
                staticPeers: bindings?.staticPeers ?? true)
            return NodeConfigPair(pod: p.name, node: p.node, deployed: deployed, wouldDeploy: cfg.config)
        }
    }

    /// The port of the first controller server in a node's config (`127.0.0.1:PORT`).
    static func controlPort(_ config: Value) -> Int? {
        guard case .map(let services)? = config["services"] else { return nil }
        for svc in services.values {
            if let endpoint = svc["controller"]?["servers"]?.listValue?.first?["endpoint"]?.stringValue,
                let port = endpoint.split(separator: ":").last.flatMap({ Int($0) })
            {
                return port
            }
        }
        return nil
    }
}
