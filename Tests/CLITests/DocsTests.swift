import Foundation
import Testing
import Tools

/// The documentation's sessions, run as written. Each ```console block of a page is a list of
/// `$ command` lines, each followed by lines of its expected output; every expected line must
/// appear in the command's output, in order (`…` stands for any text within a line; a line of
/// just `…` for any lines). A command must exit 0 unless its expected output is an error or the
/// next command is `echo $?`, which then shows the code. All blocks of a page run in one shell,
/// in order, in an empty folder with a fresh state folder, with this build's slimctl first on
/// PATH.
@Suite struct DocsTests {
    struct Step {
        var command: String
        var expected: [String]
    }

    static func consoleSteps(_ markdown: String) -> [Step] {
        var steps: [Step] = []
        var inBlock = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                inBlock = !inBlock && line == "```console"
                continue
            }
            guard inBlock else { continue }
            if line.hasPrefix("$ ") {
                steps.append(Step(command: String(line.dropFirst(2)), expected: []))
            } else if !steps.isEmpty, !line.trimmingCharacters(in: .whitespaces).isEmpty {
                steps[steps.count - 1].expected.append(line)
            }
        }
        return steps
    }

    /// `expected` as an anchored pattern: literal text, `…` for anything.
    static func matches(_ line: String, _ expected: String) -> Bool {
        let parts = expected.components(separatedBy: "…").map(NSRegularExpression.escapedPattern(for:))
        let pattern = "^" + parts.joined(separator: ".*") + "$"
        return line.range(of: pattern, options: .regularExpression) != nil
    }

    /// Each expected line, in order, against the output's lines; the first one missing.
    static func firstMissing(_ expected: [String], in output: String) -> String? {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var at = 0
        for e in expected where e != "…" {
            guard let found = lines[at...].firstIndex(where: { matches($0, e) }) else { return e }
            at = found + 1
        }
        return nil
    }

    /// Runs every step of a page in one shell; (output, exit code) per step.
    static func run(_ steps: [Step], page: String) async throws -> [(String, Int32)] {
        let sandbox = tempDir(), state = tempDir()
        defer { cleanup(state); try? FileManager.default.removeItem(atPath: sandbox) }
        var script = "cd \"$1\"\n"
        for (i, s) in steps.enumerated() {
            // `$?` is carried across the markers, so `echo $?` shows the previous command's code.
            script += "__rc=$?\nprintf '\\n@@BEGIN \(i)@@\\n'\n(exit $__rc)\n\(s.command) 2>&1\n__rc=$?\nprintf '\\n@@END \(i) %d@@\\n' $__rc\n(exit $__rc)\n"
        }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLIMCTL_") }
        let bin = (try slimctlBinary() as NSString).deletingLastPathComponent
        env["PATH"] = "\(bin):\(root)/.tools/bin:" + (env["PATH"] ?? "/usr/bin:/bin")
        env["SLIMCTL_STATE_DIR"] = state
        env["NO_COLOR"] = "1"
        let (code, out) = try await Spawn.capture(["/bin/bash", "-c", script, "docs", sandbox], environment: env, timeout: .seconds(900))
        #expect(code == 0 || code == 1 || code == 2 || code == 3, "\(page): the shell itself failed (\(code)): \(out)")
        var results: [(String, Int32)] = []
        for i in steps.indices {
            guard let b = out.range(of: "@@BEGIN \(i)@@\n"), let e = out.range(of: "\n@@END \(i) ", range: b.upperBound..<out.endIndex),
                let close = out.range(of: "@@", range: e.upperBound..<out.endIndex)
            else {
                throw TestFailure("\(page): no output for `\(steps[i].command)`; the whole run: \(out)")
            }
            results.append((String(out[b.upperBound..<e.lowerBound]), Int32(out[e.upperBound..<close.lowerBound]) ?? -1))
        }
        return results
    }

    static func check(_ page: String) async throws {
        let text = try String(contentsOfFile: "\(root)/Docs/\(page)", encoding: .utf8)
        let steps = consoleSteps(text)
        #expect(!steps.isEmpty, "\(page) has no console block")
        let results = try await run(steps, page: page)
        for (i, s) in steps.enumerated() {
            let (out, code) = results[i]
            if let missing = firstMissing(s.expected, in: out) {
                Issue.record("\(page): `\(s.command)` did not print\n  \(missing)\nit printed (exit \(code)):\n\(out)")
            }
            let showsCode = i + 1 < steps.count && steps[i + 1].command == "echo $?"
            let isError = s.expected.first.map { $0.hasPrefix("error:") || $0.hasPrefix("Error:") } ?? false
            if !showsCode && s.command != "echo $?" {
                #expect(isError ? code != 0 : code == 0, "\(page): `\(s.command)` exited \(code):\n\(out)")
            }
        }
    }

    @Test func troubleshooting() async throws { try await Self.check("troubleshooting.md") }
    @Test func strategyAuthoring() async throws { try await Self.check("strategy-authoring.md") }
    @Test func fromTheTaskfiles() async throws { try await Self.check("from-taskfiles.md") }

    /// The migration tables' commands are the ones the tested session runs: every `slimctl …`
    /// in a table row starts a `$` line of the page's console blocks.
    @Test func everyTaskfileRowIsRunByTheSession() throws {
        let text = try String(contentsOfFile: "\(root)/Docs/from-taskfiles.md", encoding: .utf8)
        let run = Self.consoleSteps(text).map(\.command)
        var rows = 0
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            for cmd in cells[1].components(separatedBy: "`").enumerated().filter({ $0.offset % 2 == 1 }).map(\.element) where cmd.hasPrefix("slimctl ") {
                rows += 1
                #expect(run.contains { $0.hasPrefix(cmd) }, "`\(cmd)` (from-taskfiles.md: \(line)) is not run by the page's session")
            }
        }
        #expect(rows >= 15, "found \(rows) commands in the tables")
    }

    @Test func theMatcherCanFail() {
        #expect(Self.firstMissing(["a", "c"], in: "a\nb\nc") == nil)
        #expect(Self.firstMissing(["c", "a"], in: "a\nb\nc") == "a", "order matters")
        #expect(Self.firstMissing(["x…z"], in: "xyz") == nil)
        #expect(Self.firstMissing(["x…z"], in: "xyzq") == "x…z", "anchored")
        #expect(Self.firstMissing(["a.c"], in: "abc") == "a.c", "literal, not a pattern")
    }
}
