import Foundation
import Testing
import Tools

/// The tool wrappers against a recording runner (no helm or kind needed): what each call runs,
/// what it makes of the output, and the one failure type.
@Suite struct CommandRunnerTests {
    /// Answers each argv with a canned result and remembers what it was asked.
    final class Recording: CommandRunner, @unchecked Sendable {
        private let lock = NSLock()
        private var calls: [[String]] = []
        let answer: @Sendable ([String]) -> CommandResult
        init(_ answer: @escaping @Sendable ([String]) -> CommandResult) { self.answer = answer }
        func run(_ argv: [String], environment: [String: String]?, timeout: Duration?) async throws -> CommandResult {
            record(argv)
            return answer(argv)
        }
        func capture(_ argv: [String], environment: [String: String]?, timeout: Duration) async throws -> CapturedOutput {
            record(argv)
            let r = answer(argv)
            return CapturedOutput(status: r.status, stdout: Array(r.output.utf8))
        }
        private func record(_ argv: [String]) { lock.withLock { calls.append(argv) } }
        var asked: [[String]] { lock.lock(); defer { lock.unlock() }; return calls }
    }

    func log() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString).log").path }

    @Test func helmListReadsTheJSONLineAndLogsTheCommand() async throws {
        let r = Recording { _ in
            CommandResult(
                status: 0,
                output:
                    "WARNING: kubeconfig is group-readable\n[{\"name\":\"slim\",\"namespace\":\"slim\",\"revision\":\"2\",\"status\":\"deployed\",\"chart\":\"slim-2.2.0\",\"app_version\":\"2.3.0\"}]\n"
            )
        }
        let helm = Helm(kubeconfig: "/k", runner: r)
        let path = log()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let releases = try await helm.list(log: path)
        #expect(releases.map(\.name) == ["slim"] && releases.first?.appVersion == "2.3.0")
        #expect(r.asked == [helm.listArgv()])
        #expect(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").hasPrefix("$ helm list --all-namespaces"))
    }

    @Test func aFailingHelmCommandIsACommandFailureWithHelmsErrorLines() async throws {
        let r = Recording { _ in CommandResult(status: 1, output: "pulling…\nError: INSTALLATION FAILED: namespaces \"x\" is forbidden\nhelp text\n") }
        let helm = Helm(runner: r)
        do {
            _ = try await helm.output(["helm", "upgrade", "--install", "slim", "chart"], log: log())
            Issue.record("expected a failure")
        } catch let f as CommandFailure {
            #expect(f.status == 1)
            #expect(f.lastLines.first == "Error: INSTALLATION FAILED: namespaces \"x\" is forbidden")
            #expect(f.description.hasPrefix("`helm upgrade --install` exited with status 1:"))
        }
    }

    @Test func templateRunsThePlannedArgvWithAnOutputFolderAdded() async throws {
        let r = Recording { argv in
            // Write one manifest where helm would, so the wrapper reads it back.
            if let i = argv.firstIndex(of: "--output-dir") {
                let dir = argv[i + 1] + "/chart/templates"
                try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try? "kind: ConfigMap\n".write(toFile: dir + "/cm.yaml", atomically: true, encoding: .utf8)
            }
            return CommandResult(status: 0, output: "coalesce.go:298: warning: cannot overwrite table with non table for x\n")
        }
        let helm = Helm(runner: r)
        let planned = helm.templateArgv(release: "slim", chart: .local("/c/slim.tgz"), namespace: "slim", valuesFile: "/v.yaml")
        let rendering = try await helm.render(planned, log: log())
        #expect(r.asked.count == 1 && Array(r.asked[0].prefix(planned.count)) == planned && r.asked[0][planned.count] == "--output-dir")
        #expect(rendering.manifests == "kind: ConfigMap\n")
        #expect(rendering.warnings.count == 1)
    }

    @Test func kindKeepsTheKubeconfigOutOfTheLogAndListsOnlyClusterNames() async throws {
        let r = Recording { argv in
            argv.contains("kubeconfig")
                ? CommandResult(
                    status: 0, output: "enabling experimental podman provider\napiVersion: v1\nusers: [{name: u, user: {client-key-data: SECRET}}]\n")
                : CommandResult(status: 0, output: "No kind clusters found.\nslim-cluster\n")
        }
        let kind = Kind(runner: r)
        let path = log()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try await kind.clusters(log: path) == ["slim-cluster"])
        let config = try await kind.kubeconfig(name: "slim-cluster", log: path)
        #expect(config.hasPrefix("apiVersion: v1"))
        #expect(!((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains("SECRET"), "the kubeconfig's keys are not logged")
    }

    @Test func aToolThatCannotStartIsAFailureWithoutStatus() async throws {
        let helm = Helm(executable: "/nonexistent/helm")
        do {
            _ = try await helm.output(helm.listArgv(), log: log())
            Issue.record("expected a failure")
        } catch let f as CommandFailure {
            #expect(f.status == nil && f.description.contains("/nonexistent/helm"), "\(f)")
        }
    }
}
