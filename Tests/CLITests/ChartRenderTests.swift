import Foundation
import TestCharts
import Testing
import Tools
import YAML

/// `render` output fed to the real helm with the released charts: every strategy × every chart
/// generation it supports renders the workloads it promises, with zero helm coalesce warnings
/// (a warning means helm ignored one of slimctl's values).
@Suite struct ChartRender {
    func helm() throws -> String {
        let p = ProcessInfo.processInfo.environment["SLIMCTL_HELM"] ?? "\(root)/.tools/bin/helm"
        guard FileManager.default.isExecutableFile(atPath: p) else { throw TestFailure("helm not found at \(p): run `make tools`") }
        return p
    }

    /// `slimctl render` then `helm template` of one release, as a new user would run them.
    func template(
        _ strategy: String, generation: String?, release: String, chart: String, namespace: String = "slim"
    ) async throws -> (docs: [Value], warnings: [String]) {
        let state = tempDir(), out = tempDir()
        let (code, text) = try await run(["render", strategy, "--out", out] + (generation.map { ["--generation", $0] } ?? []), state: state)
        guard code == 0 else { throw TestFailure(text) }
        let (hcode, manifest) = try await Spawn.capture([
            try helm(), "template", release, try RealCharts.path(chart), "--namespace", namespace,
            "-f", "\(out)/\(release).values.yaml"
        ])
        guard hcode == 0 else { throw TestFailure(manifest) }
        let warnings = manifest.split(separator: "\n").filter { $0.contains("warning:") || $0.hasPrefix("level=WARN") }.map(String.init)
        let body = manifest.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("level=") }.joined(separator: "\n")
        return (try YAML.loadAll(body, file: "helm-template").filter { !$0.isNull }, warnings)
    }

    func find(_ docs: [Value], _ kind: String, _ name: String) -> Value? {
        docs.first { $0["kind"]?.stringValue == kind && $0["metadata"]?["name"]?.stringValue == name }
    }

    func nodeConfig(_ docs: [Value]) throws -> Value {
        try YAML.load(find(docs, "ConfigMap", "slim")?["data"]?["config.yaml"]?.stringValue ?? "", file: "config.yaml")
    }

    @Test func daemonsetOnTheCurrentGenerationRendersADaemonSetWithANodeLocalService() async throws {
        let (docs, warnings) = try await template("daemonset", generation: nil, release: "slim", chart: "slim-2.2.0.tgz")
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(find(docs, "DaemonSet", "slim") != nil)
        #expect(find(docs, "Deployment", "slim") == nil)
        #expect(find(docs, "Service", "slim")?["spec"]?["internalTrafficPolicy"]?.stringValue == "Local")
        #expect(find(docs, "Role", "slim-peer-discovery") != nil)
        let image = find(docs, "DaemonSet", "slim")?["spec"]?["template"]?["spec"]?["containers"]?.listValue?.first?["image"]?.stringValue
        #expect(image == "ghcr.io/agntcy/slim:2.3.0")
        let svc = try nodeConfig(docs).lookup(["services", "slim/0"])
        #expect(svc?["node_id"]?.stringValue == "${env:SLIM_NODE_ID}")
        #expect(svc?["dataplane"]?["servers"]?.listValue?.first?["endpoint"]?.stringValue == "0.0.0.0:46357")
        #expect(svc?["peers"]?["discovery"]?["service_name"]?.stringValue == "slim", "helm's tpl resolved the chart's own expression")
        #expect(svc?["controller"]?["clients"]?.listValue?.first?["endpoint"]?.stringValue == "http://slim-control.slim.svc.cluster.local:50052")
        let (control, cw) = try await template("daemonset", generation: nil, release: "slim-control", chart: "slim-control-plane-2.2.0.tgz")
        #expect(cw.isEmpty, "\(cw)")
        #expect(find(control, "Deployment", "slim-control") != nil)
    }

    @Test func daemonsetOnThe14GenerationRendersADaemonSetAndTheLocalService() async throws {
        let (docs, warnings) = try await template("daemonset", generation: "1.4", release: "slim", chart: "slim-1.4.0.tgz")
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(find(docs, "DaemonSet", "slim") != nil)
        #expect(find(docs, "StatefulSet", "slim") == nil)
        #expect(find(docs, "Service", "slim-local")?["spec"]?["internalTrafficPolicy"]?.stringValue == "Local")
        #expect(find(docs, "Service", "slim")?["spec"]?["internalTrafficPolicy"] == nil, "the main Service reaches every node")
        let svc = try nodeConfig(docs).lookup(["services", "slim/0"])
        #expect(svc?["node_id"]?.stringValue == "${env:SLIM_SVC_ID}")
        #expect(svc?["dataplane"]?["servers"]?.listValue?.first?["endpoint"]?.stringValue == "0.0.0.0:46357")
        let (control, cw) = try await template("daemonset", generation: "1.4", release: "slim-control", chart: "slim-control-plane-1.4.0.tgz")
        #expect(cw.isEmpty, "\(cw)")
        #expect(find(control, "Deployment", "slim-control") != nil)
        #expect(find(control, "PersistentVolumeClaim", "slim-control") != nil || control.contains { $0["kind"]?.stringValue == "PersistentVolumeClaim" })
    }

    @Test func statefulsetRendersAStatefulSetOfThreeAndSPIRE() async throws {
        let (docs, warnings) = try await template("statefulset", generation: nil, release: "slim", chart: "slim-1.4.0.tgz")
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(find(docs, "StatefulSet", "slim")?["spec"]?["replicas"]?.intValue == 3)
        #expect(find(docs, "DaemonSet", "slim") == nil)
        #expect(find(docs, "Service", "slim-local") == nil)
        let (spire, sw) = try await template("statefulset", generation: nil, release: "spire", chart: "spire-0.26.0.tgz", namespace: "spire")
        #expect(sw.isEmpty, "\(sw)")
        #expect(find(spire, "StatefulSet", "spire-server") != nil)
        #expect(find(spire, "DaemonSet", "spire-agent") != nil)
        let (control, cw) = try await template("statefulset", generation: nil, release: "slim-control", chart: "slim-control-plane-1.4.0.tgz")
        #expect(cw.isEmpty, "\(cw)")
        #expect(find(control, "Deployment", "slim-control") != nil)
    }

    @Test func statefulsetOnGeneration2IsRefusedNamingWhatToDo() async throws {
        let state = tempDir(), out = tempDir()
        let (code, text) = try await run(["render", "statefulset", "--generation", "2", "--out", out], state: state)
        #expect(code == 2, "\(text)")
        #expect(text.contains("no StatefulSet template"), "\(text)")
        #expect(text.contains("--generation 1.4"), "\(text)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty ?? true, "nothing rendered")
        let (code2, text2) = try await run(["render", "daemonset", "--generation", "3"], state: state)
        #expect(code2 == 2 && text2.contains("has no chart generation `3`"), "\(text2)")
    }

    @Test func setIndexesIntoAListFromTheStrategysValuesAsHelmDoes() async throws {
        let state = tempDir(), out = tempDir()
        let (code, text) = try await run(
            [
                "render", "daemonset", "--out", out,
                "--set", "slim.config.services.slim/0.dataplane.servers[0].tls.insecure=false"
            ], state: state)
        #expect(code == 0, "\(text)")
        let values = try YAML.load(try String(contentsOfFile: "\(out)/slim.values.yaml", encoding: .utf8), file: "v")
        let server = values.lookup(["slim", "config", "services", "slim/0", "dataplane", "servers"])?.listValue?.first
        #expect(
            server?["endpoint"]?.stringValue == "0.0.0.0:{{ (index .Values.slim.service.data 0).port }}", "the endpoint is kept: \(String(describing: server))")
        #expect(server?["tls"]?["insecure"]?.boolValue == false)
    }

    @Test func mirrorsFromTheEnvironmentAndFlagsShowInThePlan() async throws {
        let state = tempDir()
        var env = ProcessInfo.processInfo.environment
        env["SLIMCTL_STATE_DIR"] = state
        env["NO_COLOR"] = "1"
        env["KUBECONFIG"] = state + "/none"
        env["SLIMCTL_CHART_MIRROR"] = "ghcr.io/agntcy=registry.internal:5000/agntcy"
        env["SLIMCTL_CHART_PLAIN_HTTP"] = "1"
        let (code, out) = try await Spawn.capture(
            [
                try slimctlBinary(), "plan", "statefulset", "--target", "cluster",
                "--chart-mirror", "https://spiffe.github.io/helm-charts-hardened=http://charts.internal/spiffe"
            ],
            environment: env)
        #expect(code == 0, "\(out)")
        #expect(out.contains("oci://registry.internal:5000/agntcy/slim/helm/slim --version 1.4.0 --plain-http"), "\(out)")
        #expect(out.contains("helm repo add --force-update spiffe http://charts.internal/spiffe/"), "\(out)")
        #expect(
            out.contains(
                "note: chart mirror: oci://ghcr.io/agntcy/slim/helm/slim-control-plane → oci://registry.internal:5000/agntcy/slim/helm/slim-control-plane"),
            "\(out)")
        let (bad, badOut) = try await run(["plan", "daemonset", "--target", "cluster", "--chart-mirror", "no-equals-sign"], state: state)
        #expect(bad == 2 && badOut.contains("expected FROM=TO"), "\(badOut)")
        let (tgz, tgzOut) = try await run(["plan", "daemonset", "--target", "cluster", "--chart", "slim=\(state)/missing.tgz"], state: state)
        #expect(tgz == 2 && tgzOut.contains("does not exist"), "\(tgzOut)")
    }
}
