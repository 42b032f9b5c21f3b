import Foundation
import KubeSim
import Testing
import Tools
import YAML

/// `slimctl ci --target cluster` end to end: the real slimctl and helm against the simulated
/// cluster, whose kubelet plays back real slim-bindings 3.3.8 logs.
@Suite(.serialized) struct CICluster {
    var charts: [String] { get throws { try realChartArgs() } }
    let apps = AppTestEndToEnd()

    func report(_ path: String) throws -> Value {
        try Value(json: try String(contentsOfFile: path, encoding: .utf8))
    }

    func cases(_ r: Value, status: String? = nil) -> [String] {
        (r["cases"]?.listValue ?? []).filter { status == nil || $0["status"]?.stringValue == status }
            .compactMap { c in c["group"]?.stringValue.flatMap { g in c["name"]?.stringValue.map { "\(g)/\($0)" } } }
    }

    @Test func passingPipelineDeploysVerifiesTestsAndTearsDown() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            server.cluster.setScript(podPrefix: "alice", apps.receiverScript(try p2pFixture("p2p-3.3.8-receiver-ok.log")))
            server.cluster.setScript(podPrefix: "bob", .log(try p2pFixture("p2p-3.3.8-sender-ok.log"), interval: 0.01, exitCode: 0))
            let (code, out) = try await slimctl(
                [
                    "ci", "daemonset", "--target", "cluster", "--report", "json=\(state)/r.json",
                    "--report", "junit=\(state)/junit.xml"
                ] + charts, state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out.contains("ci daemonset: PASSED"), "\(out)")
            let r = try report("\(state)/r.json")
            #expect(r["result"]?.stringValue == "passed")
            #expect(r["target"]?.stringValue == "cluster")
            let passed = cases(r, status: "passed")
            #expect(passed.contains("deploy/slim") && passed.contains("deploy/controller"), "\(passed)")
            #expect(passed.contains { $0.hasPrefix("verify/") }, "\(passed)")
            #expect(passed.contains { $0.hasPrefix("test/10 messages") }, "\(passed)")
            #expect(passed.contains("teardown/delete"), "\(passed)")
            #expect(cases(r, status: "failed").isEmpty, "\(out)")
            let junit = try String(contentsOfFile: "\(state)/junit.xml", encoding: .utf8)
            #expect(junit.contains("<testsuite") && junit.contains("failures=\"0\""), "\(junit)")
            // Torn down: releases uninstalled, apps gone; the cluster's namespaces stay.
            let slimGone = server.cluster.get("daemonsets", namespace: "slim", name: "slim") == nil
            let controlGone = server.cluster.get("deployments", namespace: "slim", name: "slim-control") == nil
            let appsLeft = server.cluster.list("pods", namespace: "default").count
            #expect(slimGone && controlGone, "\(out)")
            #expect(appsLeft == 0, "\(out)")
            #expect(server.cluster.get("namespaces", name: "slim") != nil, "namespaces are kept on the cluster target")
        }
    }

    @Test func failingReceiversGiveExit1DiagnosticsAndStillTearDown() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            server.cluster.setBehavior(podPrefix: "alice", .imagePullFailure)
            let (code, out) = try await slimctl(
                ["ci", "daemonset", "--target", "cluster", "--test-timeout", "3", "--report", "json=\(state)/r.json"] + charts, state: state,
                kubeconfig: kubeconfig)
            #expect(code == 1, "\(out)")
            let r = try report("\(state)/r.json")
            #expect(r["result"]?.stringValue == "failed")
            let failed = (r["cases"]?.listValue ?? []).filter { $0["status"]?.stringValue == "failed" }
            #expect(failed.count == 1 && failed.first?["group"]?.stringValue == "test", "\(out)")
            #expect(
                failed.first?["message"]?.stringValue?.contains("ImagePullBackOff") == true
                    || failed.first?["message"]?.stringValue?.contains("ErrImagePull") == true,
                "\(failed.first?["message"]?.stringValue ?? "")")
            let dir = try #require(r["diagnostics"]?.stringValue)
            #expect(FileManager.default.fileExists(atPath: "\(dir)/pods.json"))
            #expect(FileManager.default.fileExists(atPath: "\(dir)/events.json"))
            #expect(FileManager.default.fileExists(atPath: "\(dir)/values/slim.values.yaml"))
            let logs = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/logs")) ?? []
            #expect(logs.contains { $0.hasPrefix("slim_slim-") }, "\(logs)")
            let slimGone = server.cluster.get("daemonsets", namespace: "slim", name: "slim") == nil
            #expect(slimGone, "torn down after the failure: \(out)")
        }
    }

    @Test func interruptWritesTheReportAndTearsDown() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            server.cluster.setBehavior(podPrefix: "alice", .neverReady)
            let env = try slimctlEnvironment(state: state, kubeconfig: kubeconfig)
            let (code, out) = try await interrupted(
                ["ci", "daemonset", "--target", "cluster", "--report", "json=\(state)/r.json"] + charts,
                environment: env, log: state + "/ci.out"
            ) {
                server.cluster.get("daemonsets", namespace: "default", name: "alice") != nil
            }
            #expect(code == 130, "\(out)")
            let r = try report("\(state)/r.json")
            #expect(r["result"]?.stringValue == "interrupted", "\(out)")
            #expect(cases(r, status: "passed").contains("teardown/delete"), "\(out)")
            let slimGone = server.cluster.get("daemonsets", namespace: "slim", name: "slim") == nil
            let appsGone = server.cluster.get("daemonsets", namespace: "default", name: "alice") == nil
            #expect(slimGone && appsGone, "\(out)")
        }
    }
}
