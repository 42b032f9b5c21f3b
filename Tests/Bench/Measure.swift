import Foundation
import Tools

#if canImport(Glibc)
import Glibc
#endif

/// A child process the benchmark times. posix_spawn and wait4 directly: wait4 returns the
/// instant the child exits together with its own peak memory (ru_maxrss), which neither
/// Foundation's Process nor a shell `time` gives per child.
struct Child {
    enum Stdout { case null, file(String), pipe }

    let pid: pid_t
    /// Read end of the child's stdout with `.pipe`.
    let stdout: Int32?

    static func start(_ command: [String], env: [String: String], stdout mode: Stdout = .null) throws -> Child {
        // BENCH_PROFILE="valgrind --tool=callgrind" (or "perf record -g -o …") runs every slimctl
        // the benchmark starts under a profiler, to find the cause of a missed goal.
        var argv = command
        if command.first?.hasSuffix("/slimctl") == true, let wrap = ProcessInfo.processInfo.environment["BENCH_PROFILE"], !wrap.isEmpty {
            let prefix = wrap.split(separator: " ").map(String.init)
            argv = [Spawn.which(prefix[0]) ?? prefix[0]] + prefix.dropFirst() + command
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var readEnd: Int32?
        var writeEnd: Int32?
        switch mode {
        case .null:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        case .file(let p):
            posix_spawn_file_actions_addopen(&actions, 1, p, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        case .pipe:
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw BenchError("pipe: \(String(cString: strerror(errno)))") }
            // Close-on-exec, so another child started meanwhile does not hold the write end open.
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            readEnd = fds[0]
            writeEnd = fds[1]
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            posix_spawn_file_actions_addclose(&actions, fds[1])
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        var pid: pid_t = 0
        let envList = env.map { "\($0.key)=\($0.value)" }
        let cargv = argv.map { strdup($0) } + [nil]
        let cenv = envList.map { strdup($0) } + [nil]
        defer { for p in cargv + cenv { free(p) } }
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cargv, cenv)
        if let w = writeEnd { close(w) }
        if let r = readEnd, rc != 0 { close(r) }
        guard rc == 0 else { throw BenchError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return Child(pid: pid, stdout: readEnd)
    }

    struct Exit {
        var status: Int32
        var at: ContinuousClock.Instant
        var maxRSSBytes: Int
    }

    /// Blocks until the child exits.
    func wait() -> Exit {
        var st: Int32 = 0
        var usage = rusage()
        while wait4(pid, &st, 0, &usage) == -1 && errno == EINTR {}
        let at = ContinuousClock.now
        let code = (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f)
        return Exit(status: code, at: at, maxRSSBytes: usage.ru_maxrss * 1024)
    }

    func interrupt() { kill(-pid, SIGINT) }
    func terminate() { kill(-pid, SIGKILL) }

    /// The peak memory of `argv` alone. wait4's ru_maxrss cannot give it for a child of this
    /// process: Linux carries the parent's high-water mark into the child across exec, and the
    /// benchmark holds a 55,000-pod cluster. A small python3 process in between starts the
    /// command from its own small address space and reports the child's figure.
    static func peakMemory(_ argv: [String], env: [String: String]) throws -> (status: Int32, bytes: Int) {
        let script =
            "import resource,subprocess,sys\n"
            + "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)\n"
            + "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-bench-rss-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        guard let python = Spawn.which("python3") else { throw BenchError("python3 is needed to measure peak memory: apt-get install python3") }
        _ = try run([python, "-c", script] + argv, env: env, stdout: .file(out))
        let fields = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: " ").compactMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard fields.count == 2 else { throw BenchError("could not measure the peak memory of \(argv.joined(separator: " "))") }
        return (Int32(fields[0]), fields[1] * 1024)
    }

    /// Runs to completion: exit status, wall seconds, peak memory (see `peakMemory` for why
    /// the last is only an upper bound).
    static func run(_ argv: [String], env: [String: String], stdout: Stdout = .null) throws -> (status: Int32, seconds: Double, maxRSSBytes: Int) {
        let start = ContinuousClock.now
        let c = try Child.start(argv, env: env, stdout: stdout)
        let e = c.wait()
        return (e.status, seconds(e.at - start), e.maxRSSBytes)
    }
}

/// Counts newline-terminated lines arriving on a pipe, on a thread of its own, and notes when
/// a target count is reached.
final class LineCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var lines = 0
    private var reachedAt: ContinuousClock.Instant?
    private let target: Int

    init(fd: Int32, target: Int) {
        self.target = target
        start(fd)
    }

    private func start(_ fd: Int32) {
        Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                var newlines = 0
                for i in 0..<n where buf[i] == 0x0A { newlines += 1 }
                add(newlines)
            }
            close(fd)
        }.start()
    }

    private func add(_ n: Int) {
        lock.lock()
        lines += n
        if reachedAt == nil && lines >= target { reachedAt = .now }
        lock.unlock()
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return lines }
    var reached: ContinuousClock.Instant? { lock.lock(); defer { lock.unlock() }; return reachedAt }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Waits (polling is fine here: this is set-up, never the measured path) until `done` holds.
func waitUntil(_ what: String, timeout: Double = 60, _ done: () -> Bool) throws {
    let limit = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while !done() {
        if ContinuousClock.now > limit { throw BenchError("timed out waiting for \(what)") }
        Thread.sleep(forTimeInterval: 0.005)
    }
}

/// Median and p99 (nearest rank) of repeated runs.
struct Stats: Codable {
    var n: Int
    var median: Double
    var p99: Double
    var min: Double
    var max: Double

    init(_ samples: [Double]) {
        let s = samples.sorted()
        n = s.count
        median = s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
        p99 = s.isEmpty ? .nan : s[Swift.max(0, Int((0.99 * Double(s.count)).rounded(.up)) - 1)]
        min = s.first ?? .nan
        max = s.last ?? .nan
    }
}
