import Foundation
import Testing
import Tools

/// Seed 003's node scenarios on the local target, with the real `slimctl` binary and real SLIM
/// nodes: deploy the daemonset strategy, add a node (its SLIM node appears), roll a values change
/// one node at a time while `verify --watch` and `logs -f` run, cordon (nothing moves), taint
/// NoExecute (evicted), remove a node (its SLIM node stops). Behaviour only, never timing: every
/// wait is a generous deadline on something that must happen.
@Suite(.serialized) struct LocalNodesEndToEnd {
    /// A slimctl that keeps running (`verify --watch`, `logs -f`), its output in a file.
    struct Background {
        let pid: Int32
        let out: String
        var text: String { withoutANSI((try? String(contentsOfFile: out, encoding: .utf8)) ?? "") }
        func stop() { Spawn.terminateGroup(pid, grace: .seconds(2)) }
    }

    func background(_ args: [String], state: String) throws -> Background {
        var env = ProcessInfo.processInfo.environment
        env["SLIMCTL_STATE_DIR"] = state
        env["NO_COLOR"] = "1"
        let out = "\(state)/bg-\(UUID().uuidString).out"
        let pid = try Spawn.start([try slimctlBinary()] + args, environment: env, output: .file(out), detached: true)
        return Background(pid: pid, out: out)
    }

    /// Waits (up to a minute: a loaded machine, not a slow slimctl) until `condition` holds.
    func within(_ condition: () -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    struct Slim { var name: String; var node: String; var pid: Int32 }

    func slims(_ state: String) throws -> [Slim] {
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(state)/local/daemonset/processes.json"))) as? [String: Any]
        return ((obj?["processes"] as? [[String: Any]]) ?? []).filter { $0["component"] as? String == "slim" }.map {
            Slim(name: $0["name"] as? String ?? "", node: $0["node"] as? String ?? "", pid: Int32($0["pid"] as? Int ?? 0))
        }
    }

    @Test func addRollCordonTaintAndRemoveNodes() async throws {
        let state = tempDir()
        var running: [Background] = []
        defer {
            for b in running { b.stop() }
            cleanup(state)
        }
        var (code, text) = try await run(["deploy", "daemonset"], state: state)
        try #require(code == 0, "\(text)")
        let first = try slims(state)
        #expect(first.count == 2, "\(first)")

        // `slimctl node` is the other slimctl's: said, exit 2.
        (code, text) = try await run(["node", "list"], state: state)
        #expect(code == 2 && text.contains("upstream SLIM") && text.contains("slimctl local-node list"), "\(text)")

        let watch = try background(["verify", "daemonset", "--watch"], state: state)
        running.append(watch)
        let logs = try background(["logs", "daemonset", "slim", "-f"], state: state)
        running.append(logs)
        #expect(try await within { watch.text.contains("watching for changes") }, "\(watch.text)")

        // Add a node: the next deploy starts a SLIM node there and touches no other.
        (code, text) = try await run(["local-node", "add", "extra-worker", "--label", "zone=b"], state: state)
        #expect(code == 0 && text.contains("node/extra-worker added") && text.contains("start a SLIM node on extra-worker"), "\(text)")
        (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0 && text.contains("starting a SLIM node on extra-worker"), "\(text)")
        #expect(!text.contains("slim: skipped"), "\(text)")
        let added = try slims(state)
        #expect(added.count == 3)
        for s in first { #expect(added.contains { $0.pid == s.pid }, "\(s.name) was restarted: \(text)") }
        let extra = try #require(added.first { $0.node == "extra-worker" })
        (code, text) = try await run(["verify", "daemonset"], state: state)
        #expect(code == 0 && text.contains("DaemonSet slim: 3/3 nodes ready") && text.contains("extra-worker"), "\(text)")
        #expect(try await within { watch.text.contains("node extra-worker joined") && watch.text.contains("scheduled on extra-worker") }, "\(watch.text)")
        #expect(try await within { logs.text.contains("[\(extra.name) on extra-worker started]") && logs.text.contains("\(extra.name)/slim") }, "\(logs.text)")

        // A values change rolls node by node: each new SLIM node is ready before the next old one stops.
        (code, text) = try await run(["deploy", "daemonset", "--set", "podAnnotations.rollout=two"], state: state)
        #expect(code == 0, "\(text)")
        let steps = text.split(separator: "\n").map(String.init).filter { $0.contains("stopping ") || $0.contains(" ready (127.0.0.1") }
        #expect(steps.count == 6, "\(text)")
        for (i, line) in steps.enumerated() { #expect(line.contains(i % 2 == 0 ? "stopping " : " ready (127.0.0.1"), "step \(i): \(text)") }
        let rolled = try slims(state)
        #expect(rolled.count == 3 && Set(rolled.map(\.node)) == Set(added.map(\.node)))
        for s in added { #expect(!Spawn.isAlive(s.pid), "\(s.name) still runs") }
        (code, text) = try await run(["verify", "daemonset", "--set", "podAnnotations.rollout=two"], state: state)
        #expect(code == 0 && text.contains("3/3 nodes ready"), "\(text)")
        // The watch saw it too: a new revision, then per node the old pod deleted before the next node's.
        #expect(try await within { watch.text.contains("(rolled out)") && rolled.allSatisfy { watch.text.contains($0.name) } }, "\(watch.text)")
        let w = watch.text
        #expect(w.contains("DaemonSet slim changed (revision"), "\(w)")
        let deletions = added.compactMap { s in w.range(of: "pod slim/\(s.name) on \(s.node) deleted").map { (s, $0.lowerBound) } }.sorted { $0.1 < $1.1 }
        #expect(deletions.count == 3, "\(w)")
        for (k, d) in deletions.enumerated().dropLast() {
            // The replacement on this node is Ready before the next node's old pod is deleted.
            let new = try #require(rolled.first { $0.node == d.0.node })
            let readyAt = [w.range(of: "pod slim/\(new.name) on \(new.node): Ready"), w.range(of: "pod slim/\(new.name) scheduled on \(new.node) (Ready)")]
                .compactMap { $0?.lowerBound }.min()
            let readyIndex = try #require(readyAt, "\(new.name) never Ready in the watch: \(w)")
            #expect(readyIndex < deletions[k + 1].1, "\(new.name) not Ready before \(deletions[k + 1].0.name) was deleted: \(w)")
        }

        // The added and the replaced SLIM nodes mesh with the others: 10 real messages.
        (code, text) = try await run(["test", "all", "daemonset", "--set", "podAnnotations.rollout=two"], state: state)
        #expect(code == 0 && text.contains("10/10 replies") && text.contains("extra-worker"), "\(text)")

        // Cordon: DaemonSet pods tolerate it, nothing restarts.
        let cordoned = try #require(rolled.first { $0.node != "extra-worker" })
        (code, text) = try await run(["local-node", "cordon", cordoned.node], state: state)
        #expect(code == 0 && text.contains("node/\(cordoned.node) cordoned"), "\(text)")
        (code, text) = try await run(["deploy", "daemonset", "--set", "podAnnotations.rollout=two"], state: state)
        #expect(code == 0 && !text.contains("stopping ") && !text.contains("starting a SLIM node"), "\(text)")
        #expect(Spawn.isAlive(cordoned.pid))
        #expect(try await within { watch.text.contains("node \(cordoned.node) cordoned") }, "\(watch.text)")

        // An untolerated NoExecute taint evicts.
        (code, text) = try await run(["local-node", "taint", cordoned.node, "maintenance=now:NoExecute"], state: state)
        #expect(code == 0 && text.contains("stop \(cordoned.name) on \(cordoned.node)"), "\(text)")
        (code, text) = try await run(["deploy", "daemonset", "--set", "podAnnotations.rollout=two"], state: state)
        #expect(code == 0 && text.contains("stopping \(cordoned.name) on \(cordoned.node)"), "\(text)")
        #expect(!Spawn.isAlive(cordoned.pid))
        (code, text) = try await run(["verify", "daemonset", "--set", "podAnnotations.rollout=two"], state: state)
        #expect(code == 0 && text.contains("2/2 nodes ready") && text.contains("maintenance=now:NoExecute not tolerated"), "\(text)")

        // Remove a node: its SLIM node stops with it.
        let gone = try #require(try slims(state).first { $0.node == "extra-worker" })
        (code, text) = try await run(["local-node", "remove", "extra-worker"], state: state)
        #expect(code == 0 && text.contains("node/extra-worker removed") && text.contains("stopped \(gone.name)"), "\(text)")
        #expect(!Spawn.isAlive(gone.pid))
        #expect(
            try await within { watch.text.contains("node extra-worker removed") && watch.text.contains("pod slim/\(gone.name) on extra-worker deleted") },
            "\(watch.text)")
        #expect(try await within { logs.text.contains("[\(gone.name) on extra-worker") }, "\(logs.text)")
        (code, text) = try await run(["local-node", "list", "-o", "json"], state: state)
        #expect(code == 0 && !text.contains("extra-worker"), "\(text)")
        (code, text) = try await run(["verify", "daemonset", "--set", "podAnnotations.rollout=two"], state: state)
        #expect(code == 0 && text.contains("1/1 nodes ready"), "\(text)")
        (code, text) = try await run(["delete", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
    }

    /// OnDelete: a values change restarts nothing; a SLIM node gets the new revision only once its
    /// process is gone, and verify names the outdated ones meanwhile.
    @Test func onDeleteReplacesOnlyWhatIsRemoved() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let onDelete = ["--set", "slim.updateStrategy.type=OnDelete"]
        var (code, text) = try await run(["deploy", "daemonset"] + onDelete, state: state)
        try #require(code == 0, "\(text)")
        let before = try slims(state)
        (code, text) = try await run(["deploy", "daemonset", "--set", "podAnnotations.rollout=two"] + onDelete, state: state)
        #expect(code == 0 && text.contains("OnDelete") && !text.contains("stopping "), "\(text)")
        for s in before { #expect(Spawn.isAlive(s.pid)) }
        (code, text) = try await run(["verify", "daemonset"] + onDelete, state: state)
        #expect(code == 1 && text.contains("outdated"), "\(text)")
        let victim = try #require(before.first)
        kill(-victim.pid, SIGKILL)
        #expect(try await within { !Spawn.isAlive(victim.pid) })
        (code, text) = try await run(["deploy", "daemonset", "--set", "podAnnotations.rollout=two"] + onDelete, state: state)
        #expect(code == 0 && text.contains("starting a SLIM node on \(victim.node)"), "\(text)")
        let after = try slims(state)
        #expect(after.count == 2 && after.contains { $0.pid == before[1].pid }, "\(after)")
        _ = try await run(["delete", "daemonset"], state: state)
    }
}
