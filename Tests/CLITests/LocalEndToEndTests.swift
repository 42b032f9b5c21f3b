import Foundation
import Testing
import Tools

/// The real `slimctl` binary against real SLIM processes on the local target. Serialized: the
/// tests share the machine's loopback ports and one state folder each.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func slimctlBinary() throws -> String {
    let candidates = [ProcessInfo.processInfo.environment["SLIMCTL_BIN"], "\(root)/.build/debug/slimctl"].compactMap { $0 }
    guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw TestFailure("slimctl binary not found (\(candidates.joined(separator: ", "))): run `swift build` first (make test does)")
    }
    return bin
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

func run(_ args: [String], state: String) async throws -> (Int32, String) {
    var env = ProcessInfo.processInfo.environment
    env["SLIMCTL_STATE_DIR"] = state
    env["NO_COLOR"] = "1"
    return try await Spawn.capture([try slimctlBinary()] + args, environment: env, timeout: .seconds(600))
}

/// Ends every process a test's deployment left, synchronously: a test process may exit before an
/// async cleanup would run, and nothing may outlive the suite.
func cleanup(_ state: String) {
    let fm = FileManager.default
    guard let dirs = try? fm.contentsOfDirectory(atPath: "\(state)/local") else { return }
    for d in dirs {
        guard let data = fm.contents(atPath: "\(state)/local/\(d)/processes.json"),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let procs = obj["processes"] as? [[String: Any]] else { continue }
        for p in procs { if let pid = p["pid"] as? Int, pid > 1 { Spawn.terminateGroup(Int32(pid), grace: .seconds(2)) } }
    }
}

func tempDir() -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-test-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

@Suite(.serialized) struct LocalEndToEnd {
    @Test func renderWritesValuesThatDescribeTheStrategy() async throws {
        let state = tempDir(), out = tempDir() + "/out"
        let (code, text) = try await run(["render", "daemonset", "--out", out, "--set", "slim.replicaCount=2"], state: state)
        #expect(code == 0, "\(text)")
        let slim = try String(contentsOfFile: "\(out)/slim.values.yaml", encoding: .utf8)
        #expect(slim.contains("deploymentMode: DaemonSet"), "the default generation is 2")
        #expect(slim.contains("replicaCount: 2"))
        #expect(slim.contains("{{ (index .Values.slim.service.data 0).port }}"), "Helm tpl strings must pass through")
        #expect(slim.contains("{{ include \"slim.fullname\" . }}"), "Helm tpl strings must pass through")
        #expect(slim.contains("tag: 2.3.0") || slim.contains("tag: '2.3.0'") || slim.contains("tag: \"2.3.0\""))
        let kind = try String(contentsOfFile: "\(out)/kind-config.yaml", encoding: .utf8)
        #expect(kind.components(separatedBy: "role: worker").count == 3)
    }

    @Test func badSetExpressionIsAConfigErrorAndWritesNothing() async throws {
        let state = tempDir(), out = tempDir() + "/out"
        let (code, text) = try await run(["render", "daemonset", "--out", out, "--set", "a[x]=1"], state: state)
        #expect(code == 2, "\(text)")
        #expect(text.contains("--set"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func unknownStrategyAndReleaseAreConfigErrors() async throws {
        let state = tempDir()
        var (code, text) = try await run(["plan", "deamonset"], state: state)
        #expect(code == 2)
        #expect(text.contains("did you mean `daemonset`?"), "\(text)")
        (code, text) = try await run(["render", "daemonset", "-f", "/nonexistent/values.yaml"], state: state)
        #expect(code == 2)
        #expect(text.contains("/nonexistent/values.yaml"), "\(text)")
    }

    @Test func planMasksSecretsAndShowsHelmCommands() async throws {
        let state = tempDir()
        let (code, text) = try await run(["plan", "statefulset", "--target", "kind", "--var", "sharedSecret=topsecretvalue123456"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("helm upgrade --install spire spiffe/spire --version"), "\(text)")
        #expect(text.contains("kind create cluster --name slim-cluster"))
        #expect(!text.contains("topsecretvalue123456"))
    }

    @Test func daemonsetDeployVerifyAndCrashDetection() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("2 SLIM node(s) ready"), "\(text)")
        (code, text) = try await run(["verify", "daemonset", "-o", "json"], state: state)
        #expect(code == 0, "\(text)")
        let results = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
        let ds = results.first { ($0["rule"] as? String)?.hasPrefix("DaemonSet slim") == true }
        #expect((ds?["rows"] as? [[String: Any]])?.count == 2)
        #expect((ds?["notes"] as? [String])?.contains { $0.contains("control-plane") && $0.contains("not tolerated") } == true)

        // Re-running changes nothing.
        (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0 && text.contains("0 step(s) run, 3 unchanged"), "\(text)")

        // Kill one SLIM node: verify names it and fails.
        let procs = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(state)/local/daemonset/processes.json"))) as? [String: Any]
        let first = (procs?["processes"] as? [[String: Any]])?.first
        let pid = (first?["pid"] as? Int).map(Int32.init) ?? 0
        let name = first?["name"] as? String ?? "?"
        #expect(pid > 0)
        kill(-pid, SIGKILL)
        try await Task.sleep(for: .milliseconds(300))
        (code, text) = try await run(["verify", "daemonset"], state: state)
        #expect(code == 1, "\(text)")
        #expect(text.contains(name) && text.contains("exited"), "\(text)")

        // deploy notices the dead node and brings it back.
        (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0 && text.contains("2 SLIM node(s) ready"), "\(text)")
        (code, text) = try await run(["delete", "daemonset"], state: state)
        #expect(code == 0 && text.contains("stopped"), "\(text)")
        #expect(!Spawn.isAlive(pid))
    }

    @Test func daemonsetMessagesCrossNodes() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        (code, text) = try await run(["test", "all", "daemonset", "-o", "json"], state: state)
        #expect(code == 0, "\(text)")
        let json = text.split(separator: "\n").drop { !$0.hasPrefix("{") }.joined(separator: "\n")
        let r = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        #expect(r["passed"] as? Bool == true, "\(text)")
        #expect(r["replies"] as? Int == 10)
        let receivers = r["receivers"] as? [[String: Any]] ?? []
        #expect(receivers.count == 2, "one receiver per eligible node")
        #expect(receivers.compactMap { $0["received"] as? Int }.reduce(0, +) == 10)
    }

    @Test func statefulsetThreeReplicasInAMesh() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["deploy", "statefulset"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("SPIRE TLS replaced by insecure transport"), "\(text)")
        (code, text) = try await run(["verify", "statefulset"], state: state)
        #expect(code == 0 && text.contains("StatefulSet slim: 3/3 replicas ready"), "\(text)")
        (code, text) = try await run(["test", "all", "statefulset"], state: state)
        #expect(code == 0 && text.contains("PASS (10/10)"), "\(text)")
        // Receiver and sender reach the Service through different replicas: messages cross the mesh.
        #expect(text.contains("SLIM node 1 of 3") && text.contains("SLIM node 2 of 3"), "\(text)")
    }

    @Test func brokenUserStrategiesAreConfigErrors() async throws {
        let state = tempDir(), dir = tempDir()
        try "name: mine\ncluster:\n  nodes:\n    - role: control-plane\nsteps:\n  - name: slim\n    helm:\n      release: slim\n      namespace: x\n      chart: {ref: oci://x/slim, version: 1.0.0}\n      values: [missing.yaml]\n"
            .write(toFile: "\(dir)/mine.yaml", atomically: true, encoding: .utf8)
        try "name: bad\nsteps: [\n".write(toFile: "\(dir)/bad.yaml", atomically: true, encoding: .utf8)
        var (code, text) = try await run(["render", "mine", "--strategies", dir, "--out", "\(dir)/out"], state: state)
        #expect(code == 2, "\(text)")
        #expect(text.contains("mine.yaml:11:") && text.contains("missing.yaml"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out"))
        (code, text) = try await run(["plan", "bad", "--strategies", dir], state: state)
        #expect(code == 2, "\(text)")
        #expect(text.contains("bad.yaml:"), "\(text)")
        (code, text) = try await run(["strategies", "--strategies", dir], state: state)
        #expect(code == 2 && text.contains("INVALID"), "\(text)")
    }
}
