import Checks
import Foundation
import Tools

/// Starts and stops the local processes. Each runs detached in a session of its own (it must
/// outlive the `deploy` command), logs to a file, and is found again through `LocalState`.
public enum Supervisor {
    public struct Started: Sendable {
        public var pid: Int32
        public var log: String
    }

    public static func start(_ argv: [String], env: [String: String], log: String) throws -> Started {
        try FileManager.default.createDirectory(atPath: (log as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log, contents: nil, attributes: [.posixPermissions: 0o600])
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        environment["PYTHONUNBUFFERED"] = "1"
        let pid = try Spawn.start(argv, environment: environment, output: .file(log), detached: true)
        // Until the step that started it succeeds, an interrupt must end it too.
        ChildRegistry.shared.add(pid)
        return Started(pid: pid, log: log)
    }

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
