import Foundation
import Kube
import KubeSim
import TestCharts
import Testing
import Tools
import YAML

/// `slimctl deploy daemonset --target cluster` end to end: the real slimctl and the real helm
/// against the simulated API server, with the released SLIM charts.
@Suite(.serialized) struct ClusterEndToEnd {
    var charts: [String] { get throws { try realChartArgs() } }

    func writes(_ server: KubeSimServer) -> [String] {
        server.cluster.requestLog.filter { !$0.hasPrefix("GET ") }
    }

    @Test func deployRerunAppsStatusDelete() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            let (code, out) = try await slimctl(["deploy", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out.contains("target cluster: context kind-sim, server \(server.url)"), "\(out)")
            #expect(out.contains("4 step(s) run"), "cluster, controller, slim, slim-any-node: \(out)")
            let ds = server.cluster.get("daemonsets", namespace: "slim", name: "slim")
            #expect(ds?.lookup(["status", "numberReady"])?.intValue == 2, "one SLIM pod per worker; the control-plane is tainted")
            #expect(
                server.cluster.get("services", namespace: "slim", name: "slim")?.lookup(["spec", "internalTrafficPolicy"])?.stringValue == "Local",
                "the 2.x chart's own Service is node-local")
            #expect(server.cluster.get("services", namespace: "slim", name: "slim-any") != nil, "the strategy's any-node Service")
            #expect(server.cluster.get("deployments", namespace: "slim", name: "slim-control")?.lookup(["status", "readyReplicas"])?.intValue == 1)
            #expect(server.cluster.get("secrets", namespace: "slim", name: "sh.helm.release.v1.slim.v1") != nil, "helm keeps the release in a Secret")

            // Re-running changes nothing: no write reaches the API server.
            server.cluster.clearRequestLog()
            let (code2, out2) = try await slimctl(["deploy", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig)
            #expect(code2 == 0, "\(out2)")
            #expect(out2.contains("0 step(s) run, 4 unchanged"), "\(out2)")
            #expect(writes(server).isEmpty, "\(writes(server))")

            // The receivers: server-side apply through slimctl's client, waited for by watch.
            let (code3, out3) = try await slimctl(
                ["deploy", "daemonset", "--target", "cluster", "--only", "receiver"] + charts, state: state, kubeconfig: kubeconfig)
            #expect(code3 == 0, "\(out3)")
            #expect(server.cluster.requestLog.contains { $0.hasPrefix("PATCH /apis/apps/v1/namespaces/default/daemonsets/alice?fieldManager=slimctl") })
            #expect(server.cluster.get("daemonsets", namespace: "default", name: "alice")?.lookup(["status", "numberReady"])?.intValue == 2)
            #expect(server.cluster.get("secrets", namespace: "default", name: "slim-test-secret") != nil)

            let (code4, out4) = try await slimctl(["status", "daemonset", "--target", "cluster", "--output", "json"] + [], state: state, kubeconfig: kubeconfig)
            #expect(code4 == 0, "\(out4)")
            let status = try Value(json: String(out4[(out4.range(of: "{")?.lowerBound ?? out4.endIndex)...]))
            let releases = status["releases"]?.listValue ?? []
            #expect(Set(releases.compactMap { $0["chart"]?.stringValue }) == ["slim-2.2.0", "slim-control-plane-2.2.0"], "\(out4)")
            let workloads = status["workloads"]?.listValue ?? []
            let ready = workloads.filter { $0["ready"]?.boolValue == true }.compactMap { $0["name"]?.stringValue }
            #expect(Set(ready) == ["slim-control", "slim", "alice"], "\(out4)")
            #expect(workloads.first { $0["name"]?.stringValue == "bob" }?["exists"]?.boolValue == false, "the sender is run by `slimctl test`: \(out4)")

            let (codeT, table) = try await slimctl(["status", "daemonset", "--target", "cluster"], state: state, kubeconfig: kubeconfig)
            let rows = table.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(
                codeT == 0 && rows.contains(["RELEASE", "NAMESPACE", "CHART", "REVISION", "STATUS"])
                    && rows.contains(["KIND", "NAMESPACE", "NAME", "READY", "STATUS"]), "\(table)")
            #expect(rows.contains(["slim", "slim", "slim-2.2.0", "1", "deployed"]), "\(table)")
            #expect(rows.contains { $0.prefix(4) == ["DaemonSet", "default", "alice", "yes"] }, "\(table)")
            #expect(rows.contains(["Pod", "default", "bob", "-", "not", "found"]), "\(table)")

            let (code5, out5) = try await slimctl(["delete", "daemonset", "--target", "cluster", "--delete-namespaces"], state: state, kubeconfig: kubeconfig)
            #expect(code5 == 0, "\(out5)")
            #expect(server.cluster.get("daemonsets", namespace: "default", name: "alice") == nil)
            #expect(server.cluster.list("secrets", namespace: "slim").isEmpty, "releases uninstalled")
            #expect(server.cluster.get("namespaces", name: "slim") == nil, "namespace deleted on request")
            let (code6, out6) = try await slimctl(["delete", "daemonset", "--target", "cluster"], state: state, kubeconfig: kubeconfig)
            #expect(code6 == 0, "delete twice is safe: \(out6)")
        }
    }

    /// One state folder, two clusters: what was deployed to the first context says nothing about
    /// the second, so deploying there runs every step (a shared record would skip them all as
    /// "unchanged" and leave the second cluster empty).
    @Test func stateIsKeptPerContext() async throws {
        try await withKindShapedCluster { first, kubeconfigA in
            try await withKindShapedCluster { second, kubeconfigB in
                let state = tempDir()
                let a = try String(contentsOfFile: kubeconfigA, encoding: .utf8).replacingOccurrences(of: "kind-sim", with: "kind-a")
                let b = try String(contentsOfFile: kubeconfigB, encoding: .utf8).replacingOccurrences(of: "kind-sim", with: "kind-b")
                try a.write(toFile: "\(state)/a.yaml", atomically: true, encoding: .utf8)
                try b.write(toFile: "\(state)/b.yaml", atomically: true, encoding: .utf8)
                let kubeconfig = "\(state)/a.yaml:\(state)/b.yaml"
                let (code, out) = try await slimctl(
                    ["deploy", "daemonset", "--target", "cluster", "--context", "kind-a"] + charts, state: state, kubeconfig: kubeconfig)
                #expect(code == 0 && out.contains("4 step(s) run"), "\(out)")
                let (code2, out2) = try await slimctl(
                    ["deploy", "daemonset", "--target", "cluster", "--context", "kind-b"] + charts, state: state, kubeconfig: kubeconfig)
                #expect(code2 == 0 && out2.contains("4 step(s) run"), "\(out2)")
                #expect(first.cluster.get("daemonsets", namespace: "slim", name: "slim") != nil)
                #expect(second.cluster.get("daemonsets", namespace: "slim", name: "slim") != nil, "the second cluster got SLIM too")
                // No --context: the kubeconfig's current context (kind-a, from the first file) is the key.
                let (code3, out3) = try await slimctl(["deploy", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig)
                #expect(code3 == 0 && out3.contains("0 step(s) run, 4 unchanged"), "\(out3)")
                for key in ["kind-a", "kind-b"] {
                    #expect(FileManager.default.fileExists(atPath: "\(state)/state/daemonset-cluster@\(key).json"), "\(key)")
                }
            }
        }
    }

    @Test func aChartOfAnotherGenerationIsRefusedBeforeAnythingIsInstalled() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            // The default generation (2) has values for slim 2.x; the chart in hand is 1.4.0.
            let (code, out) = try await slimctl(
                ["deploy", "daemonset", "--target", "cluster"] + (try realChartArgs(slim: "1.4.0")),
                state: state, kubeconfig: kubeconfig)
            #expect(code == 2, "\(out)")
            #expect(out.contains("slim 1.4.0"), "\(out)")
            #expect(out.contains("generation 1.4"), "\(out)")
            #expect(out.contains("--generation 1.4"), "the hint names the generation that fits: \(out)")
            #expect(out.contains("slim.deploymentMode"), "the key this chart does not read is named: \(out)")
            #expect(out.contains("nothing was installed"), "\(out)")
            #expect(server.cluster.list("secrets", namespace: "slim").isEmpty, "no release at all, not even the controller")
        }
    }

    @Test func aValueHelmWouldIgnoreIsAnErrorNamingTheFileThatSetIt() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            // 1.4-style controller values on the 2.x chart: helm only warns and drops them.
            let file = state + "/controller-1.4-style.yaml"
            try "config:\n  northbound:\n    httpHost: 0.0.0.0\n    httpPort: \"50051\"\n".write(toFile: file, atomically: true, encoding: .utf8)
            let (code, out) = try await slimctl(
                ["deploy", "daemonset", "--target", "cluster", "-f", "slim-control:\(file)"] + charts,
                state: state, kubeconfig: kubeconfig)
            #expect(code == 2, "\(out)")
            #expect(out.contains("values key `config.northbound` (set by -f \(file))"), "\(out)")
            #expect(out.contains("helm ignored it"), "\(out)")
            #expect(server.cluster.list("secrets", namespace: "slim").isEmpty, "nothing installed")
        }
    }

    @Test func statefulsetWithAChartThatHasNoStatefulSetIsRefused() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            let inHand = ["spire-crds=spire-crds-0.5.0.tgz", "spire=spire-0.26.0.tgz", "slim-control=slim-control-plane-1.4.0.tgz", "slim=slim-2.2.0.tgz"]
            let args = try inHand.flatMap { a -> [String] in
                let parts = a.split(separator: "=")
                return ["--chart", "\(parts[0])=\(try RealCharts.path(String(parts[1])))"]
            }
            let (code, out) = try await slimctl(["deploy", "statefulset", "--target", "cluster"] + args, state: state, kubeconfig: kubeconfig)
            #expect(code == 2, "\(out)")
            #expect(out.contains("cannot render a StatefulSet"), "\(out)")
            #expect(out.contains("Deployment or DaemonSet"), "\(out)")
            #expect(server.cluster.list("secrets", namespace: "spire").isEmpty && server.cluster.list("secrets", namespace: "slim").isEmpty)
            let (code2, out2) = try await slimctl(["deploy", "statefulset", "--target", "cluster", "--generation", "2"], state: state, kubeconfig: kubeconfig)
            #expect(code2 == 2, "\(out2)")
            #expect(out2.contains("no StatefulSet template"), "\(out2)")
            #expect(out2.contains("--generation 1.4"), "\(out2)")
        }
    }

    @Test func anInterruptedDeployResumes() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            // The controller's pod never gets ready: deploy waits on its watch until interrupted.
            server.cluster.setBehavior(podPrefix: "slim-control", .neverReady)
            let env = try slimctlEnvironment(state: state, kubeconfig: kubeconfig)
            let (exit, out) = try await interrupted(["deploy", "daemonset", "--target", "cluster"] + charts, environment: env, log: state + "/deploy.out") {
                ((try? String(contentsOfFile: state + "/deploy.out", encoding: .utf8)) ?? "").contains("Deployment slim/slim-control: 0/1")
            }
            #expect(exit == 130, "exit 130 on interrupt: \(out)")
            #expect(server.cluster.get("daemonsets", namespace: "slim", name: "slim") == nil, "nothing after the interrupted step ran")

            // Fix the pod and resume: the cluster step is not redone, the controller and SLIM are.
            server.cluster.setBehavior(podPrefix: "slim-control", .normal)
            let client = try KubeClient(kubeconfig: kubeconfig)
            for p in try await client.list(apiVersion: "v1", kind: "Pod", namespace: "slim").items {
                if let name = p.lookup(["metadata", "name"])?.stringValue {
                    try await client.delete(apiVersion: "v1", kind: "Pod", name: name, namespace: "slim")
                }
            }
            let (code, out2) = try await slimctl(["deploy", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out2)")
            #expect(out2.contains("cluster: skipped"), "\(out2)")
            #expect(out2.contains("3 step(s) run, 1 unchanged"), "controller, slim, slim-any-node: \(out2)")
            #expect(server.cluster.get("daemonsets", namespace: "slim", name: "slim")?.lookup(["status", "numberReady"])?.intValue == 2)
        }
    }
}
