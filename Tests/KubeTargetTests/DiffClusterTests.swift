import Foundation
import Kube
import KubeSim
import TestCharts
import Testing
import Tools
import YAML

/// `slimctl diff --target cluster`: the released charts rendered by the real helm against the
/// live objects of the simulated API server, only the fields the manifests set.
@Suite(.serialized) struct DiffCluster {
    func changedLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter {
            ($0.hasPrefix("+") || $0.hasPrefix("-")) && !$0.hasPrefix("+++ ") && !$0.hasPrefix("--- ")
        }
    }

    @Test func liveObjectsMatchAfterADeployAndAValueChangeShowsInValuesAndObjects() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            let charts = try realChartArgs()
            let base = ["diff", "daemonset", "--target", "cluster"] + charts
            var (code, out) = try await slimctl(base, state: state, kubeconfig: kubeconfig)
            #expect(code == 0 && out.contains("slim: not deployed: would install"), "\(out)")

            (code, out) = try await slimctl(["deploy", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            server.cluster.clearRequestLog()
            (code, out) = try await slimctl(base + ["--exit-code"], state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "what helm rendered is what the API server keeps, defaults aside: \(out)")
            #expect(out.contains("no differences"), "\(out)")
            #expect(server.cluster.requestLog.allSatisfy { $0.hasPrefix("GET ") }, "diff only reads: \(server.cluster.requestLog)")

            (code, out) = try await slimctl(base + ["--set", "slim.config.tracing.log_level=debug", "-o", "json"], state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            let json = String(out[(out.range(of: "[")?.lowerBound ?? out.endIndex)...])
            let entries = (try Value(json: json)).listValue ?? []
            let values = entries.filter { $0["kind"]?.stringValue == "values" }
            #expect(
                values.count == 1 && changedLines(values.first?["diff"]?.stringValue ?? "") == ["-      log_level: info", "+      log_level: debug"],
                "\(out)")
            let manifests = entries.filter { $0["kind"]?.stringValue == "manifest" }
            let config = manifests.first { ($0["object"]?.stringValue ?? "").hasPrefix("ConfigMap slim/") }
            let configLines = changedLines(config?["diff"]?.stringValue ?? "")
            #expect(
                configLines.contains { $0.hasPrefix("-") && $0.hasSuffix("log_level: info") }
                    && configLines.contains { $0.hasPrefix("+") && $0.hasSuffix("log_level: debug") }, "the SLIM config the chart mounts: \(out)")
            #expect(manifests.allSatisfy { $0["step"]?.stringValue == "slim" }, "only the SLIM release's objects change: \(out)")

            // A change made behind slimctl's back: the inputs are the same, so deploy would skip it; diff says so.
            var options = KubeClientOptions()
            options.fieldManager = "someone-else"
            let other = try KubeClient(kubeconfig: kubeconfig, options: options)
            try await other.apply(
                .map([
                    "apiVersion": "v1", "kind": "Service", "metadata": .map(["name": "slim-any", "namespace": "slim"]),
                    "spec": .map(["internalTrafficPolicy": "Local"])
                ]))
            (code, out) = try await slimctl(base, state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out.contains("slim-any-node: inputs unchanged, so deploy skips this step"), "\(out)")
            #expect(out.contains("slim-any-node: manifest Service slim/slim-any"), "\(out)")
            #expect(changedLines(out) == ["-  internalTrafficPolicy: Local", "+  internalTrafficPolicy: Cluster"], "\(out)")
            let secret = try String(contentsOfFile: "\(state)/secrets/daemonset.json", encoding: .utf8)
            let shared = try #require((try Value(json: secret))["sharedSecret"]?.stringValue)
            #expect(!out.contains(shared))
        }
    }
}
