import Foundation
import KubeSim
import TestCharts

/// Deploy to Ready on the cluster path: `slimctl deploy daemonset --target cluster` on a fresh
/// kind-shaped simulated cluster, until it exits with the SLIM DaemonSet ready, against what the
/// Taskfile ran for the same result: `helm upgrade --install --wait` per release (controller, then
/// SLIM, with the values slimctl renders) and `kubectl rollout status`, on another fresh cluster
/// in the same round. Both get the same released charts as packaged files.
extension Bench {
    func deployToReady() async throws -> [Figure] {
        let state = tempDir("deploy")
        let out = "\(state)/rendered"
        let render = try Child.run([slimctl, "render", "daemonset", "--out", out], env: env(state: state))
        guard render.status == 0 else { throw BenchError("slimctl render daemonset failed (exit \(render.status))") }
        let values = try FileManager.default.contentsOfDirectory(atPath: out)
        guard let slimValues = values.first(where: { $0 == "slim.values.yaml" }),
            let controlValues = values.first(where: { $0.hasPrefix("slim-control") && $0.hasSuffix(".values.yaml") })
        else {
            throw BenchError("slimctl render wrote no slim/slim-control values in \(out): \(values)")
        }
        let slimChart = try RealCharts.path("slim-2.2.0.tgz"), controlChart = try RealCharts.path("slim-control-plane-2.2.0.tgz")
        var mine: [Double] = [], peer: [Double] = []
        for i in 0..<runs(8) {
            let (server, kubeconfig) = try await kindShapedCluster()
            let e = env(state: tempDir("deploy-slimctl-\(i)"), kubeconfig: kubeconfig)
            let r = try Child.run([slimctl, "deploy", "daemonset", "--target", "cluster"] + chartFlags, env: e, stdout: .file("\(state)/slimctl-\(i).log"))
            await server.shutdown()
            guard r.status == 0 else { throw BenchError("slimctl deploy --target cluster exited \(r.status); see \(state)/slimctl-\(i).log") }
            mine.append(r.seconds)

            let (peerServer, peerConfig) = try await kindShapedCluster()
            let pe = env(state: tempDir("deploy-peer-\(i)"), kubeconfig: peerConfig)
            let steps: [[String]] = [
                [
                    helm, "upgrade", "--install", "slim-control", controlChart, "--namespace", "slim", "--create-namespace",
                    "-f", "\(out)/\(controlValues)", "--wait", "--timeout", "120s"
                ],
                [
                    helm, "upgrade", "--install", "slim", slimChart, "--namespace", "slim", "--create-namespace",
                    "-f", "\(out)/\(slimValues)", "--wait", "--timeout", "120s"
                ],
                [kubectl, "rollout", "status", "daemonset/slim", "-n", "slim", "--timeout=120s"]
            ]
            var total = 0.0
            for (n, argv) in steps.enumerated() {
                let s = try Child.run(argv, env: pe, stdout: .file("\(state)/peer-\(i)-\(n).log"))
                guard s.status == 0 else {
                    await peerServer.shutdown()
                    throw BenchError("\(argv.prefix(4).joined(separator: " ")) exited \(s.status); see \(state)/peer-\(i)-\(n).log")
                }
                total += s.seconds
            }
            await peerServer.shutdown()
            peer.append(total)
        }
        return [
            Figure(
                id: "deploy-cluster", title: "deploy to Ready (cluster path)", unit: "s", slimctl: mine, peer: peer,
                peerCommand: "helm upgrade --install --wait (slim-control, slim) + kubectl rollout status daemonset/slim",
                goal: "no slower than the Taskfile's commands", goalMet: { $0.median <= Stats(peer).median },
                notes: [
                    "fresh simulated kind-shaped cluster per run for each tool; released slim 2.2.0 and slim-control-plane 2.2.0 charts as files; the peer gets the values slimctl renders"
                ])
        ]
    }
}
