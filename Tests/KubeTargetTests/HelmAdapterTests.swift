import Foundation
import KubeTarget
import Strategy
import Testing
import Tools
import YAML

/// The helm wrapper against the real helm binary and the project's 1.4-shaped test chart.
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
        let oci = helm.upgradeInstallArgv(release: "slim", chart: .remote("oci://ghcr.io/agntcy/slim/helm/slim", version: "1.4.0"),
                                          namespace: "slim", createNamespace: true, valuesFile: "/r/slim.values.yaml")
        #expect(oci == ["helm", "upgrade", "--install", "slim", "oci://ghcr.io/agntcy/slim/helm/slim", "--version", "1.4.0",
                        "--namespace", "slim", "--create-namespace", "--values", "/r/slim.values.yaml", "--kubeconfig", "/k/config", "--kube-context", "kind-x"])
        let local = helm.upgradeInstallArgv(release: "slim", chart: .local("/charts/slim"), namespace: "slim", createNamespace: false, valuesFile: "/v")
        #expect(!local.contains("--version"), "a local chart directory has no --version")
        #expect(!local.contains("--create-namespace"))
        let template = helm.templateArgv(release: "spire", chart: .remote("spire/spire", version: "0.24.0"), namespace: "spire", valuesFile: "/v")
        #expect(template == ["helm", "template", "spire", "spire/spire", "--version", "0.24.0", "--namespace", "spire", "--values", "/v"])
        #expect(!template.contains("--kubeconfig"), "template renders offline")
        #expect(helm.repoAddArgv(name: "spire", url: "https://spiffe.github.io/helm-charts-hardened/")
                == ["helm", "repo", "add", "--force-update", "spire", "https://spiffe.github.io/helm-charts-hardened/"])
        #expect(helm.uninstallArgv(release: "slim", namespace: "slim").starts(with: ["helm", "uninstall", "slim", "--namespace", "slim"]))
    }

    @Test func templateOfTheTestChartHasTheDaemonsetStrategysWorkloads() async throws {
        let helm = Helm(executable: try helmBinary())
        let log = tempDir() + "/helm.log"
        let file = try values("fullnameOverride: slim\nslim:\n  daemonset: true\n")
        let text = try await helm.template(release: "slim", chart: .local(slimChart), namespace: "slim", valuesFile: file, log: log)
        let docs = try YAML.loadAll(text, file: "template")
        try ChartCheck.check(manifests: docs, expect: [expectation("DaemonSet", "slim"), expectation("Service", "slim-local", [("internalTrafficPolicy", .string("Local"))])],
                             release: "slim", chart: slimChart, generation: "1.4")
        #expect(docs.contains { $0["kind"]?.stringValue == "ConfigMap" })
        let (lint, out) = try await Spawn.capture(helm.lintArgv(chart: slimChart, valuesFile: file))
        #expect(lint == 0, "\(out)")
    }

    @Test func valuesForTheNextChartGenerationFailBeforeInstalling() async throws {
        let helm = Helm(executable: try helmBinary())
        let log = tempDir() + "/helm.log"
        // 1.5-style values: the 1.4 chart ignores deploymentMode and renders its default StatefulSet.
        let text = "fullnameOverride: slim\nslim:\n  deploymentMode: DaemonSet\n"
        let file = try values(text)
        let manifest = try await helm.template(release: "slim", chart: .local(slimChart), namespace: "slim", valuesFile: file, log: log)
        let docs = try YAML.loadAll(manifest, file: "template")
        let v = try YAML.load(text, file: "values")
        do {
            try ChartCheck.check(manifests: docs, expect: [expectation("DaemonSet", "slim"), expectation("Service", "slim-local")],
                                 release: "slim", chart: "slim 1.4.0", generation: "1.4", valuesKeysHint: ChartCheck.generationHints(values: v, generation: "1.4"))
            Issue.record("a DaemonSet was expected to be missing")
        } catch let e as ChartMismatch {
            let s = e.description
            #expect(s.contains("no DaemonSet `slim` (there is a StatefulSet of that name)"), "\(s)")
            #expect(s.contains("no Service `slim-local`"))
            #expect(s.contains("chart generation 1.4"))
            #expect(s.contains("slim.deploymentMode"))
            #expect(s.contains("Nothing was installed"))
        }
    }

    @Test func expectedFieldsAreChecked() async throws {
        let helm = Helm(executable: try helmBinary())
        let file = try values("fullnameOverride: slim\nslim:\n  daemonset: false\n  replicaCount: 2\n")
        let manifest = try await helm.template(release: "slim", chart: .local(slimChart), namespace: "slim", valuesFile: file, log: tempDir() + "/l")
        let docs = try YAML.loadAll(manifest, file: "template")
        #expect(throws: ChartMismatch.self) {
            try ChartCheck.check(manifests: docs, expect: [expectation("StatefulSet", "slim", [("replicas", .int(3))])],
                                 release: "slim", chart: "c", generation: "1.4")
        }
        try ChartCheck.check(manifests: docs, expect: [expectation("StatefulSet", "slim", [("replicas", .int(2))])], release: "slim", chart: "c", generation: "1.4")
    }

    @Test func aFailingHelmCommandReportsItsLastLines() async throws {
        let helm = Helm(executable: try helmBinary())
        let log = tempDir() + "/helm.log"
        do {
            _ = try await helm.template(release: "slim", chart: .local("/nonexistent/chart"), namespace: "slim", valuesFile: "/nonexistent/v.yaml", log: log)
            Issue.record("helm template of a missing chart succeeded")
        } catch let e as Helm.Failure {
            #expect(e.status != 0)
            #expect(!e.lastLines.isEmpty)
            #expect(e.description.contains("helm template") || e.description.contains("template"))
            let logged = try String(contentsOfFile: log, encoding: .utf8)
            #expect(logged.contains("$ \(try helmBinary()) template slim /nonexistent/chart"))
        }
    }
}
