import Engine
import Foundation

/// An app's exit code, written by the launcher (`runtime/held_start.py --exit-file`) when the
/// program ends: slimctl is usually gone by then, so nobody is left to `waitpid` for it, and
/// `status` could otherwise not tell a sender that completed from one that failed.
public enum AppExit {
    /// Beside the app's log: `logs/<pod>.exit`.
    public static func path(log: String) -> String {
        (log.hasSuffix(".log") ? String(log.dropLast(4)) : log) + ".exit"
    }

    /// The recorded exit code; nil when the program never got to write one (killed by a
    /// signal, still running, or started without the launcher).
    public static func recorded(_ log: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path(log: log), encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// For an app slimctl itself ended: 0 when it had done all it was run for (a sender with
    /// every reply counted, stopped instead of left to its closing pause), 143 (SIGTERM's code,
    /// as a container runtime reports it) when it was stopped unfinished.
    public static func record(_ log: String, code: Int32) {
        try? AtomicFile.write("\(code)\n", to: path(log: log), mode: 0o600)
    }
}
