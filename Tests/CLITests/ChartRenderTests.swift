import Foundation
import Testing
import Tools
import YAML

/// `render` output fed to the real helm with a chart shaped like SLIM's 1.4-generation chart (the
/// project's own test chart): the strategy's values must produce the workloads it promises.
@Suite struct ChartRender {
    func helm() throws -> String {
        let p = ProcessInfo.processInfo.environment["SLIMCTL_HELM"] ?? "\(root)/.tools/bin/helm"
        guard FileManager.default.isExecutableFile(atPath: p) else { throw TestFailure("helm not found at \(p): run `make tools`") }
        return p
    }

    func rendered(_ strategy: String) async throws -> [Value] {
        let state = tempDir(), out = tempDir()
        let (code, text) = try await run(["render", strategy, "--out", out], state: state)
        guard code == 0 else { throw TestFailure(text) }
        let chart = "\(root)/Tests/CLITests/Fixtures/slim-like-chart"
        let (hcode, manifest) = try await Spawn.capture([try helm(), "template", "slim", chart, "--namespace", "slim", "-f", "\(out)/slim.values.yaml"])
        guard hcode == 0 else { throw TestFailure(manifest) }
        return try YAML.loadAll(manifest, file: "helm-template").filter { !$0.isNull }
    }

    func find(_ docs: [Value], _ kind: String, _ name: String) -> Value? {
        docs.first { $0["kind"]?.stringValue == kind && $0["metadata"]?["name"]?.stringValue == name }
    }

    @Test func daemonsetValuesRenderADaemonSetAndANodeLocalService() async throws {
        let docs = try await rendered("daemonset")
        #expect(find(docs, "DaemonSet", "slim") != nil)
        #expect(find(docs, "StatefulSet", "slim") == nil)
        #expect(find(docs, "Service", "slim-local")?["spec"]?["internalTrafficPolicy"]?.stringValue == "Local")
        #expect(find(docs, "Service", "slim") != nil)
        let image = find(docs, "DaemonSet", "slim")?["spec"]?["template"]?["spec"]?["containers"]?.listValue?.first?["image"]?.stringValue
        #expect(image == "ghcr.io/agntcy/slim:1.4.0")
        // Helm's tpl resolved the template string slimctl passed through untouched.
        let config = find(docs, "ConfigMap", "slim")?["data"]?["config.yaml"]?.stringValue ?? ""
        let node = try YAML.load(config, file: "config.yaml")
        let svc = node.lookup(["services", "slim/0"])
        #expect(svc?["dataplane"]?["servers"]?.listValue?.first?["endpoint"]?.stringValue == "0.0.0.0:46357")
        #expect(svc?["node_id"]?.stringValue == "${env:SLIM_SVC_ID}")
        #expect(svc?["controller"]?["clients"]?.listValue?.first?["endpoint"]?.stringValue == "http://slim-control.slim.svc.cluster.local:50052")
    }

    @Test func statefulsetValuesRenderAStatefulSetOfThree() async throws {
        let docs = try await rendered("statefulset")
        let sts = find(docs, "StatefulSet", "slim")
        #expect(sts?["spec"]?["replicas"]?.intValue == 3)
        #expect(find(docs, "DaemonSet", "slim") == nil)
        #expect(find(docs, "Service", "slim-local") == nil)
    }
}
