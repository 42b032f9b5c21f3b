import Foundation

/// The local target end to end: `deploy daemonset` then `test` (10 messages through real SLIM
/// nodes), with the slim-bindings venv already installed (a warm-up run installs it). There is
/// no peer: the Taskfile path it replaces needs Docker and kind, which this machine cannot run.
extension Bench {
    func localDeployAndTest() throws -> [Figure] {
        let state = tempDir("local")
        let env = self.env(state: state)
        var samples: [Double] = []
        for run in -1..<runs(5) {
            let deploy = try Child.run([slimctl, "deploy", "daemonset"], env: env, stdout: .file("\(state)/deploy.out"))
            let test = try Child.run([slimctl, "test", "all", "daemonset"], env: env, stdout: .file("\(state)/test.out"))
            _ = try Child.run([slimctl, "delete", "daemonset"], env: env)
            let out = (try? String(contentsOfFile: "\(state)/test.out", encoding: .utf8)) ?? ""
            guard deploy.status == 0, test.status == 0, out.contains("10/10") else {
                throw BenchError("local deploy+test failed (deploy \(deploy.status), test \(test.status)); see \(state)/test.out")
            }
            if run >= 0 { samples.append(deploy.seconds + test.seconds) }
        }
        return [
            Figure(
                id: "local", title: "local deploy + test (10/10)", unit: "s", slimctl: samples, peer: nil,
                peerCommand: nil, goal: "<= 10 s", goalMet: { $0.median <= 10 },
                notes: ["no peer: the Taskfile flow this replaces needs Docker and kind"])
        ]
    }
}
