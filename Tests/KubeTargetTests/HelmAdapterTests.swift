import Foundation
import KubeTarget
import Plan
import Strategy
import TestCharts
import Testing
import Tools
import YAML

/// The helm wrapper against the real helm binary and the released SLIM charts.
@Suite struct HelmAdapter {
    func expectation(_ kind: String, _ name: String, _ fields: [(String, Value)] = []) -> Expected {
        Expected(kind: kind, name: name, fields: fields.map { (key: $0.0, value: $0.1) })
    }

    func values(_ text: String) throws -> String {
        let path = tempDir() + "/values.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func argvForOCIRepositoryAndLocalCharts() {
        let helm = Helm(executable: "helm", kubeconfig: "/k/config", context: "kind-x")
        let oci = helm.upgradeInstallArgv(
            release: "slim", chart: .remote("oci://ghcr.io/agntcy/slim/helm/slim", version: "1.4.0"),
            namespace: "slim", createNamespace: true, valuesFile: "/r/slim.values.yaml")
        #expect(
            oci == [
                "helm", "upgrade", "--install", "slim", "oci://ghcr.io/agntcy/slim/helm/slim", "--version", "1.4.0",
                "--namespace", "slim", "--create-namespace", "--values", "/r/slim.values.yaml", "--kubeconfig", "/k/config", "--kube-context", "kind-x"
            ])
        let local = helm.upgradeInstallArgv(release: "slim", chart: .local("/charts/slim"), namespace: "slim", createNamespace: false, valuesFile: "/v")
        #expect(!local.contains("--version"), "a local chart directory has no --version")
        #expect(!local.contains("--create-namespace"))
        let template = helm.templateArgv(release: "spire", chart: .remote("spire/spire", version: "0.24.0"), namespace: "spire", valuesFile: "/v")
        #expect(template == ["helm", "template", "spire", "spire/spire", "--version", "0.24.0", "--namespace", "spire", "--values", "/v"])
        #expect(!template.contains("--kubeconfig"), "template renders offline")
        #expect(
            helm.repoAddArgv(name: "spire", url: "https://spiffe.github.io/helm-charts-hardened/")
                == ["helm", "repo", "add", "--force-update", "spire", "https://spiffe.github.io/helm-charts-hardened/"])
        #expect(helm.uninstallArgv(release: "slim", namespace: "slim").starts(with: ["helm", "uninstall", "slim", "--namespace", "slim"]))
        // A mirror without TLS, and one with a private CA.
        let plain = Helm.Chart.remote("oci://127.0.0.1:5000/agntcy/slim/helm/slim", version: "2.2.0", plainHTTP: true, caFile: "/ca.pem")
        #expect(
            helm.showChartArgv(plain) == [
                "helm", "show", "chart", "oci://127.0.0.1:5000/agntcy/slim/helm/slim", "--version", "2.2.0",
                "--plain-http", "--ca-file", "/ca.pem"
            ])
        #expect(helm.showChartArgv(.local("/c/slim-2.2.0.tgz")) == ["helm", "show", "chart", "/c/slim-2.2.0.tgz"])
    }

    func render(_ chart: String, _ valuesText: String) async throws -> [Value] {
        let helm = Helm(executable: try helmBinary())
        let text = try await helm.template(
            release: "slim", chart: .local(try RealCharts.path(chart)), namespace: "slim",
            valuesFile: try values(valuesText), log: tempDir() + "/helm.log")
        return try YAML.loadAll(text, file: "template")
    }

    @Test func bothChartGenerationsRenderADaemonSetAndANodeLocalService() async throws {
        let old = try await render("slim-1.4.0.tgz", "fullnameOverride: slim\nslim:\n  daemonset: true\n")
        try ChartCheck.check(
            manifests: old, expect: [expectation("DaemonSet", "slim"), expectation("Service", "slim-local", [("internalTrafficPolicy", .string("Local"))])],
            release: "slim", chart: "slim 1.4.0", generation: "1.4")
        let new = try await render("slim-2.2.0.tgz", "fullnameOverride: slim\nslim:\n  deploymentMode: DaemonSet\n")
        try ChartCheck.check(
            manifests: new, expect: [expectation("DaemonSet", "slim"), expectation("Service", "slim", [("internalTrafficPolicy", .string("Local"))])],
            release: "slim", chart: "slim 2.2.0", generation: "2")
        #expect(new.contains { $0["kind"]?.stringValue == "Role" }, "2.x adds the peer-discovery Role")
        let (lint, out) = try await Spawn.capture(
            Helm(executable: try helmBinary()).lintArgv(
                chart: try RealCharts.path("slim-2.2.0.tgz"),
                valuesFile: try values("slim:\n  deploymentMode: DaemonSet\n")))
        #expect(lint == 0, "\(out)")
    }

    @Test func valuesForTheOtherChartGenerationAreCaughtWithTheRightKeys() async throws {
        // 2.x values on the 1.4 chart: it ignores deploymentMode and renders its default StatefulSet.
        let text = "fullnameOverride: slim\nslim:\n  deploymentMode: DaemonSet\n"
        let docs = try await render("slim-1.4.0.tgz", text)
        let hints = ChartFit.keyHints(chart: ChartInfo(name: "slim", version: "1.4.0", appVersion: "1.4.0"), values: try YAML.load(text, file: "values"))
        do {
            try ChartCheck.check(
                manifests: docs, expect: [expectation("DaemonSet", "slim"), expectation("Service", "slim-local")],
                release: "slim", chart: "slim 1.4.0", generation: "2", valuesKeysHint: hints)
            Issue.record("a DaemonSet was expected to be missing")
        } catch let e as ChartMismatch {
            let s = e.description
            #expect(s.contains("no DaemonSet `slim` (there is a StatefulSet of that name)"), "\(s)")
            #expect(s.contains("no Service `slim-local`"))
            #expect(s.contains("`slim.daemonset`"), "the hint names the key the chart in hand reads: \(s)")
            #expect(s.contains("Nothing was installed"))
        }
        // And the other way round: 1.4 values on the 2.x chart render a Deployment.
        let back = "slim:\n  daemonset: true\n"
        let hints2 = ChartFit.keyHints(chart: ChartInfo(name: "slim", version: "2.2.0", appVersion: "2.3.0"), values: try YAML.load(back, file: "values"))
        #expect(hints2.first?.contains("slim.deploymentMode: DaemonSet") == true, "\(hints2)")
        let rendered = try await render("slim-2.2.0.tgz", back)
        #expect(rendered.contains { $0["kind"]?.stringValue == "Deployment" })
    }

    @Test func expectedFieldsAreChecked() async throws {
        let docs = try await render("slim-1.4.0.tgz", "fullnameOverride: slim\nslim:\n  daemonset: false\n  replicaCount: 2\n")
        #expect(throws: ChartMismatch.self) {
            try ChartCheck.check(
                manifests: docs, expect: [expectation("StatefulSet", "slim", [("replicas", .int(3))])],
                release: "slim", chart: "c", generation: "1.4")
        }
        try ChartCheck.check(
            manifests: docs, expect: [expectation("StatefulSet", "slim", [("replicas", .int(2))])], release: "slim", chart: "c", generation: "1.4")
    }

    @Test func helmsCoalesceWarningsAreCollected() async throws {
        // A map where slim-control-plane 2.2.0 declares a list: helm ignores it and says so.
        let helm = Helm(executable: try helmBinary())
        let r = try await helm.render(
            release: "c", chart: .local(try RealCharts.path("slim-control-plane-2.2.0.tgz")), namespace: "slim",
            valuesFile: try values("config:\n  northbound:\n    httpPort: \"50051\"\n"), log: tempDir() + "/helm.log")
        let paths = r.warnings.compactMap { ChartFit.ignoredValuePath($0, chart: "slim-control-plane") }
        #expect(paths.contains(["config", "northbound"]), "\(r.warnings)")
    }

    @Test func aFailingHelmCommandReportsItsLastLines() async throws {
        let helm = Helm(executable: try helmBinary())
        let log = tempDir() + "/helm.log"
        do {
            _ = try await helm.template(release: "slim", chart: .local("/nonexistent/chart"), namespace: "slim", valuesFile: "/nonexistent/v.yaml", log: log)
            Issue.record("helm template of a missing chart succeeded")
        } catch let e as CommandFailure {
            #expect(e.status != 0)
            #expect(e.lastLines.first?.hasPrefix("Error:") == true, "helm's own error comes first: \(e.lastLines)")
            #expect(e.description.contains("helm template") || e.description.contains("template"))
            let logged = try String(contentsOfFile: log, encoding: .utf8)
            #expect(logged.contains("$ \(try helmBinary()) template slim /nonexistent/chart"))
        }
    }
}
