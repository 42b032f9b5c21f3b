import Foundation
import KubeSim
import TestCharts
import Testing
import Tools
import YAML

/// Deploys exactly as users do: every chart from its `oci://` (or repository) reference, here
/// served by a real OCI registry and a classic chart repository on loopback holding the released
/// charts, reached through slimctl's chart mirror setting; installed with the real helm into the
/// simulated cluster, then verified.
@Suite(.serialized) struct RegistryDeploy {
    func withRegistry<T>(_ body: (ChartRegistry) async throws -> T) async throws -> T {
        let registry = try await ChartRegistry.start(helm: try helmBinary())
        defer { registry.stop() }
        return try await body(registry)
    }

    @Test(arguments: [nil, "1.4"] as [String?])
    func daemonsetFromTheRegistryOnEveryGeneration(generation: String?) async throws {
        try await withRegistry { registry in
            try await withKindShapedCluster { server, kubeconfig in
                let state = tempDir()
                let gen = generation.map { ["--generation", $0] } ?? []
                let (pcode, plan) = try await slimctl(
                    ["plan", "daemonset", "--target", "cluster"] + gen + registry.slimctlArgs, state: state, kubeconfig: kubeconfig)
                #expect(pcode == 0, "\(plan)")
                #expect(
                    plan.contains("oci://127.0.0.1:\(registry.ociPort)/agntcy/slim/helm/slim --version \(generation == nil ? "2.2.0" : "1.4.0") --plain-http"),
                    "\(plan)")
                #expect(
                    plan.contains("chart mirror: oci://ghcr.io/agntcy/slim/helm/slim → oci://127.0.0.1:\(registry.ociPort)/agntcy/slim/helm/slim"), "\(plan)")

                let (code, out) = try await slimctl(
                    ["deploy", "daemonset", "--target", "cluster"] + gen + registry.slimctlArgs, state: state, kubeconfig: kubeconfig)
                #expect(code == 0, "\(out)")
                let chart = generation == nil ? "slim 2.2.0 (app 2.3.0)" : "slim 1.4.0 (app 1.4.0)"
                #expect(out.contains("chart \(chart) for release slim: renders what the strategy expects"), "\(out)")
                let image = server.cluster.get("daemonsets", namespace: "slim", name: "slim")?
                    .lookup(["spec", "template", "spec", "containers"])?.listValue?.first?["image"]?.stringValue
                #expect(image == (generation == nil ? "ghcr.io/agntcy/slim:2.3.0" : "ghcr.io/agntcy/slim:1.4.0"))
                let local = generation == nil ? "slim" : "slim-local"
                #expect(server.cluster.get("services", namespace: "slim", name: local)?.lookup(["spec", "internalTrafficPolicy"])?.stringValue == "Local")

                let (vcode, vout) = try await slimctl(
                    ["verify", "daemonset", "--target", "cluster", "--wait", "--timeout", "60"] + gen,
                    state: state, kubeconfig: kubeconfig)
                #expect(vcode == 0, "\(vout)")
                #expect(vout.contains("ok   Service \(local) (internalTrafficPolicy Local)"), "\(vout)")
                #expect(vout.contains("ok   Service \(generation == nil ? "slim-any" : "slim") (internalTrafficPolicy Cluster)"), "\(vout)")
            }
        }
    }

    @Test func statefulsetFromTheRegistryAndTheChartRepository() async throws {
        try await withRegistry { registry in
            try await withKindShapedCluster { server, kubeconfig in
                let state = tempDir()
                let (code, out) = try await slimctl(
                    ["deploy", "statefulset", "--target", "cluster"] + registry.slimctlArgs, state: state, kubeconfig: kubeconfig)
                #expect(code == 0, "\(out)")
                #expect(out.contains("chart spire 0.26.0"), "SPIRE came from the classic repository: \(out)")
                #expect(server.cluster.get("statefulsets", namespace: "slim", name: "slim")?.lookup(["spec", "replicas"])?.intValue == 3)
                #expect(server.cluster.get("statefulsets", namespace: "spire", name: "spire-server") != nil)
                let (vcode, vout) = try await slimctl(
                    ["verify", "statefulset", "--target", "cluster", "--wait", "--timeout", "60"],
                    state: state, kubeconfig: kubeconfig)
                #expect(vcode == 0, "\(vout)")
                #expect(vout.contains("StatefulSet slim"), "\(vout)")
            }
        }
    }

    @Test func anUnsupportedCombinationInstallsNothing() async throws {
        try await withRegistry { registry in
            try await withKindShapedCluster { server, kubeconfig in
                let state = tempDir()
                let (code, out) = try await slimctl(
                    [
                        "ci", "statefulset", "--target", "cluster", "--generation", "2",
                        "--report", "json=\(state)/r.json"
                    ] + registry.slimctlArgs, state: state, kubeconfig: kubeconfig)
                #expect(code == 2, "\(out)")
                #expect(out.contains("no StatefulSet template"), "\(out)")
                #expect(server.cluster.list("secrets", namespace: "slim").isEmpty && server.cluster.list("secrets", namespace: "spire").isEmpty)
            }
        }
    }
}
