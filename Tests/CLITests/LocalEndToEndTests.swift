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
            let procs = obj["processes"] as? [[String: Any]]
        else { continue }
        for p in procs { if let pid = p["pid"] as? Int, pid > 1 { Spawn.terminateGroup(Int32(pid), grace: .seconds(2)) } }
    }
}

/// The generated shared secret slimctl keeps for a strategy (0600, in the state folder).
func sharedSecret(_ state: String, strategy: String) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(state)/secrets/\(strategy).json"))
    let m = try JSONSerialization.jsonObject(with: data) as? [String: String]
    guard let s = m?["sharedSecret"] else { throw TestFailure("no sharedSecret in \(state)/secrets/\(strategy).json") }
    return s
}

/// PIDs whose command line (world-readable) contains `text`.
func processesWithInCommandLine(_ text: String) -> [String] {
    let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }
    return pids.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
    }
}

func tempDir() -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-test-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// `status -o json` of the local target.
func status(_ args: String..., state: String) async throws -> [String: Any] {
    let (code, text) = try await run(["status"] + args + ["-o", "json"], state: state)
    guard code == 0, let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw TestFailure("status \(args) failed (\(code)): \(text)")
    }
    return obj
}

/// The slim-bindings that `status` shows for running nodes.
func expectBindings(_ status: [String: Any], version: String, slim: String, pairing: String) throws {
    let b = try #require(status["slimBindings"] as? [String: Any], "status has no slimBindings: \(status)")
    #expect(b["version"] as? String == version, "\(b)")
    #expect(b["slimRelease"] as? String == slim, "\(b)")
    #expect(b["pairing"] as? String == pairing, "\(b)")
    #expect(b["running"] as? Bool == true, "\(b)")
}

/// Polls `condition` until it holds or 60 s pass (a bound for a busy machine, not a timing the
/// test asserts).
func eventually(_ condition: () -> Bool) async throws -> Bool {
    let end = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < end {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}

/// Log text without ANSI colour codes (SLIM colours its log lines even into files).
func withoutANSI(_ s: String) -> String {
    s.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
}

/// The JSON object `test … -o json` prints after its progress lines.
func testJSON(_ text: String) throws -> [String: Any] {
    let json = text.split(separator: "\n").drop { !$0.hasPrefix("{") }.joined(separator: "\n")
    return try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
}

@Suite(.serialized) struct LocalEndToEnd {
    @Test func renderWritesValuesThatDescribeTheStrategy() async throws {
        let state = tempDir(), out = tempDir() + "/out"
        let (code, text) = try await run(["render", "daemonset", "--out", out, "--set", "slim.replicaCount=2"], state: state)
        #expect(code == 0, "\(text)")
        let slim = try String(contentsOfFile: "\(out)/slim.values.yaml", encoding: .utf8)
        #expect(slim.contains("deploymentMode: DaemonSet"))
        #expect(slim.contains("replicaCount: 2"))
        #expect(slim.contains("{{ (index .Values.slim.service.data 0).port }}"), "Helm tpl strings must pass through")
        #expect(slim.contains("{{ .Release.Namespace }}") && slim.contains("{{ include \"slim.fullname\" . }}"), "Helm tpl strings must pass through")
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
        let (code, text) = try await run(
            ["plan", "statefulset", "--target", "kind", "--var", "sharedSecret=topsecretvalue123456-and-some-more-XYZ"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("helm upgrade --install spire spiffe/spire --version"), "\(text)")
        #expect(text.contains("kind create cluster --name slim-cluster"))
        #expect(!text.contains("topsecretvalue123456"))
        let (weak, weakText) = try await run(["plan", "statefulset", "--var", "sharedSecret=slim"], state: state)
        #expect(weak == 2 && weakText.contains("secret `sharedSecret` is 4 characters") && !weakText.contains("=slim"), "\(weakText)")
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
        #expect(code == 0 && text.contains("0 step(s) run, 4 unchanged"), "\(text)")

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

    /// Generation 2 (slim chart 2.2.0, SLIM 2.3.0): slim-bindings 2.2.0, the nearest published
    /// pairing, said as such; nodes in a static mesh; the sender through the strategy's `slim-any`.
    @Test func daemonsetGeneration2RunsTheNearestBindingsInAMesh() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["plan", "daemonset"], state: state)
        #expect(code == 0 && text.contains("note: slim-bindings 2.2.0 (NEAREST pairing: SLIM 2.3.0"), "\(text)")
        (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("kubernetes (EndpointSlices of Service slim/slim) → static full mesh"), "\(text)")
        #expect(text.contains("Service slim/slim-any → any SLIM node"), "\(text)")
        try expectBindings(try await status("daemonset", state: state), version: "2.2.0", slim: "2.3.0", pairing: "nearest")
        (code, text) = try await run(["status", "daemonset"], state: state)
        #expect(text.contains("slim-bindings 2.2.0 (NEAREST pairing"), "\(text)")
        let configs = try FileManager.default.contentsOfDirectory(atPath: "\(state)/local/daemonset/config")
        #expect(configs.count == 2)
        for c in configs {
            let cfg = try String(contentsOfFile: "\(state)/local/daemonset/config/\(c)", encoding: .utf8)
            #expect(cfg.contains("type: static") && cfg.contains("${env:SLIM_NODE_ID}") && !cfg.contains("{{"), "\(cfg)")
        }
        // The nodes mesh under the ids the chart's env gives them (SLIM_NODE_ID = pod name).
        let logs = "\(state)/local/daemonset/logs"
        let nodeLogs = try FileManager.default.contentsOfDirectory(atPath: logs).filter { $0.hasPrefix("slim-") }
        #expect(nodeLogs.count == 2, "\(nodeLogs)")
        for log in nodeLogs {
            let other = nodeLogs.first { $0 != log }.map { String($0.dropLast(4)) } ?? "?"
            let meshed = try await eventually {
                let text = withoutANSI((try? String(contentsOfFile: "\(logs)/\(log)", encoding: .utf8)) ?? "")
                return text.contains("connected to peer peer_id=\(other)") || text.contains("registering incoming peer in state table node_id=\(other)")
            }
            #expect(meshed, "\(log) never names its peer \(other)")
        }
        (code, text) = try await run(["test", "all", "daemonset", "-o", "json", "--keep"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("slim-any.slim.svc.cluster.local:46357 → http://127.0.0.1:"), "\(text)")
        // The receivers still run (--keep): the shared secret is in no process's command line,
        // which every local user can read, and no hand-over file is left.
        let secret = try sharedSecret(state, strategy: "daemonset")
        #expect(secret.count >= 32)
        #expect(processesWithInCommandLine(secret).isEmpty, "the shared secret is visible in /proc/*/cmdline")
        #expect(!processesWithInCommandLine("@@slimctl-secret:sharedSecret@@").isEmpty, "the receivers run through the launcher")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(state)/local/daemonset/secrets")) ?? []).isEmpty)
        let r = try testJSON(text)
        #expect(r["passed"] as? Bool == true, "\(text)")
        #expect(r["replies"] as? Int == 10)
        let receivers = r["receivers"] as? [[String: Any]] ?? []
        #expect(receivers.count == 2, "one receiver per eligible node")
        #expect(receivers.compactMap { $0["received"] as? Int }.reduce(0, +) == 10)

        // status: a table with headers; the sender ran to completion, so it is Completed, not Ready.
        (code, text) = try await run(["status", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("STEP ") && $0.hasSuffix("STATUS") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("NODE ") && $0.contains(" POD ") && $0.contains(" STATUS ") && $0.hasSuffix("AGE") }, "\(text)")
        let bobLine = lines.first { $0.contains(" bob ") } ?? ""
        #expect(bobLine.contains("Completed") && !bobLine.contains("Running"), "\(text)")
        #expect(lines.filter { $0.contains("DaemonSet/alice") && $0.contains("Running") }.count == 2, "\(text)")
        let pods = try await status("daemonset", state: state)["pods"] as? [[String: Any]] ?? []
        let bob = pods.first { $0["name"] as? String == "bob" }
        #expect(bob?["status"] as? String == "Completed" && bob?["ready"] as? Bool == false && bob?["phase"] as? String == "Succeeded", "\(pods)")
        // An app that failed shows its exit code (as recorded by the launcher).
        let exitFile = "\(state)/local/daemonset/logs/bob.exit"
        #expect(FileManager.default.fileExists(atPath: exitFile))
        try "3\n".write(toFile: exitFile, atomically: true, encoding: .utf8)
        let failed = (try await status("daemonset", state: state)["pods"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "bob" }
        #expect(failed?["status"] as? String == "Error (exit code 3)" && failed?["phase"] as? String == "Failed", "\(String(describing: failed))")
    }

    /// Generation 1.4 (slim chart 1.4.0, SLIM 1.4.0): slim-bindings 1.4.1; its nodes cannot mesh
    /// without the controller, which is said, and apps meet on the sender's node.
    @Test func daemonsetGeneration14RunsBindings141() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["deploy", "daemonset", "--generation", "1.4"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("2 SLIM node(s) ready") && text.contains("not meshed"), "\(text)")
        #expect(text.contains("SLIM_SVC_ID=slim-cluster-worker"), "the 1.4 DaemonSet's node id is the node name: \(text)")
        try expectBindings(try await status("daemonset", "--generation", "1.4", state: state), version: "1.4.1", slim: "1.4.0", pairing: "exact")
        (code, text) = try await run(["verify", "daemonset", "--generation", "1.4"], state: state)
        #expect(code == 0 && text.contains("Service slim-local (internalTrafficPolicy Local)"), "\(text)")
        (code, text) = try await run(["test", "all", "daemonset", "--generation", "1.4", "-o", "json"], state: state)
        #expect(code == 0, "\(text)")
        let r = try testJSON(text)
        #expect(r["passed"] as? Bool == true && r["replies"] as? Int == 10, "\(text)")
        #expect(((r["receivers"] as? [[String: Any]]) ?? []).compactMap { $0["received"] as? Int }.reduce(0, +) == 10)
    }

    @Test func statefulsetThreeReplicasOnBindings141() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["deploy", "statefulset"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("SPIRE TLS replaced by insecure transport"), "\(text)")
        #expect(text.contains("slim-bindings 1.4.1 (exact pairing for SLIM 1.4.0)"), "\(text)")
        try expectBindings(try await status("statefulset", state: state), version: "1.4.1", slim: "1.4.0", pairing: "exact")
        (code, text) = try await run(["verify", "statefulset"], state: state)
        #expect(code == 0 && text.contains("StatefulSet slim: 3/3 replicas ready"), "\(text)")
        (code, text) = try await run(["test", "all", "statefulset"], state: state)
        #expect(code == 0 && text.contains("PASS (10/10)"), "\(text)")
        // 1.4 nodes do not mesh without the controller: both apps are sent to one replica, and told so.
        #expect(text.contains("the local SLIM nodes are not meshed"), "\(text)")
    }

    @Test func unknownSlimReleaseIsRefusedBeforeAnythingStarts() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        for cmd in [["deploy"], ["plan"], ["status"]] {
            let (code, text) = try await run(cmd + ["daemonset", "--var", "slimTag=9.9.9"], state: state)
            #expect(code == 2, "\(cmd): \(text)")
            #expect(text.contains("SLIM 9.9.9") && text.contains("1.4.0 (slim-bindings 1.4.1)") && text.contains("2.3.0 (slim-bindings 2.2.0)"), "\(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(state)/local/daemonset/processes.json"), "nothing was started")
    }

    @Test func brokenUserStrategiesAreConfigErrors() async throws {
        let state = tempDir(), dir = tempDir()
        try
            "name: mine\ncluster:\n  nodes:\n    - role: control-plane\nsteps:\n  - name: slim\n    helm:\n      release: slim\n      namespace: x\n      chart: {ref: oci://x/slim, version: 1.0.0}\n      values: [missing.yaml]\n"
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
