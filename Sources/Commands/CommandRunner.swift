/// How slimctl runs the tools it drives (helm, kind, kubeconfig credential plugins): one
/// protocol, so the wrappers can be given another runner — a test's recording one, as kind's
/// `pkg/exec` and helmfile's `exectest` do — and one failure type for every command that did not
/// succeed.
public protocol CommandRunner: Sendable {
    /// Runs `argv` to its end: its exit status and its output (stdout and stderr interleaved).
    /// Throws `CommandFailure` only when the command could not be started or timed out.
    func run(_ argv: [String], environment: [String: String]?, timeout: Duration?) async throws -> CommandResult

    /// Runs a short-lived helper whose stdout is data (a credential plugin's JSON) and whose
    /// stderr is for the user, kept apart and never written to disk. At `timeout` the helper and
    /// everything it started are ended and what they printed so far comes back with `timedOut`.
    /// Throws `CommandFailure` only when it could not be started.
    func capture(_ argv: [String], environment: [String: String]?, timeout: Duration) async throws -> CapturedOutput
}

/// A helper's output, its two streams apart.
public struct CapturedOutput: Sendable, Equatable {
    /// Exit code as a shell reports it (128+signal when killed).
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var timedOut: Bool
    public init(status: Int32, stdout: [UInt8], stderr: [UInt8] = [], timedOut: Bool = false) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }
}

public struct CommandResult: Sendable, Equatable {
    public var status: Int32
    public var output: String
    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// A command that failed: not found, not startable, timed out, or exited non-zero. Carries the
/// tool's own last words (helm's `Error: …` lines), never the whole output, which is in `log`.
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    public var argv: [String]
    /// The exit status; nil when the command never ran to an exit (not found, timed out).
    public var status: Int32?
    /// Why, when there is no status to say it.
    public var reason: String?
    /// The step log holding the full output, when there is one.
    public var log: String?
    public var lastLines: [String]

    public init(argv: [String], status: Int32?, reason: String? = nil, log: String? = nil, lastLines: [String] = []) {
        self.argv = argv
        self.status = status
        self.reason = reason
        self.log = log
        self.lastLines = lastLines
    }

    public var description: String {
        let command = "`\(argv.prefix(3).joined(separator: " "))`"
        var s = status.map { "\(command) exited with status \($0)" } ?? "\(command): \(reason ?? "did not run")"
        if !lastLines.isEmpty { s += ":\n" + lastLines.map { "    " + $0 }.joined(separator: "\n") }
        return s
    }

    /// A tool's `Error: …` text and what follows it (helm's style), else its last lines.
    public static func errorLines(_ output: String) -> [String] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if let i = lines.lastIndex(where: { $0.hasPrefix("Error:") }) { return Array(lines[i...].prefix(12)) }
        return Array(lines.suffix(8))
    }
}
