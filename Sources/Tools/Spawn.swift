import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starting child processes with posix_spawn, argv only (never a shell string), each in a process
/// group of its own so an interrupt or `delete` can end the child and everything it started.
public enum Spawn {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var argv0: String
        public var message: String
        public var description: String { "cannot start \(argv0): \(message)" }
    }

    public enum Output: Sendable {
        case null
        /// Appended to; stdout and stderr both go there, interleaved as they happen.
        case file(String)
        /// Write ends of two pipes the caller reads: stdout and stderr kept apart (a credential
        /// plugin prints its token on stdout and its complaints on stderr).
        case pipes(stdout: Int32, stderr: Int32)
    }

    /// Starts `argv` and returns its pid. With `detached`, the child gets a new session (it
    /// outlives slimctl, as local SLIM nodes must); otherwise a new process group. `stdin`: a
    /// descriptor to give the child as its standard input (default /dev/null).
    public static func start(
        _ argv: [String], environment: [String: String]? = nil,
        output: Output = .null, detached: Bool = false, stdin: Int32? = nil
    ) throws -> pid_t {
        guard let exe = argv.first else { throw Failure(argv0: "", message: "empty command") }
        guard let path = which(exe, environment: environment) else {
            throw Failure(argv0: exe, message: "not found on PATH")
        }
        Trace.emit(.command(Trace.shown(argv)))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        switch output {
        case .null:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        case .file(let p):
            posix_spawn_file_actions_addopen(&actions, 1, p, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        case .pipes(let out, let err):
            posix_spawn_file_actions_adddup2(&actions, out, 1)
            posix_spawn_file_actions_adddup2(&actions, err, 2)
        }
        if case .pipes = output {} else { posix_spawn_file_actions_adddup2(&actions, 1, 2) }
        // Nothing but 0, 1 and 2 reaches the child, whatever this process has open without
        // close-on-exec (Foundation's atomic writes, for one): a long-lived child holding a
        // script's write descriptor would make every later exec of it fail with "Text file busy".
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // POSIX_SPAWN_SETSID (0x80, glibc ≥ 2.26) or POSIX_SPAWN_SETPGROUP (0x02) with pgid 0.
        var flags: Int32 = detached ? 0x80 : 0x02
        flags |= 0x08 | 0x04  // SETSIGDEF | SETSIGMASK: children start with default signal handling
        posix_spawnattr_setflags(&attr, Int16(flags))
        posix_spawnattr_setpgroup(&attr, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        var rc: Int32 = 0
        // ETXTBSY: another process holds the program open for writing — an installer finishing,
        // or another program's child between its fork and exec. It passes: retried for up to
        // about 2 s before it is reported.
        for attempt in 0..<20 {
            rc = withCStrings(argv) { cargv in
                withCStrings(env) { cenv in posix_spawn(&pid, path, &actions, &attr, cargv, cenv) }
            }
            guard rc == ETXTBSY else { break }
            usleep(useconds_t(20_000 * (attempt / 4 + 1)))
        }
        guard rc == 0 else { throw Failure(argv0: exe, message: String(cString: strerror(rc))) }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not show; nil on an older C library, where children inherit as before.
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// Runs a command to completion with its output appended to `log`, without blocking the
    /// cooperative pool (the wait happens on a thread of its own). The child's process group is
    /// registered with `ChildRegistry` so Ctrl-C ends it.
    public static func run(
        _ argv: [String], environment: [String: String]? = nil,
        log: String, timeout: Duration? = nil
    ) async throws -> Int32 {
        let pid = try start(argv, environment: environment, output: .file(log))
        ChildRegistry.shared.add(pid)
        defer { ChildRegistry.shared.remove(pid) }
        let timer: Task<Void, Never>? = timeout.map { t in
            Task.detached {
                try? await Task.sleep(for: t)
                if !Task.isCancelled { terminateGroup(pid, grace: .seconds(2)) }
            }
        }
        let status = await withCheckedContinuation { (c: CheckedContinuation<Int32, Never>) in
            let thread = Thread {
                var st: Int32 = 0
                while waitpid(pid, &st, 0) == -1 && errno == EINTR {}
                c.resume(returning: st)
            }
            thread.start()
        }
        timer?.cancel()
        return decode(status)
    }

    /// Runs a command and returns its exit code and combined output (small outputs only: versions, lists).
    public static func capture(
        _ argv: [String], environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String) {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let status = try await run(argv, environment: environment, log: tmp, timeout: timeout)
        let out = (try? String(contentsOfFile: tmp, encoding: .utf8)) ?? ""
        return (status, out)
    }

    /// Exit code as a shell reports it: the code, or 128+signal.
    static func decode(_ status: Int32) -> Int32 {
        let sig = status & 0x7f
        if sig == 0 { return (status >> 8) & 0xff }
        return 128 + sig
    }

    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 { return errno == EPERM }
        // A zombie child still answers kill(0); reap it if it is ours.
        var st: Int32 = 0
        if waitpid(pid, &st, WNOHANG) == pid { return false }
        // A zombie of another parent: /proc says so.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let rest = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces)
            if rest.hasPrefix("Z") { return false }
        }
        return true
    }

    /// SIGTERM to the whole group, then SIGKILL after `grace` if anything is left.
    public static func terminateGroup(_ pgid: pid_t, grace: Duration = .seconds(5)) {
        terminateGroups([pgid], grace: grace)
    }

    /// SIGTERM to every group at once, then one wait for all of them (not one grace period
    /// after another), then SIGKILL to whatever is left after `grace`.
    public static func terminateGroups(_ pgids: [pid_t], grace: Duration = .seconds(5)) {
        let groups = Set(pgids.filter { $0 > 1 })
        guard !groups.isEmpty else { return }
        for g in groups { kill(-g, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        var left = liveGroups(groups)
        while !left.isEmpty && ContinuousClock.now < deadline {
            usleep(10_000)
            left = liveGroups(left)
        }
        for g in left {
            kill(-g, SIGKILL)
            var st: Int32 = 0
            _ = waitpid(g, &st, WNOHANG)
        }
    }

    /// The groups among `pgids` that still have a member which is not a zombie. A process that
    /// has exited but whose parent has not reaped it still answers `kill(-pgid, 0)`; a SLIM node
    /// outlives the `deploy` that started it, so its parent is init, which may reap late (1.5 s
    /// measured in a container whose init is not a shell), and waiting for that is waiting for nothing.
    static func liveGroups(_ pgids: Set<pid_t>) -> Set<pid_t> {
        var candidates = Set<pid_t>()
        for g in pgids {
            var st: Int32 = 0
            _ = waitpid(g, &st, WNOHANG)  // our own child: reap it
            if kill(-g, 0) == 0 || errno == EPERM { candidates.insert(g) }
        }
        guard !candidates.isEmpty, let dir = opendir("/proc") else { return candidates }
        defer { closedir(dir) }
        var live = Set<pid_t>()
        var buf = [UInt8](repeating: 0, count: 512)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name) else { continue }
            let fd = open("/proc/\(pid)/stat", O_RDONLY)
            guard fd >= 0 else { continue }
            let n = read(fd, &buf, buf.count)
            close(fd)
            guard n > 0 else { continue }
            // "pid (comm) S ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
            guard let close = buf[0..<n].lastIndex(of: UInt8(ascii: ")")) else { continue }
            let fields = buf[(close + 1)..<n].split(separator: UInt8(ascii: " "), maxSplits: 4)
            guard fields.count >= 4, let state = fields[0].first,
                let pgrp = Int32(String(decoding: fields[2], as: UTF8.self))
            else { continue }
            if state != UInt8(ascii: "Z") && candidates.contains(pgrp) { live.insert(pgrp) }
        }
        // Without /proc entries (not Linux) trust kill(0).
        return live
    }

    /// A pipe whose write end stays with slimctl and whose read end becomes a child's stdin
    /// (`start(…, stdin: readEnd)`); both ends close-on-exec, so no other child inherits them.
    public static func pipe() throws -> (readEnd: Int32, writeEnd: Int32) {
        var fds: [Int32] = [0, 0]
        // pipe2 is not visible to Swift here; slimctl spawns from one task at a time, so no
        // other child can be started between pipe and fcntl.
        guard Glibc.pipe(&fds) == 0 else { throw Failure(argv0: "pipe", message: String(cString: strerror(errno))) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Writes to a pipe whose reader may be gone: false instead of dying of SIGPIPE. The
    /// signal is blocked for this thread during the write and a pending one is taken back.
    public static func writeToPipe(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EPIPE {
            var zero = timespec(tv_sec: 0, tv_nsec: 0)
            _ = sigtimedwait(&block, nil, &zero)
            return false
        }
        return n == bytes.count
    }

    public static func which(_ name: String, environment: [String: String]? = nil) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = (environment ?? ProcessInfo.processInfo.environment)["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        ptrs.append(nil)
        defer { for p in ptrs { free(p) } }
        return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// Process groups of the children slimctl is waiting on, so an interrupt ends them all.
public final class ChildRegistry: @unchecked Sendable {
    /// Set first thing on an interrupt, so a child dying from it is not reported as a failure.
    public var interrupted: Bool {
        get { lock.lock(); defer { lock.unlock() }; return isInterrupted }
        set { lock.lock(); isInterrupted = newValue; lock.unlock() }
    }
    private var isInterrupted = false

    public static let shared = ChildRegistry()
    private let lock = NSLock()
    private var pids: Set<pid_t> = []

    public func add(_ pid: pid_t) { lock.lock(); pids.insert(pid); lock.unlock() }
    public func remove(_ pid: pid_t) { lock.lock(); pids.remove(pid); lock.unlock() }
    public var all: [pid_t] { lock.lock(); defer { lock.unlock() }; return Array(pids) }

    private var hooks: [(id: Int, note: String?, run: @Sendable () async -> Void)] = []
    private var nextHook = 0

    /// Work that must happen on an interrupt after the children are gone: `ci` tearing down
    /// what it deployed and writing its report, `test` on kind/cluster removing the apps it
    /// applied. `note` goes to stderr first. The returned id removes the hook once the work it
    /// guards has ended normally.
    @discardableResult
    public func onInterrupt(_ note: String? = nil, _ hook: @escaping @Sendable () async -> Void) -> Int {
        lock.lock(); defer { lock.unlock() }
        nextHook += 1
        hooks.append((nextHook, note, hook))
        return nextHook
    }

    public func removeInterruptHook(_ id: Int) {
        lock.lock(); hooks.removeAll { $0.id == id }; lock.unlock()
    }

    /// Ends every registered child group, then runs the interrupt hooks, the last registered
    /// first, each bounded by `hookTimeout` seconds; called from the interrupt handler (not on
    /// the cooperative pool, so hooks that talk to an API server can run while it waits).
    public func terminateAll(hookTimeout: Double = 20) {
        Spawn.terminateGroups(all, grace: .seconds(3))
        lock.lock(); let hs = hooks.reversed(); hooks.removeAll(); lock.unlock()
        for h in hs {
            if let note = h.note { FileHandle.standardError.write(Data((note + "\n").utf8)) }
            let done = DispatchSemaphore(value: 0)
            Task.detached {
                await h.run()
                done.signal()
            }
            _ = done.wait(timeout: .now() + hookTimeout)
        }
    }
}
