@_exported import Commands
import Foundation

/// The real `CommandRunner`: a child process in its own process group (ended on Ctrl-C with
/// everything it started), its output through a temporary file, so a tool that prints a lot
/// never blocks on a full pipe.
public struct ProcessRunner: CommandRunner {
    public init() {}

    public func run(_ argv: [String], environment: [String: String]?, timeout: Duration?) async throws -> CommandResult {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-run-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let status: Int32
        do {
            status = try await Spawn.run(argv, environment: environment, log: tmp, timeout: timeout)
        } catch let f as Spawn.Failure {
            throw CommandFailure(argv: argv, status: nil, reason: f.description)
        }
        return CommandResult(status: status, output: (try? String(contentsOfFile: tmp, encoding: .utf8)) ?? "")
    }

    /// Through pipes, not a file: a credential plugin's stdout is a token.
    public func capture(_ argv: [String], environment: [String: String]?, timeout: Duration) async throws -> CapturedOutput {
        do {
            let r = try await Spawn.captureSeparately(argv, environment: environment, timeout: timeout)
            return CapturedOutput(status: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut)
        } catch let f as Spawn.Failure {
            throw CommandFailure(argv: argv, status: nil, reason: f.message)
        }
    }
}
