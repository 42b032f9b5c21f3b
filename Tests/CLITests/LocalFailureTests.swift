import Foundation
import Testing
import Tools

/// Failure paths of the local target with real processes: a broken venv, an interrupted deploy,
/// a second deploy while one runs, a port already in use.
@Suite(.serialized) struct LocalFailures {
    /// Starts slimctl in the background (its own process group) with output to a file.
    func background(_ args: [String], state: String, cache: String) throws -> (Int32, String) {
        var env = ProcessInfo.processInfo.environment
        env["SLIMCTL_STATE_DIR"] = state
        env["XDG_CACHE_HOME"] = cache
        env["NO_COLOR"] = "1"
        let log = "\(state)-bg-\(UUID().uuidString).log"
        let pid = try Spawn.start([try slimctlBinary()] + args, environment: env, output: .file(log))
        return (pid, log)
    }

    func wait(_ pid: Int32) -> Int32 {
        var st: Int32 = 0
        while waitpid(pid, &st, 0) == -1 && errno == EINTR {}
        let sig = st & 0x7f
        return sig == 0 ? (st >> 8) & 0xff : 128 + sig
    }

    func runWith(cache: String, _ args: [String], state: String) async throws -> (Int32, String) {
        var env = ProcessInfo.processInfo.environment
        env["SLIMCTL_STATE_DIR"] = state
        env["XDG_CACHE_HOME"] = cache
        env["NO_COLOR"] = "1"
        return try await Spawn.capture([try slimctlBinary()] + args, environment: env, timeout: .seconds(900))
    }

    func pipProcesses(of cache: String) -> [String] {
        let out = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return out.compactMap { pid -> String? in
            guard Int(pid) != nil, let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return nil }
            return cmd.contains(cache) ? cmd : nil
        }
    }

    @Test func brokenVenvInterruptedDeployAndConcurrentDeploy() async throws {
        let state = tempDir(), cache = tempDir()
        defer { cleanup(state) }
        // A venv folder without the completion marker: an install that never finished.
        try FileManager.default.createDirectory(atPath: "\(cache)/slimctl/slim-bindings-2.2.0/bin", withIntermediateDirectories: true)

        // 1. Interrupt while the runtime installs: exit 130, no child left behind.
        let (pid1, log1) = try background(["deploy", "daemonset"], state: state, cache: cache)
        var waited = 0
        while waited < 200, !((try? String(contentsOfFile: log1, encoding: .utf8)) ?? "").contains("installing") {
            try await Task.sleep(for: .milliseconds(100)); waited += 1
        }
        kill(pid1, SIGINT)
        let text1 = (try? String(contentsOfFile: log1, encoding: .utf8)) ?? ""
        #expect(wait(pid1) == 130, "\(text1)")
        #expect(text1.contains("broken") && text1.contains("reinstalling"), "\(text1)")
        try await Task.sleep(for: .milliseconds(500))
        #expect(pipProcesses(of: cache).isEmpty, "children survived the interrupt: \(pipProcesses(of: cache))")

        // 2. The next deploy resumes (reinstalls the unfinished venv); a second deploy meanwhile is refused.
        let (pid2, log2) = try background(["deploy", "daemonset"], state: state, cache: cache)
        try await Task.sleep(for: .milliseconds(700))
        let (code3, text3) = try await runWith(cache: cache, ["deploy", "daemonset"], state: state)
        #expect(code3 == 2, "\(text3)")
        #expect(text3.contains("busy: slimctl pid \(pid2), `deploy` is changing this deployment"), "\(text3)")
        // Every command that changes what runs is refused alike while the deploy holds the lock.
        for other in [["test", "all", "daemonset"], ["delete", "daemonset"], ["ci", "daemonset"]] {
            let (c, t) = try await runWith(cache: cache, other, state: state)
            #expect(c == 2 && t.contains("busy: slimctl pid \(pid2)"), "\(other): \(t)")
        }
        let code2 = wait(pid2)
        let text2 = (try? String(contentsOfFile: log2, encoding: .utf8)) ?? ""
        #expect(code2 == 0, "\(text2)")
        #expect(text2.contains("installing slim-bindings"), "\(text2)")
        #expect(text2.contains("2 SLIM node(s) ready"), "\(text2)")
    }

    @Test func portAlreadyInUseIsNamed() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        // Hold a port with a real listener, then ask for it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var port = 0
        for candidate in stride(from: 47100, to: 47900, by: 10) {
            addr.sin_port = in_port_t(UInt16(candidate).bigEndian)
            let ok =
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                } == 0
            if ok { port = candidate; break }
        }
        #expect(port > 0 && listen(fd, 4) == 0)
        let (code, text) = try await run(["deploy", "daemonset", "--port-base", String(port)], state: state)
        #expect(code == 1, "\(text)")
        #expect(text.contains("127.0.0.1:\(port)") && text.contains("in use"), "\(text)")
        #expect(text.contains("step `slim` failed"), "\(text)")
    }

    @Test func killedReceiverFailsTheTestWithAReason() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        (code, text) = try await run(["test", "receiver", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(state)/local/daemonset/processes.json"))
        let procs = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["processes"] as? [[String: Any]] ?? []
        let receivers = procs.filter { $0["component"] as? String == "receiver" }
        #expect(receivers.count == 2)
        for r in receivers { if let pid = r["pid"] as? Int { kill(-Int32(pid), SIGKILL) } }
        (code, text) = try await run(["test", "sender", "daemonset", "--timeout", "20"], state: state)
        #expect(code == 1, "\(text)")
        #expect(text.contains("test: FAIL"), "\(text)")
        #expect(text.contains("is not running") || text.contains("replies"), "\(text)")
    }

    @Test func aDeadSlimNodeFailsTheTestAtOnceNamingIt() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(state)/local/daemonset/processes.json"))
        let procs = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["processes"] as? [[String: Any]] ?? []
        let node = try #require(procs.first { $0["component"] as? String == "slim" })
        let name = node["name"] as? String ?? "?"
        if let pid = node["pid"] as? Int { kill(-Int32(pid), SIGKILL) }
        // A long timeout: the dead node is named before any app waits for it.
        (code, text) = try await run(["test", "all", "daemonset", "--timeout", "600"], state: state)
        #expect(code == 1, "\(text)")
        #expect(text.contains("SLIM node \(name) on ") && text.contains("is not running"), "\(text)")
        #expect(text.contains("slimctl deploy daemonset"), "\(text)")
    }

    /// PIDs carrying the local target's mark for the state folder of `strategy`.
    func marked(_ state: String, strategy: String) -> [String] {
        let owner = "SLIMCTL_LOCAL_STATE=\(state)/local/\(strategy)"
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { pid in
            guard Int(pid) != nil, let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == owner }
        }
    }

    /// Deploys interrupted at random points by SIGINT, SIGTERM or SIGKILL (a seeded sequence, so
    /// a failure can be replayed), then one deploy and one delete: not one process of the state
    /// folder may be left, recorded or not.
    @Test func deploysInterruptedAtRandomLeaveNoProcessAfterDelete() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let runs = Int(ProcessInfo.processInfo.environment["SLIMCTL_SIGNAL_RUNS"] ?? "") ?? 50
        let env = ProcessInfo.processInfo.environment
        let defaultCache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache")
        var rng = SplitMix(seed: 0x5111_c7)
        var (code, text) = try await run(["deploy", "daemonset"], state: state)  // the venv exists from here on
        #expect(code == 0, "\(text)")
        let signals: [Int32] = [SIGINT, SIGTERM, SIGKILL]
        for i in 0..<runs {
            let (pid, log) = try background(["deploy", "daemonset", "--force"], state: state, cache: defaultCache)
            try await Task.sleep(for: .milliseconds(Int(rng.next() % 900)))
            let sig = signals[Int(rng.next() % 3)]
            kill(pid, sig)
            let status = wait(pid)
            let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect([0, 1, 130, 128 + SIGTERM, 128 + SIGKILL].contains(status), "run \(i) (signal \(sig)) ended with \(status): \(out)")
        }
        (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0, "the deploy after the interrupted ones: \(text)")
        (code, text) = try await run(["delete", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        #expect(marked(state, strategy: "daemonset").isEmpty, "processes left after delete: \(marked(state, strategy: "daemonset"))")
    }
}

/// A small seeded generator (SplitMix64): the same interrupt points on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
