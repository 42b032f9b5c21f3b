import Checks
import Foundation
import Tools

/// Starts and stops the local processes. Each runs detached in a session of its own (it must
/// outlive the `deploy` command), logs to a file, and is found again through `LocalState`.
public enum Supervisor {
    public struct Started: Sendable {
        public var pid: Int32
        public var log: String
        /// For a held start: the write end of the child's stdin, for `go` or `abandon`.
        public var gate: Int32?
    }

    /// With `held`, the child gets a pipe as stdin and the returned `gate` keeps its write end:
    /// `runtime/held_start.py` waits on it (see `go`).
    public static func start(_ argv: [String], env: [String: String], log: String, held: Bool = false) throws -> Started {
        try FileManager.default.createDirectory(
            atPath: (log as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        _ = FileManager.default.createFile(atPath: log, contents: nil, attributes: [.posixPermissions: 0o600])
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        environment["PYTHONUNBUFFERED"] = "1"
        let pipe = held ? try Spawn.pipe() : nil
        defer { if let pipe { close(pipe.readEnd) } }
        let pid: Int32
        do {
            pid = try Spawn.start(argv, environment: environment, output: .file(log), detached: true, stdin: pipe?.readEnd)
        } catch {
            if let pipe { close(pipe.writeEnd) }
            throw error
        }
        // Until the step that started it succeeds, an interrupt must end it too.
        ChildRegistry.shared.add(pid)
        return Started(pid: pid, log: log, gate: pipe?.writeEnd)
    }

    /// Lets a held app run (one line on its stdin). False when it is already gone.
    @discardableResult
    public static func go(_ gate: Int32) -> Bool {
        defer { close(gate) }
        return Spawn.writeToPipe(gate, Array("go\n".utf8))
    }

    /// A held app that must not run: end of input makes it leave without starting.
    public static func abandon(_ gate: Int32) { close(gate) }

    /// Waits until a line containing `marker` is in the log, the process exits, or time runs out.
    /// Local processes only: Kubernetes readiness uses watches.
    public static func waitFor(marker: String, pid: Int32, log: String, timeout: Duration) async -> WaitResult {
        let deadline = ContinuousClock.now + timeout
        var tail = LogTail(path: log)
        while ContinuousClock.now < deadline {
            if tail.poll(), tail.text.contains(marker) { return .found }
            if !Spawn.isAlive(pid) { return tail.poll() && tail.text.contains(marker) ? .found : .exited }
            if Task.isCancelled { return .timedOut }
            try? await Task.sleep(for: pollInterval)
        }
        return .timedOut
    }

    /// How often a log or a process is looked at while waiting for it: short against the
    /// waits it serves (a receiver listens about 0.3 s after it starts), cheap per look.
    public static let pollInterval: Duration = .milliseconds(10)

    public enum WaitResult: Sendable { case found, exited, timedOut }

    /// The step that started these finished: they are meant to outlive slimctl now.
    public static func release(_ pids: [Int32]) {
        for p in pids { ChildRegistry.shared.remove(p) }
    }

    public static func stop(_ pid: Int32) {
        stop([pid])
    }

    /// Stops all of them together: one grace period for the lot, not one after another.
    public static func stop(_ pids: [Int32]) {
        let running = pids.filter { Spawn.isAlive($0) }
        guard !running.isEmpty else { return }
        Spawn.terminateGroups(running, grace: .seconds(5))
    }

    public static func tail(_ log: String, lines: Int = 5) -> [String] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").suffix(lines).map { stripANSI(String($0)) }
    }

    public static func stripANSI(_ s: String) -> String { MessageLog.stripANSI(s) }
}

/// What a process appended to its log so far, whole lines only, read incrementally (each
/// `poll` reads only the new bytes). A line the process is still writing stays out until its
/// newline arrives: the apps write a print's text and its newline in two calls.
public struct LogTail: Sendable {
    public let path: String
    /// Every complete line read so far.
    public private(set) var text = ""
    private var offset: UInt64 = 0
    private var partial: [UInt8] = []

    public init(path: String) { self.path = path }

    /// Reads what was appended; true when at least one new complete line arrived.
    @discardableResult
    public mutating func poll() -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        try? h.seek(toOffset: offset)
        let data = h.readDataToEndOfFile()
        guard !data.isEmpty else { return false }
        offset += UInt64(data.count)
        partial += data
        guard let last = partial.lastIndex(of: UInt8(ascii: "\n")) else { return false }
        text += String(decoding: partial[...last], as: UTF8.self)
        partial.removeSubrange(...last)
        return true
    }
}
