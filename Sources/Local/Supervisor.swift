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
        var offset: UInt64 = 0
        var buffer = ""
        while ContinuousClock.now < deadline {
            if let h = FileHandle(forReadingAtPath: log) {
                try? h.seek(toOffset: offset)
                let data = h.readDataToEndOfFile()
                try? h.close()
                offset += UInt64(data.count)
                buffer += String(decoding: data, as: UTF8.self)
                if buffer.contains(marker) { return .found }
            }
            if !Spawn.isAlive(pid) { return .exited }
            if Task.isCancelled { return .timedOut }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return .timedOut
    }

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
