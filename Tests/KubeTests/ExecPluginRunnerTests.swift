import Foundation
import Testing
import Tools
import YAML

@testable import Kube

/// The exec credential plugin through the injected `CommandRunner` (no plugin process): what it
/// is asked to run and with which environment, what the client makes of each answer, and that a
/// token is asked for once while it is valid. The real process path is covered by
/// KubeconfigTests and CredentialSafetyTests.
@Suite struct ExecPluginRunnerTests {
    /// Answers every capture with `answer`, remembering argv and environment.
    final class Plugin: CommandRunner, @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [([String], [String: String])] = []
        let answer: CapturedOutput
        let fails: Bool
        init(_ answer: CapturedOutput, fails: Bool = false) {
            self.answer = answer
            self.fails = fails
        }
        func run(_ argv: [String], environment: [String: String]?, timeout: Duration?) async throws -> CommandResult {
            Issue.record("a credential plugin is captured, never run with interleaved output")
            return CommandResult(status: 1, output: "")
        }
        func capture(_ argv: [String], environment: [String: String]?, timeout: Duration) async throws -> CapturedOutput {
            lock.withLock { seen.append((argv, environment ?? [:])) }
            if fails { throw CommandFailure(argv: argv, status: nil, reason: "Permission denied") }
            return answer
        }
        var calls: [([String], [String: String])] { lock.withLock { seen } }
    }

    static func config(provideClusterInfo: Bool = false) throws -> ResolvedConfig {
        let text = """
            current-context: sso
            clusters:
            - {name: c, cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}}
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: /bin/sh
                  args: [get-token, --cluster, c]
                  env: [{name: REGION, value: eu-west-1}]
                  interactiveMode: Never
                  provideClusterInfo: \(provideClusterInfo)
            contexts:
            - {name: sso, context: {cluster: c, user: u}}
            """
        return try KubeconfigLoader.parse(text, file: "test-kubeconfig", baseDirectory: "/").resolve(context: nil)
    }

    static func credential(_ token: String, expires: String? = nil) -> CapturedOutput {
        let expiry = expires.map { ",\"expirationTimestamp\":\"\($0)\"" } ?? ""
        return CapturedOutput(
            status: 0,
            stdout: Array(
                "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"\(token)\"\(expiry)}}".utf8
            ))
    }

    @Test func thePluginIsAskedWithItsArgumentsAndExecInfoAndItsTokenIsUsed() async throws {
        let plugin = Plugin(Self.credential("tok-1", expires: "2099-01-01T00:00:00Z"))
        let provider = CredentialProvider(config: try Self.config(provideClusterInfo: true), execTimeout: 5, runner: plugin)
        guard case .bearer(let token) = try await provider.credential() else {
            Issue.record("not a bearer token")
            return
        }
        #expect(token == "tok-1")
        let (argv, env) = try #require(plugin.calls.first)
        #expect(argv == ["/bin/sh", "get-token", "--cluster", "c"])
        #expect(env["REGION"] == "eu-west-1")
        let info = try Value(jsonBytes: Array((env["KUBERNETES_EXEC_INFO"] ?? "").utf8))
        #expect(info["kind"]?.stringValue == "ExecCredential")
        #expect(info.lookup(["spec", "interactive"]) == .bool(false))
        #expect(info.lookup(["spec", "cluster", "server"])?.stringValue == "https://10.0.0.1:6443")
        // Valid until 2099: the second request reuses it.
        _ = try await provider.credential()
        #expect(plugin.calls.count == 1)
    }

    @Test func aTokenAboutToExpireIsAskedForAgain() async throws {
        let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(5))
        let plugin = Plugin(Self.credential("short", expires: soon))
        let provider = CredentialProvider(config: try Self.config(), execTimeout: 5, runner: plugin)
        _ = try await provider.credential()
        _ = try await provider.credential()
        #expect(plugin.calls.count == 2)
    }

    @Test func eachFailureIsNamedWithThePluginsOwnWords() async throws {
        let cases: [(Plugin, String)] = [
            (Plugin(CapturedOutput(status: 0, stdout: [], stderr: Array("waiting for browser login\n".utf8), timedOut: true)), "did not finish within 5s"),
            (
                Plugin(CapturedOutput(status: 2, stdout: [], stderr: Array("error: token expired, run sso login\n".utf8))),
                "exited with status 2: error: token expired"
            ),
            (Plugin(CapturedOutput(status: 0, stdout: Array("not json".utf8))), "did not print an ExecCredential"),
            (Plugin(CapturedOutput(status: 0, stdout: []), fails: true), "cannot run exec plugin /bin/sh: Permission denied")
        ]
        for (plugin, expected) in cases {
            let provider = CredentialProvider(config: try Self.config(), execTimeout: 5, runner: plugin)
            do {
                _ = try await provider.credential()
                Issue.record("accepted: \(expected)")
            } catch let e as KubeError {
                #expect(e.message.contains(expected), "\(e.message)")
                #expect(e.message.contains("user \"u\""), "\(e.message)")
                if plugin.answer.timedOut { #expect(e.kind == .timeout && e.message.contains("waiting for browser login"), "\(e.message)") }
            }
        }
    }
}
