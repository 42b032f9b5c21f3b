import Foundation
import Testing
import Tools

/// `slimctl diff` with the real binary and real SLIM nodes on the local target: what a deploy
/// would change, and nothing else; secrets never printed.
@Suite(.serialized) struct DiffEndToEnd {
    /// The `+`/`-` lines of every diff in the output (not the `---`/`+++` headers).
    func changedLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter {
            ($0.hasPrefix("+") || $0.hasPrefix("-")) && !$0.hasPrefix("+++ ") && !$0.hasPrefix("--- ")
        }
    }

    @Test func beforeADeployEveryStepIsNotDeployedAndNothingIsWritten() async throws {
        let state = tempDir() + "/state"
        var (code, text) = try await run(["diff", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("cluster: not deployed: would create"), "\(text)")
        #expect(text.contains("slim: not deployed: would install"), "\(text)")
        #expect(text.contains("slim-any-node: not deployed: would apply"), "\(text)")
        #expect(!text.contains("receiver") && !text.contains("sender"), "the test apps are `test`'s, not deploy's: \(text)")
        #expect(!FileManager.default.fileExists(atPath: state), "diff only looks")
        (code, text) = try await run(["diff", "daemonset", "--exit-code"], state: state)
        #expect(code == 1, "with --exit-code, something to install is a difference: \(text)")
    }

    @Test func aSetShowsExactlyThatChangeInTheValuesAndEveryNodeConfig() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        var (code, text) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        (code, text) = try await run(["diff", "daemonset", "--exit-code"], state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("slim: unchanged") && text.hasSuffix("no differences: a deploy would change nothing\n"), "\(text)")
        #expect(changedLines(text).isEmpty, "\(text)")

        let set = ["--set", "slim.config.tracing.log_level=debug"]
        (code, text) = try await run(["diff", "daemonset"] + set, state: state)
        #expect(code == 0, "differences alone are exit 0: \(text)")
        #expect(text.contains("slim: would re-run (values changed: --set slim.config.tracing.log_level)"), "\(text)")
        #expect(text.contains("--- deployed\n+++ would deploy\n@@ "), "\(text)")
        #expect(
            changedLines(text) == [
                "-      log_level: info", "+      log_level: debug",
                "-  log_level: info", "+  log_level: debug", "-  log_level: info", "+  log_level: debug"
            ],
            "the values, then each of the two SLIM nodes' configs: \(text)")
        #expect(text.contains("controller: unchanged") && text.contains("slim-any-node: unchanged"), "\(text)")
        (code, text) = try await run(["diff", "daemonset", "--exit-code"] + set, state: state)
        #expect(code == 1, "\(text)")

        (code, text) = try await run(["diff", "daemonset", "-o", "json"] + set, state: state)
        #expect(code == 0, "\(text)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "\(text)")
        #expect(entries.map { $0["kind"] as? String } == ["values", "config", "config"], "\(text)")
        #expect(entries.allSatisfy { $0["step"] as? String == "slim" && $0["release"] as? String == "slim" }, "\(text)")
        #expect(entries.allSatisfy { changedLines($0["diff"] as? String ?? "").count == 2 }, "\(text)")

        // The deploy that follows says why the SLIM step runs again; then nothing differs.
        (code, text) = try await run(["deploy", "daemonset"] + set, state: state)
        #expect(code == 0, "\(text)")
        #expect(text.contains("      slim: re-running (values changed: --set slim.config.tracing.log_level)"), "\(text)")
        #expect(text.contains("controller: skipped (unchanged"), "\(text)")
        (code, text) = try await run(["diff", "daemonset", "--exit-code"] + set, state: state)
        #expect(code == 0 && changedLines(text).isEmpty, "\(text)")
        (code, text) = try await run(["delete", "daemonset"], state: state)
        #expect(code == 0, "\(text)")
        (code, text) = try await run(["diff", "daemonset"], state: state)
        #expect(text.contains("slim: not deployed: would install"), "delete forgets what was deployed: \(text)")
    }

    /// A strategy whose SLIM values carry the generated shared secret (as a value under a key
    /// that does not say it is secret), so only masking by value can hide it.
    func secretStrategy(_ dir: String) throws -> String {
        var text = try String(contentsOfFile: "\(root)/strategies/daemonset.yaml", encoding: .utf8)
        text = text.replacingOccurrences(of: "name: daemonset\n", with: "name: secretdiff\n")
            .replacingOccurrences(of: "../values/", with: "\(root)/values/")
            .replacingOccurrences(of: "manifests/daemonset/", with: "\(root)/strategies/manifests/daemonset/")
            .replacingOccurrences(
                of: "        slim.image.tag: \"((slimTag))\"\n",
                with: "        slim.image.tag: \"((slimTag))\"\n        slim.extra.note: \"((sharedSecret))\"\n")
        let file = "\(dir)/secretdiff.yaml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func theSharedSecretIsNeverPrinted() async throws {
        let state = tempDir(), dir = tempDir()
        defer { cleanup(state) }
        let strategy = try secretStrategy(dir)
        var (code, text) = try await run(["deploy", strategy], state: state)
        #expect(code == 0, "\(text)")
        let secret = try sharedSecret(state, strategy: "secretdiff")
        let values = try String(contentsOfFile: "\(state)/deployed/secretdiff-local/slim.json", encoding: .utf8)
        #expect(values.contains(secret), "the recorded values hold the secret (0600), so a changed one can be told")

        // A new shared secret and a secret-named value: both changes show, neither value does.
        let next = "Zq7" + String(secret.reversed().dropFirst(3))
        for output in ["text", "json"] {
            (code, text) = try await run(
                [
                    "diff", strategy, "-o", output, "--var", "sharedSecret=\(next)",
                    "--set", "slim.db.password=hunter2-hunter2"
                ], state: state)
            #expect(code == 0, "\(text)")
            #expect(!text.contains(secret) && !text.contains(next) && !text.contains("hunter2"), "\(text)")
            #expect(text.contains("<secret:sharedSecret>") && text.contains("<secret:sharedSecret (changed)>"), "\(text)")
            #expect(text.contains("<secret:slim.db.password>"), "\(text)")
        }
        (code, text) = try await run(["diff", strategy], state: state)
        #expect(code == 0 && !text.contains(secret) && changedLines(text).isEmpty, "\(text)")
    }
}
