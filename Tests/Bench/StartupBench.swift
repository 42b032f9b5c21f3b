import Foundation
import TestCharts

/// Start-up and render: how long a user waits for the simplest commands, against helm doing the
/// equivalent (its own help; rendering the released slim chart with slimctl's rendered values).
extension Bench {
    func startupAndRender() throws -> [Figure] {
        let state = tempDir("render")
        let env = self.env(state: state)
        let out = "\(state)/rendered"
        // Warm-up: the page cache holds both binaries, and the values exist for helm's turn.
        for _ in 0..<3 {
            _ = try Child.run([slimctl, "--help"], env: env)
            _ = try Child.run([helm, "--help"], env: env)
        }
        let first = try Child.run([slimctl, "render", "daemonset", "--out", out], env: env)
        guard first.status == 0 else { throw BenchError("slimctl render daemonset failed (exit \(first.status))") }
        let chart = try RealCharts.path("slim-2.2.0.tgz")
        let peerTemplate = [helm, "template", "slim", chart, "-f", "\(out)/slim.values.yaml", "--namespace", "slim"]
        guard try Child.run(peerTemplate, env: env).status == 0 else { throw BenchError("helm template of the released slim chart failed") }

        var help: [Double] = [], helpPeer: [Double] = [], render: [Double] = [], renderPeer: [Double] = []
        for _ in 0..<runs(40) {
            help.append(try Child.run([slimctl, "--help"], env: env).seconds)
            helpPeer.append(try Child.run([helm, "--help"], env: env).seconds)
            let r = try Child.run([slimctl, "render", "daemonset", "--out", out], env: env)
            guard r.status == 0 else { throw BenchError("slimctl render failed (exit \(r.status))") }
            render.append(r.seconds)
            renderPeer.append(try Child.run(peerTemplate, env: env).seconds)
        }
        return [
            Figure(
                id: "startup", title: "slimctl --help", unit: "s", slimctl: help, peer: helpPeer, peerCommand: "helm --help",
                goal: "p50 <= 20 ms", goalMet: { $0.median <= 0.020 }),
            Figure(
                id: "render", title: "render daemonset", unit: "s", slimctl: render, peer: renderPeer,
                peerCommand: "helm template slim <test chart> -f slim.values.yaml",
                goal: "p50 <= 50 ms", goalMet: { $0.median <= 0.050 },
                notes: ["slimctl renders both releases' values and the kind config and writes them atomically; helm renders one chart"])
        ]
    }
}
