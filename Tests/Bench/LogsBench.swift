import Foundation
import KubeSim
import YAML

/// Logs: 200 pods each writing 1,000 lines while followed at once. Lines per second delivered
/// to the tool's stdout and lines lost, against `kubectl logs -l … -f --max-log-requests=200
/// --prefix` on the same server.
extension Bench {
    static let logPods = 200

    /// The two ways to follow every receiver's log, as the logs figures compare them.
    var followCommands: [(String, [String])] {
        [
            ("slimctl", [slimctl, "logs", "daemonset", "receiver", "-f", "--target", "cluster"]),
            (
                "kubectl",
                [
                    kubectl, "logs", "-l", "app.kubernetes.io/name=alice", "-n", "default", "-f",
                    "--max-log-requests=\(Self.logPods)", "--prefix", "--tail=-1"
                ]
            )
        ]
    }
    static let linesPerPod = 1_000

    func logsThroughput() async throws -> [Figure] {
        try await withKindShapedCluster(measureLogs)
    }

    private func measureLogs(_ server: KubeSimServer, _ kubeconfig: String) throws -> [Figure] {
        let state = tempDir("logs")
        let env = self.env(state: state, kubeconfig: kubeconfig)
        let tools = followCommands
        var rates: [String: [Double]] = [:]
        var lost: [String: Int] = [:]
        let expected = Self.logPods * Self.linesPerPod
        for run in 0..<runs(5) {
            for (name, argv) in tools {
                let pods = try createLogPods(server.cluster, tag: "\(name.prefix(1))\(run)")
                let child = try Child.start(argv, env: env, stdout: .pipe)
                guard let fd = child.stdout else { throw BenchError("no stdout pipe") }
                let counter = LineCounter(fd: fd, target: expected)
                do {
                    try waitUntil("\(name) to follow all \(Self.logPods) pods", timeout: 60) { server.cluster.logFollowerCount >= Self.logPods }
                } catch {
                    child.terminate()
                    _ = child.wait()
                    throw error
                }
                let t0 = ContinuousClock.now
                // The burst: every pod writes its lines in chunks of 100, pods interleaved.
                for chunk in 0..<(Self.linesPerPod / 100) {
                    for pod in pods {
                        server.cluster.appendLogs(
                            pod: pod,
                            (0..<100).map { j in
                                "\(pod) line \(chunk * 100 + j) level=info msg=\"message received\" payload=hello-from-the-benchmark"
                            })
                    }
                }
                // Done when every line arrived, or nothing more arrives for 5 s.
                var last = -1
                var quietSince = ContinuousClock.now
                try? waitUntil("\(name) to print every line", timeout: 120) {
                    let n = counter.count
                    if n != last { last = n; quietSince = .now }
                    return n >= expected || ContinuousClock.now - quietSince > .seconds(5)
                }
                let got = counter.count
                let end = counter.reached ?? quietSince
                child.interrupt()
                _ = child.wait()
                rates[name, default: []].append(Double(got) / max(seconds(end - t0), 1e-6))
                lost[name, default: 0] += max(0, expected - got)
                for pod in pods { server.cluster.delete("pods", namespace: "default", name: pod) }
                try waitUntil("the log pods to go away") { server.cluster.list("pods", namespace: "default").isEmpty }
            }
        }
        let slimLost = lost["slimctl"] ?? 0
        return [
            Figure(
                id: "logs", title: "logs -f, 200 pods x 1,000 lines", unit: "lines/s", slimctl: rates["slimctl"] ?? [],
                peer: rates["kubectl"], peerCommand: "kubectl logs -l ... -f --max-log-requests=200 --prefix",
                goal: "at least the peer's throughput, 0 lost",
                goalMet: { $0.median >= Stats(rates["kubectl"] ?? []).median && slimLost == 0 },
                notes: ["lines lost over all runs: slimctl \(slimLost), kubectl \(lost["kubectl"] ?? 0)"])
        ]
    }

    /// Fresh pods labelled like the receivers, scheduled and Running (so their logs can be followed).
    func createLogPods(_ cluster: SimCluster, tag: String) throws -> [String] {
        let names = (0..<Self.logPods).map { "alice-\(tag)-\($0)" }
        for n in names {
            _ = try cluster.create(
                "pods", namespace: "default",
                .map([
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": .map(["name": .string(n), "labels": .map(["app.kubernetes.io/name": "alice", "app.kubernetes.io/part-of": "slim-test"])]),
                    "spec": .map(["containers": .list([.map(["name": "receiver", "image": "slimctl/slim-test-apps:1.4.1"])])])
                ]))
        }
        try waitUntil("the log pods to run", timeout: 60) {
            cluster.list("pods", namespace: "default").filter { $0.lookup(["status", "phase"])?.stringValue == "Running" }.count == names.count
        }
        return names
    }
}
