import Foundation
import Kube
import KubeSim
import Testing
import Tools
import YAML

/// The real p2p logs captured for the message-log parser (Tests/ChecksTests/Fixtures).
func p2pFixture(_ name: String) throws -> String {
    let path = "\(root)/Tests/ChecksTests/Fixtures/\(name)"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TestFailure("fixture \(path) is missing") }
    return text
}

/// `slimctl test --target cluster` end to end: the real slimctl and helm against the simulated
/// cluster, whose kubelet plays back the captured logs of real slim-bindings 3.3.8 apps.
@Suite(.serialized) struct AppTestEndToEnd {
    var charts: [String] { get throws { try realChartArgs() } }
    /// The worker whose receiver the sender reaches (the other one only listens).
    let reached = "slim-cluster-worker"

    /// Receivers: every one logs its start up to "waiting for new session"; the one on
    /// `reached` then waits for the sender's container and logs the rest of `log`.
    func receiverScript(_ log: String) -> SimScript {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let cut = (lines.firstIndex { $0.contains("waiting for new session") } ?? 0) + 1
        let start = SimScript.lines(lines[..<cut].joined(separator: "\n"))
        let rest = SimScript.lines(lines[cut...].joined(separator: "\n"), interval: 0.01)
        return SimScript(steps: start, byNode: [reached: start + [.awaitStarted(podPrefix: "bob")] + rest], exitCode: nil)
    }

    func deploy(_ kubeconfig: String, state: String) async throws {
        let (code, out) = try await slimctl(["deploy", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig)
        try #require(code == 0, "deploy: \(out)")
    }

    func json(_ out: String) throws -> Value {
        guard let start = out.range(of: "{\n")?.lowerBound ?? out.range(of: "{")?.lowerBound else { throw TestFailure("no JSON in: \(out)") }
        return try Value(json: String(out[start...]))
    }

    @Test func tenOfTenWithCountsPerReceiverThenRemovedOrKept() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            server.cluster.setScript(podPrefix: "alice", receiverScript(try p2pFixture("p2p-3.3.8-receiver-ok.log")))
            server.cluster.setScript(podPrefix: "bob", .log(try p2pFixture("p2p-3.3.8-sender-ok.log"), interval: 0.03, exitCode: 0))

            let (code, out) = try await slimctl(["test", "all", "daemonset", "--target", "cluster", "--output", "json"], state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            let r = try json(out)
            #expect(r["passed"]?.boolValue == true, "\(out)")
            #expect(r["sent"]?.intValue == 10 && r["replies"]?.intValue == 10, "\(out)")
            let receivers = r["receivers"]?.listValue ?? []
            #expect(receivers.count == 2, "one receiver per worker: \(out)")
            let counts = Dictionary(receivers.compactMap { v in v["node"]?.stringValue.map { ($0, Int(v["received"]?.intValue ?? -1)) } }, uniquingKeysWith: +)
            #expect(counts == [reached: 10, "slim-cluster-worker2": 0], "\(out)")
            #expect(receivers.allSatisfy { $0["pod"]?.stringValue?.hasPrefix("alice-") == true }, "\(out)")
            // Removed afterwards, each deletion waited for.
            #expect(server.cluster.get("daemonsets", namespace: "default", name: "alice") == nil, "\(out)")
            #expect(server.cluster.get("pods", namespace: "default", name: "bob") == nil, "\(out)")
            #expect(server.cluster.list("pods", namespace: "default").isEmpty, "\(out)")
            #expect(server.cluster.requestLog.contains { $0.hasPrefix("GET /api/v1/namespaces/default/pods/bob/log") }, "logs read through the API")
            #expect(server.cluster.requestLog.contains { $0.contains("/pods?") && $0.contains("watch=true") }, "the sender is waited for with a watch")

            // Text output, and --keep leaves both apps.
            let (code2, out2) = try await slimctl(["test", "all", "daemonset", "--target", "cluster", "--keep"], state: state, kubeconfig: kubeconfig)
            #expect(code2 == 0, "\(out2)")
            #expect(out2.contains("test: PASS (10/10)"), "\(out2)")
            #expect(out2.contains("on \(reached): 10 received"), "\(out2)")
            #expect(server.cluster.get("daemonsets", namespace: "default", name: "alice") != nil, "--keep: \(out2)")
            #expect(server.cluster.get("pods", namespace: "default", name: "bob")?.lookup(["status", "phase"])?.stringValue == "Succeeded", "--keep: \(out2)")
        }
    }

    /// Ctrl-C while the receivers start: exit 130, and the apps are removed as a normal end
    /// would remove them, not left in the cluster.
    @Test func anInterruptedTestRemovesItsApps() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            server.cluster.setBehavior(podPrefix: "alice", .neverReady)
            let env = try slimctlEnvironment(state: state, kubeconfig: kubeconfig)
            let (code, out) = try await interrupted(["test", "all", "daemonset", "--target", "cluster"], environment: env, log: state + "/test.out") {
                server.cluster.list("pods", namespace: "default").filter { ($0.lookup(["metadata", "name"])?.stringValue ?? "").hasPrefix("alice") }.count >= 2
            }
            #expect(code == 130, "exit 130 on interrupt: \(out)")
            #expect(out.contains("removing the test apps"), "\(out)")
            let daemonSetGone = server.cluster.get("daemonsets", namespace: "default", name: "alice") == nil
            let podsLeft = server.cluster.list("pods", namespace: "default").compactMap { $0.lookup(["metadata", "name"])?.stringValue }
            #expect(daemonSetGone, "\(out)")
            #expect(podsLeft.isEmpty, "\(out)")
        }
    }

    @Test func receiverOnlyLeavesReceiversRunning() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            server.cluster.setScript(podPrefix: "alice", receiverScript(try p2pFixture("p2p-3.3.8-receiver-ok.log")))
            let (code, out) = try await slimctl(["test", "receiver", "daemonset", "--target", "cluster"], state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out.contains("receivers running: alice-"), "\(out)")
            #expect(out.contains("on slim-cluster-worker2"), "\(out)")
            #expect(server.cluster.get("daemonsets", namespace: "default", name: "alice")?.lookup(["status", "numberReady"])?.intValue == 2)
            #expect(server.cluster.get("pods", namespace: "default", name: "bob") == nil, "no sender: \(out)")
        }
    }

    @Test func someRepliesMissingFails() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            // Real run: the receiver was killed after 3 messages; the sender still exits 0.
            server.cluster.setScript(podPrefix: "alice", receiverScript(try p2pFixture("p2p-3.3.8-receiver-receiverkill.log")))
            server.cluster.setScript(podPrefix: "bob", .log(try p2pFixture("p2p-3.3.8-sender-receiverkill.log"), interval: 0.02, exitCode: 0))
            let (code, out) = try await slimctl(["test", "all", "daemonset", "--target", "cluster"], state: state, kubeconfig: kubeconfig)
            #expect(code == 1, "\(out)")
            #expect(out.contains("test: FAIL"), "\(out)")
            #expect(out.contains("3/10 replies"), "\(out)")
            #expect(out.contains("receivers logged 3/10 messages"), "\(out)")
            #expect(out.contains("receive timeout waiting for message"), "the sender's errors are quoted: \(out)")
            #expect(server.cluster.get("daemonsets", namespace: "default", name: "alice") == nil, "removed after a failure too: \(out)")
        }
    }

    @Test func receiverImageNotPulledNamesPodNodeAndReason() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            server.cluster.setBehavior(podPrefix: "alice", .imagePullFailure)
            // A long timeout: a pull failure is reported as soon as it shows, not when the wait ends.
            let (code, out) = try await slimctl(["test", "all", "daemonset", "--target", "cluster", "--timeout", "600"], state: state, kubeconfig: kubeconfig)
            #expect(code == 1, "\(out)")
            #expect(out.contains("receiver cannot become ready: alice-"), "\(out)")
            // The first stuck pod ends the wait; each not-ready pod is named with its node and reason.
            #expect(out.contains("on slim-cluster-worker: ") && out.contains("on slim-cluster-worker2: "), "\(out)")
            #expect(out.contains(": ImagePullBackOff (") || out.contains(": ErrImagePull ("), "\(out)")
            #expect(out.contains("Failed to pull image \"slimctl/slim-test-apps:2.2.0\": not found"), "\(out)")
            #expect(server.cluster.get("pods", namespace: "default", name: "bob") == nil, "no sender without receivers: \(out)")
            #expect(server.cluster.get("daemonsets", namespace: "default", name: "alice") == nil, "removed: \(out)")
        }
    }

    @Test func senderThatNeverConnectsShowsItsLastLinesAndNoSecret() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            let secret = "s3cret-0123456789-abcdefghij-KLMNOPQRST"
            server.cluster.setScript(
                podPrefix: "alice",
                SimScript(
                    steps: SimScript.lines(
                        try p2pFixture("p2p-3.3.8-receiver-ok.log")
                            .split(separator: "\n").prefix(4).joined(separator: "\n")), exitCode: nil))
            // The real "no receiver" log, plus one line quoting the secret: a redaction probe.
            let log = try p2pFixture("p2p-3.3.8-sender-noreceiver.log") + "Configuration error: shared secret \(secret) rejected\n"
            server.cluster.setScript(podPrefix: "bob", .log(log, interval: 0.01, exitCode: 1))
            let (code, out) = try await slimctl(
                ["test", "all", "daemonset", "--target", "cluster", "--var", "sharedSecret=\(secret)", "--output", "json"],
                state: state, kubeconfig: kubeconfig)
            #expect(code == 1, "\(out)")
            let r = try json(out)
            #expect(r["passed"]?.boolValue == false)
            let problems = (r["problems"]?.listValue ?? []).compactMap(\.stringValue)
            #expect(
                problems.contains { $0.hasPrefix("sender never connected to a receiver (last lines: ") && $0.contains("failed to add participant to session") },
                "\(problems)")
            #expect(!out.contains(secret), "the secret is never printed: \(out)")
            #expect(out.contains("rejected"), "\(out)")
            #expect(server.cluster.get("pods", namespace: "default", name: "bob") == nil, "the failing sender is removed: \(out)")
        }
    }
}
