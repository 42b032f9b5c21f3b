import Foundation
import OrderedCollections
import Testing
import Tools
import YAML

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

    /// kubectl's habit of options before the command: the same plan either way, including after a
    /// two-word command, and an option slimctl does not share is still refused by the parser.
    @Test func sharedOptionsMayComeBeforeTheCommand() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, before) = try await run(["-n", "demo", "--target", "cluster", "-o", "json", "plan", "daemonset"], state: state)
        let (code2, after) = try await run(["plan", "daemonset", "-n", "demo", "--target", "cluster", "-o", "json"], state: state)
        #expect(code == 0 && code2 == 0, "\(before)\n\(after)")
        #expect(before == after && before.contains("--namespace demo"), "\(before)")
        let (code3, out3) = try await run(["--state-dir", state, "local-node", "list", "-o", "json"], state: state)
        #expect(code3 == 0 && out3.contains("slim-cluster-worker"), "\(out3)")
        let (code4, out4) = try await run(["--port-base", "5000", "deploy", "daemonset"], state: state)
        #expect(code4 == 2, "\(out4)")
    }

    /// State from an older build in `./.slimctl` is not read any more: said, with the fix.
    @Test func anOldStateFolderHereIsPointedOut() async throws {
        let cwd = tempDir()
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        try FileManager.default.createDirectory(atPath: "\(cwd)/.slimctl/state", withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLIMCTL_") }
        env["XDG_STATE_HOME"] = "\(cwd)/xdg"
        env["NO_COLOR"] = "1"
        let (code, out) = try await Spawn.capture(
            ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", cwd, try slimctlBinary(), "status", "daemonset"],
            environment: env, timeout: .seconds(120))
        #expect(code == 0, "\(out)")
        #expect(out.contains("keeps its state in \(cwd)/xdg/slimctl now") && out.contains("--state-dir \(cwd)/.slimctl"), "\(out)")
        let (code2, out2) = try await Spawn.capture(
            [
                "/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", cwd, try slimctlBinary(),
                "status", "daemonset", "--state-dir", "\(cwd)/.slimctl"
            ], environment: env, timeout: .seconds(120))
        #expect(code2 == 0 && !out2.contains("keeps its state"), "\(out2)")
    }

    /// `-o yaml` wherever `-o json` is taken, from the same writer: each answer parses as YAML
    /// and holds the same data as the JSON one.
    @Test(arguments: [
        ["strategies"], ["plan", "daemonset"], ["status", "daemonset"], ["verify", "daemonset"], ["version"],
        ["local-node", "list"]
    ])
    func yamlIsTheSameAnswerAsJSON(args: [String]) async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (jcode, json) = try await run(args + ["-o", "json"], state: state)
        let (ycode, yaml) = try await run(args + ["-o", "yaml"], state: state)
        #expect(jcode == ycode, "\(json)\n\(yaml)")
        let fromJSON = try Value(json: json)
        let fromYAML = try YAML.load(yaml, file: "-o yaml")
        // Ages move between the two runs, and `version` asks helm and kubectl with a timeout a
        // busy machine can hit in one run and not the other; everything else is the same answer.
        let moving: Set<String> = ["ageSeconds", "helm", "kubectl"]
        #expect(fromJSON.removingKeys(moving) == fromYAML.removingKeys(moving), "\(json)\n---\n\(yaml)")
        #expect(JSONStyle.problems(json).isEmpty, "\(JSONStyle.problems(json))")
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

/// The one JSON style: no escaped slashes, no exponents, floats to the millisecond.
enum JSONStyle {
    static func problems(_ text: String) -> [String] {
        var out: [String] = []
        if text.contains("\\/") { out.append("escaped slash") }
        // Numbers only (a value after `:` or in a list), not hex in commit ids or paths.
        if let r = text.range(of: #"[:\[,]\s*-?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+\s*[,}\]\n]"#, options: .regularExpression) {
            out.append("exponent: \(text[r])")
        }
        if let r = text.range(of: #"[:\[,]\s*-?[0-9]+\.[0-9]{4,}\s*[,}\]\n]"#, options: .regularExpression) { out.append("more than 3 decimals: \(text[r])") }
        return out
    }
}

extension Value {
    func removingKeys(_ keys: Set<String>) -> Value {
        switch self {
        case .map(let m):
            return .map(OrderedDictionary(uniqueKeysWithValues: m.filter { !keys.contains($0.key) }.map { ($0.key, $0.value.removingKeys(keys)) }))
        case .list(let l): return .list(l.map { $0.removingKeys(keys) })
        default: return self
        }
    }
}
