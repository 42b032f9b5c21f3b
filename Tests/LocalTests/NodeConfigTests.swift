import Foundation
import Testing
import YAML

@testable import Local

/// The chart's `slim.config` turned into local node configs, for both chart generations, from
/// the strategy's own values files.
@Suite struct NodeConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func values(_ file: String) throws -> Value {
        let text = try String(contentsOfFile: "\(Self.root)/values/\(file)", encoding: .utf8)
        return try YAML.load(text.replacingOccurrences(of: "((namespace))", with: "slim"), file: file)
    }

    func slim(_ v: Value, chart: String) throws -> LocalLayout.SlimRelease {
        try #require(LocalLayout.slimRelease(values: v, release: "slim", namespace: "slim", chartVersion: chart))
    }

    func pods(_ s: LocalLayout.SlimRelease) -> [NodeConfigBuilder.Pod] {
        s.podNames(nodes: ["worker", "worker2"]).enumerated().map { i, p in
            NodeConfigBuilder.Pod(name: p.pod, node: p.node, env: s.environment(pod: p.pod, node: p.node), dataPort: 40000 + 2 * i, controlPort: 40001 + 2 * i)
        }
    }

    @Test func generation2DaemonSetBecomesAStaticMeshOfPods() throws {
        let v = try values("daemonset/slim-2.yaml")
        let s = try slim(v, chart: "2.2.0")
        #expect(s.shape == .v2 && s.workload == .daemonSet)
        #expect(s.chartServices.map(\.name) == ["slim"] && s.chartServices.first?.routing == .nodeLocal, "2.x DaemonSet mode: one node-local Service")
        let ps = pods(s)
        #expect(ps[0].env["SLIM_NODE_ID"] == ps[0].name, "the chart sets SLIM_NODE_ID to the pod name")
        let ids = ps.map { NodeConfigBuilder.nodeID(values: v, pod: $0, pods: ps.count) }
        #expect(ids == ps.map(\.name))

        let cfg = try NodeConfigBuilder.build(
            values: v, slim: s, pod: ps[0], pods: 2,
            peers: [.init(nodeID: ids[1], port: ps[1].dataPort)], staticPeers: true)
        let svc = try #require(cfg.config.lookup(["services", "slim/0"]))
        #expect(svc["node_id"]?.stringValue == "${env:SLIM_NODE_ID}", "node_id stays as the chart mounts it")
        #expect(svc.lookup(["dataplane", "servers"])?.listValue?.first?["endpoint"]?.stringValue == "127.0.0.1:40000")
        #expect(svc.lookup(["controller", "clients"]) == nil)
        #expect(svc.lookup(["controller", "servers"])?.listValue?.first?["endpoint"]?.stringValue == "127.0.0.1:40001")
        #expect(svc.lookup(["peers", "topology"])?.stringValue == "full_mesh")
        #expect(svc.lookup(["peers", "discovery", "type"])?.stringValue == "static")
        let peer = try #require(svc.lookup(["peers", "discovery", "peers"])?.listValue?.first)
        #expect(peer["node_id"]?.stringValue == ids[1])
        #expect(peer["endpoint"]?.stringValue == "http://127.0.0.1:40002")
        #expect(!YAML.emit(cfg.config).contains("{{"), "no Helm expression left for the bindings")
        #expect(cfg.notices.contains { $0.contains("kubernetes (EndpointSlices of Service slim/slim)") && $0.contains("static full mesh") })
        #expect(cfg.notices.contains { $0.contains("{{ .Release.Namespace }} → slim") && $0.contains("{{ include \"slim.fullname\" . }} → slim") })
    }

    @Test func generation14DaemonSetKeepsSvcIDAndIsNotMeshed() throws {
        let v = try values("daemonset/slim-1.4.yaml")
        let s = try slim(v, chart: "1.4.0")
        #expect(s.shape == .v1 && s.workload == .daemonSet)
        #expect(s.chartServices.map(\.name) == ["slim", "slim-local"])
        let ps = pods(s)
        #expect(ps[0].env["SLIM_SVC_ID"] == "worker", "the 1.4 DaemonSet sets SLIM_SVC_ID from spec.nodeName")
        let cfg = try NodeConfigBuilder.build(values: v, slim: s, pod: ps[0], pods: 2, peers: [.init(nodeID: "worker2", port: 40002)], staticPeers: false)
        let svc = try #require(cfg.config.lookup(["services", "slim/0"]))
        #expect(svc["node_id"]?.stringValue == "${env:SLIM_SVC_ID}")
        #expect(svc["peers"] == nil, "a 1.4 data plane drops the whole service over a `peers` key")
        #expect(cfg.notices.contains { $0.contains("not meshed") && $0.contains("SLIM controller") })
    }

    @Test func peersOnAPlaneWithoutThemAreDroppedLoudly() throws {
        let v = try values("daemonset/slim-2.yaml")
        let s = try slim(v, chart: "2.2.0")
        let cfg = try NodeConfigBuilder.build(values: v, slim: s, pod: pods(s)[0], pods: 1, peers: [], staticPeers: false)
        #expect(cfg.config.lookup(["services", "slim/0", "peers"]) == nil)
        #expect(cfg.notices.contains { $0.hasPrefix("WARNING") && $0.contains("peers: dropped") })
    }

    @Test func statefulSetPodsGetOrdinalNamesAndTheirOwnIDs() throws {
        let v = try values("statefulset/slim-1.4.yaml")
        let s = try slim(v, chart: "1.4.0")
        #expect(s.workload == .statefulSet && s.replicas == 3)
        #expect(s.podNames(nodes: ["cp"]).map(\.pod) == ["slim-0", "slim-1", "slim-2"])
        #expect(s.environment(pod: "slim-1", node: "cp")["SLIM_SVC_ID"] == "slim-1")
    }

    @Test func nodeIDFromAnUnsetVariableOrSharedLiteral() throws {
        var v = try values("daemonset/slim-2.yaml")
        let s = try slim(v, chart: "2.2.0")
        let ps = pods(s)
        v = try YAML.load(YAML.emit(v).replacingOccurrences(of: "${env:SLIM_NODE_ID}", with: "${env:NOT_SET}"), file: "t")
        #expect(throws: NodeConfigBuilder.Failure.self) {
            try NodeConfigBuilder.build(values: v, slim: s, pod: ps[0], pods: 2, peers: [], staticPeers: true)
        }
        v = try YAML.load(YAML.emit(v).replacingOccurrences(of: "${env:NOT_SET}", with: "fixed"), file: "t")
        let cfg = try NodeConfigBuilder.build(values: v, slim: s, pod: ps[0], pods: 2, peers: [], staticPeers: true)
        #expect(cfg.config.lookup(["services", "slim/0", "node_id"])?.stringValue == ps[0].name)
        #expect(NodeConfigBuilder.nodeID(values: v, pod: ps[1], pods: 2) == ps[1].name)
    }

    @Test func unsupportedHelmExpressionNamesTheKey() throws {
        let v = try YAML.load("slim:\n  deploymentMode: DaemonSet\n  config:\n    services:\n      slim/0:\n        node_id: '{{ .Chart.Name }}'\n", file: "t")
        let s = try slim(v, chart: "2.2.0")
        #expect {
            try NodeConfigBuilder.build(values: v, slim: s, pod: pods(s)[0], pods: 1, peers: [], staticPeers: true)
        } throws: { String(describing: $0).contains("slim.config.services.slim/0.node_id") && String(describing: $0).contains(".Chart.Name") }
    }
}
