import Foundation
import Testing
import Tools

/// kubectl's and helm's habits: `-n/--namespace`, timeouts as Go durations, `NO_COLOR` only
/// when non-empty, help wrapped at the terminal's width.
@Suite struct Conventions {
    @Test func namespaceShortFlagSetsTheNamespaceVariable() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, out) = try await run(["plan", "daemonset", "--target", "cluster", "-n", "demo"], state: state)
        #expect(code == 0, "\(out)")
        #expect(out.contains("--namespace demo") && out.contains("Deployment demo/slim-control"), "\(out)")
        let (clash, text) = try await run(["plan", "daemonset", "-n", "demo", "--var", "namespace=other"], state: state)
        #expect(clash == 2 && text.contains("disagree"), "\(text)")
    }

    @Test(arguments: [("abc", true), ("2m", false), ("90", false), ("1h30m", false), ("1.5s", false), ("5x", true)])
    func timeoutsTakeSecondsOrGoDurations(value: String, refused: Bool) async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, out) = try await run(["verify", "daemonset", "--timeout", value], state: state)
        if refused {
            #expect(code == 2 && out.contains("is not a timeout"), "\(out)")
        } else {
            #expect(!out.contains("is not a timeout") && code != 2, "\(value): \(out)")
        }
    }

    @Test func aZeroDurationIsRefusedNamingTheOption() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, out) = try await run(["ci", "daemonset", "--verify-timeout", "0s"], state: state)
        #expect(code == 2 && out.contains("--verify-timeout"), "\(out)")
    }

    /// Help paragraphs are single lines the argument parser wraps at the terminal's width: at
    /// 200 columns no paragraph breaks early (a hand-wrapped sentence would), at 80 no line is
    /// longer than 80 and every example line stays whole.
    @Test(arguments: [[], ["deploy"], ["verify"], ["test"], ["logs"], ["ci"], ["render"], ["local-node"], ["cluster", "up"]])
    func helpIsWrappedAtTheTerminalWidth(command: [String]) async throws {
        func help(_ columns: Int) async throws -> [String] {
            var env = ProcessInfo.processInfo.environment
            env["COLUMNS"] = "\(columns)"
            let (code, text) = try await Spawn.capture([try slimctlBinary()] + command + ["--help"], environment: env, timeout: .seconds(60))
            #expect(code == 0, "\(text)")
            return text.components(separatedBy: "\n")
        }
        let wide = try await help(200), narrow = try await help(80)
        let prose = wide.prefix { !$0.hasPrefix("USAGE:") }
        // The parser breaks a line only when the next word would not fit; an earlier break is by hand.
        for (a, b) in zip(prose, prose.dropFirst()) where !a.isEmpty && !b.isEmpty && !a.hasPrefix(" ") && !b.hasPrefix(" ") {
            let nextWord = b.prefix { $0 != " " }.count
            if a.count + 1 + nextWord <= 200 { Issue.record("\(command): a paragraph breaks by hand after \"\(a)\"") }
        }
        #expect(narrow.allSatisfy { $0.count <= 80 }, "\(narrow.filter { $0.count > 80 })")
        for example in wide where example.hasPrefix("  slimctl ") {
            #expect(narrow.contains(example), "\(command): `\(example)` is broken at 80 columns")
        }
    }
}
