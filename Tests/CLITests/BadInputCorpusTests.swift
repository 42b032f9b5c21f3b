import Foundation
import Testing
import Tools

/// The real binary against input it used to accept or explain badly. Every case must exit 2
/// with a message naming the bad token (and its file:line:column when it comes from a file),
/// and no output may carry Foundation's error text.
@Suite(.serialized) struct BadInputCorpus {
    struct Case: CustomStringConvertible {
        var args: [String]
        var env: [String: String] = [:]
        /// Each must appear in the output.
        var expect: [String]
        var description: String { args.joined(separator: " ") }
    }

    static func runSlimctl(_ args: [String], state: String, env extra: [String: String] = [:]) async throws -> (Int32, String) {
        var env = ProcessInfo.processInfo.environment
        env["SLIMCTL_STATE_DIR"] = state
        env["NO_COLOR"] = "1"
        for (k, v) in extra { env[k] = v }
        return try await Spawn.capture([try slimctlBinary()] + args, environment: env, timeout: .seconds(300))
    }

    /// The built-in daemonset strategy with absolute paths, so a variant can live anywhere.
    static func daemonset() throws -> String {
        try String(contentsOfFile: "\(root)/strategies/daemonset.yaml", encoding: .utf8)
            .replacingOccurrences(of: "../values/", with: "\(root)/values/")
            .replacingOccurrences(of: "manifests/daemonset/", with: "\(root)/strategies/manifests/daemonset/")
    }

    /// 1-based line and column of the first `needle` in `text`.
    static func position(of needle: String, in text: String) -> String {
        guard let r = text.range(of: needle) else { return "<\(needle) not found>" }
        let before = text[..<r.lowerBound]
        let line = before.filter { $0 == "\n" }.count + 1
        let column = before.count - (before.lastIndex(of: "\n").map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
        return "\(line):\(column)"
    }

    /// Writes `text` as `name` in `dir`, returning the path.
    static func file(_ dir: String, _ name: String, _ text: String) throws -> String {
        let p = "\(dir)/\(name)"
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    static func corpus(_ dir: String) throws -> [Case] {
        let base = try daemonset()
        var cases: [Case] = []
        func variant(_ name: String, _ from: String, _ to: String) throws -> (path: String, text: String) {
            #expect(base.contains(from), "the daemonset strategy no longer contains \(from)")
            let text = base.replacingOccurrences(of: from, with: to)
            return (try file(dir, name, text), text)
        }

        // 1. Wrongly accepted input.
        cases.append(
            Case(args: ["render", "daemonset", "--strategies", "/nonexistent-strategies"], expect: ["--strategies /nonexistent-strategies", "does not exist"]))
        cases.append(
            Case(
                args: ["render", "daemonset"], env: ["SLIMCTL_STRATEGIES": "/nonexistent-env-strategies"],
                expect: ["SLIMCTL_STRATEGIES /nonexistent-env-strategies"]))
        cases.append(Case(args: ["render", "daemonset", "--set", "nope:a=1"], expect: ["--set nope:a=1", "no release `nope`", "slim-control, slim"]))
        cases.append(Case(args: ["render", "daemonset", "-f", "nope:file.yaml"], expect: ["-f nope:file.yaml", "no release `nope`"]))
        cases.append(Case(args: ["render", "daemonset", "--set-string", "slim-contrl:a=b"], expect: ["slim-contrl", "did you mean `slim-control:`"]))
        cases.append(
            Case(args: ["render", "daemonset", "--var", "namespace=Bad Name!"], expect: ["`Bad Name!`", "DNS-1123", "variable `namespace`", "daemonset.yaml:"]))
        cases.append(Case(args: ["render", "daemonset", "--var", "clusterName=My_Cluster"], expect: ["cluster name `My_Cluster`", "variable `clusterName`"]))

        let unterminated = try variant(
            "unterminated.yaml", "      release: slim-control\n      namespace: ((namespace))", "      release: slim-control\n      namespace: ((namespace")
        cases.append(
            Case(
                args: ["render", unterminated.path],
                expect: ["unterminated.yaml:\(position(of: "((namespace\n", in: unterminated.text))", "unterminated placeholder `((namespace`"]))

        let values = try file(dir, "vals/slim-2.yaml", "slim:\n  extra: team-((namespace\n")
        let inValues = try variant(
            "in-values.yaml", "[../values/daemonset/slim-((generation)).yaml]".replacingOccurrences(of: "../values/", with: "\(root)/values/"), "[\(values)]")
        _ = inValues
        cases.append(Case(args: ["render", inValues.path], expect: ["slim-2.yaml:2:15", "unterminated placeholder `((namespace`"]))

        let manifest = try String(contentsOfFile: "\(root)/strategies/manifests/daemonset/sender.yaml", encoding: .utf8)
        let brokenManifest = try file(dir, "manifests/sender.yaml", manifest.replacingOccurrences(of: "((testImage))", with: "((testImage"))
        let inManifest = try variant("in-manifest.yaml", "\(root)/strategies/manifests/daemonset/sender.yaml", brokenManifest)
        cases.append(Case(args: ["render", inManifest.path], expect: ["manifests/sender.yaml:", "unterminated placeholder `((testImage`"]))

        let cycle = try variant("cycle.yaml", "  clusterName:\n    default: slim-cluster", "  clusterName:\n    default: \"((namespace))-cluster\"")
        let cycle2 = try file(
            dir, "cycle2.yaml",
            cycle.text.replacingOccurrences(of: "  namespace:\n    default: slim", with: "  namespace:\n    default: \"((clusterName))-ns\""))
        cases.append(Case(args: ["render", cycle2], expect: ["cycle", "`clusterName`", "`namespace`"]))

        let stepTimeout = try variant("step-timeout.yaml", "    needs: [cluster]\n", "    needs: [cluster]\n    timeout: -1\n")
        cases.append(
            Case(
                args: ["render", stepTimeout.path], expect: ["step-timeout.yaml:\(position(of: "-1\n", in: stepTimeout.text))", "`timeout`", "above 0", "`-1`"])
        )
        let testTimeout = try variant("test-timeout.yaml", "  timeout: 120", "  timeout: 0")
        cases.append(Case(args: ["render", testTimeout.path], expect: ["test-timeout.yaml:", "`timeout` in `test`", "`0`"]))
        cases.append(Case(args: ["ci", "daemonset", "--test-timeout=-1"], expect: ["--test-timeout -1"]))
        cases.append(Case(args: ["ci", "daemonset", "--verify-timeout", "-1"], expect: ["--verify-timeout -1"]))
        cases.append(Case(args: ["verify", "daemonset", "--timeout", "-1"], expect: ["--timeout -1"]))
        cases.append(Case(args: ["test", "all", "daemonset", "--timeout", "0"], expect: ["--timeout 0"]))
        cases.append(Case(args: ["logs", "daemonset", "slim", "--tail", "-2"], expect: ["--tail -2"]))

        // 2. Messages that name the real cause.
        let folder = dir + "/a-folder"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fifo = dir + "/a-fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        cases.append(Case(args: ["render", "daemonset", "-f", folder], expect: [folder, "is a directory"]))
        cases.append(Case(args: ["render", "daemonset", "-f", "/dev/zero"], expect: ["/dev/zero", "is not a regular file"]))
        cases.append(Case(args: ["render", "daemonset", "-f", fifo], expect: [fifo, "is not a regular file"]))
        cases.append(Case(args: ["render", "daemonset", "--set-file", "slim.config=\(folder)"], expect: [folder, "is a directory"]))
        cases.append(Case(args: ["render", folder + "/"], expect: [folder, "is a directory"]))
        let valuesDir = try variant("values-dir.yaml", "[\(root)/values/daemonset/slim-((generation)).yaml]", "[\(folder)]")
        cases.append(
            Case(
                args: ["render", valuesDir.path],
                expect: ["values-dir.yaml:\(position(of: "[\(folder)]", in: valuesDir.text).split(separator: ":")[0])", "is a directory"]))
        let messages = try variant("messages.yaml", "  messages: 10", "  messages: [ten]")
        cases.append(Case(args: ["render", messages.path], expect: ["messages.yaml:", "`messages` in `test` must be a whole number, found a list"]))
        var latin = Array(base.utf8)
        let at = Array(base.utf8).firstIndex(of: UInt8(ascii: "#")) ?? 0
        latin.insert(0xE9, at: at + 2)
        let latinPath = dir + "/latin1.yaml"
        FileManager.default.createFile(atPath: latinPath, contents: Data(latin))
        cases.append(Case(args: ["render", latinPath], expect: ["latin1.yaml is not UTF-8 at 1:3"]))
        let stateFile = try file(dir, "state-file", "not a folder\n")
        cases.append(Case(args: ["deploy", "daemonset", "--state-dir", stateFile], expect: [stateFile, "is not a directory"]))
        cases.append(Case(args: ["render", "daemonset", "--out", stateFile], expect: [stateFile, "is not a directory"]))
        cases.append(Case(args: ["render", "daemonset", "--out", "/proc/slimctl-corpus"], expect: ["/proc/slimctl-corpus", "does not allow new folders"]))
        cases.append(Case(args: ["deploy", "daemonset", "--state-dir", "/proc/slimctl-corpus-state"], expect: ["/proc/slimctl-corpus-state"]))

        // 3. Report paths are checked before anything runs.
        cases.append(Case(args: ["ci", "daemonset", "--report", "junit=\(stateFile)/j.xml"], expect: ["--report junit=\(stateFile)/j.xml", "not a directory"]))
        cases.append(Case(args: ["ci", "daemonset", "--report", "json=/proc/nope/x.xml"], expect: ["--report json=/proc/nope/x.xml", "/proc/nope"]))
        // A usage error is exit 2 too, as documented.
        cases.append(Case(args: ["render", "daemonset", "--no-such-flag"], expect: ["--no-such-flag"]))
        return cases
    }

    @Test func everyBadInputIsExit2NamingTheTokenWithoutFoundationText() async throws {
        let dir = tempDir(), state = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = try Self.corpus(dir)
        for c in cases {
            let (code, text) = try await Self.runSlimctl(c.args, state: state, env: c.env)
            #expect(code == 2, "\(c): exit \(code)\n\(text)")
            for e in c.expect { #expect(text.contains(e), "\(c): expected `\(e)` in\n\(text)") }
            #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("Error Domain="), "\(c): Foundation error text\n\(text)")
        }
        // The ci cases ran nothing: no step was started, no process left.
        #expect(!FileManager.default.fileExists(atPath: "\(state)/runs"), "a ci run started despite a bad report path")
    }

    @Test func logsTailMinusOneMeansAllLines() async throws {
        let state = tempDir()
        let (code, text) = try await Self.runSlimctl(["logs", "daemonset", "slim", "--tail", "-1"], state: state)
        // Nothing is deployed in this state folder; what matters is that -1 was taken as a value.
        #expect(!text.contains("--tail") && !text.contains("Missing value"), "\(text)")
        #expect(code == 2 && text.contains("nothing is running"), "\(code) \(text)")
    }

    @Test func aDefaultUsingAnotherVariableIsResolved() async throws {
        let dir = tempDir(), state = tempDir()
        let text = try Self.daemonset()
            .replacingOccurrences(of: "  sharedSecret:\n", with: "  podLabel:\n    default: \"((clusterName))-((namespace))\"\n  sharedSecret:\n")
            .replacingOccurrences(
                of: "        slim.image.tag: \"((slimTag))\"\n",
                with: "        slim.image.tag: \"((slimTag))\"\n        slim.podLabels.origin: \"((podLabel))\"\n")
        let path = try Self.file(dir, "derived.yaml", text)
        let (code, out) = try await Self.runSlimctl(["render", path, "--var", "namespace=team"], state: state)
        #expect(code == 0, "\(out)")
        #expect(out.contains("origin: slim-cluster-team"), "\(out)")
        #expect(!out.contains("(("), "no placeholder reaches the values: \(out)")
    }
}
