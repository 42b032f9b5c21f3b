import Foundation
import KubeSim
import YAML

/// Readiness latency: the SLIM DaemonSet becomes ready at a known instant (`makeReady` flips
/// the pods and runs the controllers in one step); how long until `slimctl verify --wait`
/// returns, against `kubectl rollout status` on the same server. Both are started first and
/// measured only once they are listening, so start-up is not part of the figure.
extension Bench {
    func readinessLatency() async throws -> [Figure] {
        try await withKindShapedCluster(measureReadiness)
    }

    private func measureReadiness(_ server: KubeSimServer, _ kubeconfig: String) throws -> [Figure] {
        let state = tempDir("readiness")
        let env = self.env(state: state, kubeconfig: kubeconfig)
        let deploy = try Child.run([slimctl, "deploy", "daemonset", "--target", "cluster"] + chartFlags, env: env, stdout: .file("\(state)/deploy.log"))
        guard deploy.status == 0 else {
            throw BenchError("deploy --target cluster failed (exit \(deploy.status)); see \(state)/deploy.log")
        }
        let tools: [(String, [String])] = [
            ("slimctl", [slimctl, "verify", "daemonset", "--target", "cluster", "--wait", "--timeout", "60"]),
            ("kubectl", [kubectl, "rollout", "status", "daemonset/slim", "-n", "slim", "--timeout=60s"])
        ]
        var samples: [String: [Double]] = [:]
        for _ in 0..<runs(20) {
            for (name, argv) in tools {
                server.cluster.resetNotReady(namespace: "slim", daemonSet: "slim")
                try waitUntil("the SLIM pods to run, not ready") {
                    let pods = server.cluster.list("pods", namespace: "slim").filter {
                        $0.lookup(["metadata", "ownerReferences"])?.listValue?.first?["kind"]?.stringValue == "DaemonSet"
                    }
                    let ds = server.cluster.get("daemonsets", namespace: "slim", name: "slim")
                    return pods.count == 2 && pods.allSatisfy { $0.lookup(["status", "phase"])?.stringValue == "Running" }
                        && ds?.lookup(["status", "numberReady"])?.intValue == 0
                }
                server.cluster.clearRequestLog()
                let child = try Child.start(argv, env: env, stdout: .file("\(state)/\(name).out"))
                do {
                    try waitForWatches(server)
                } catch {
                    child.terminate()
                    _ = child.wait()
                    throw BenchError("\(name) never watched: \(error)")
                }
                let t0 = ContinuousClock.now
                server.cluster.makeReady(namespace: "slim", podPrefix: "slim-")
                let exit = child.wait()
                guard exit.status == 0 else {
                    throw BenchError("\(argv.joined(separator: " ")) exited \(exit.status); see \(state)/\(name).out")
                }
                samples[name, default: []].append(seconds(exit.at - t0))
            }
        }
        return [
            Figure(
                id: "readiness", title: "readiness latency", unit: "s", slimctl: samples["slimctl"] ?? [],
                peer: samples["kubectl"], peerCommand: "kubectl rollout status daemonset/slim",
                goal: "p50 <= 50 ms and faster than the peer",
                goalMet: { $0.median <= 0.050 && $0.median <= Stats(samples["kubectl"] ?? []).median },
                notes: ["from the instant the DaemonSet's status is ready on the server to the process exiting"])
        ]
    }
}
