import Foundation
import Testing
import Tools
import YAML

@testable import SlimCLI

/// Shell completion through the real binary, called exactly as the generated scripts call it:
/// `slimctl ---completion <command…> -- <argument> <word index> <cursor> <words…>` (see
/// ArgumentParser's `CommandParser.parseCustomCompletion`). Every answer must be only the
/// candidates — nothing on stderr — and must leave no state behind.
@Suite(.serialized) struct CompletionTests {
    struct Answer {
        var candidates: [String]
        var stderr: String
        var status: Int32
        var seconds: Double
    }

    /// Completes the word at `index` of `words` (default: the last; "slimctl" is word 0) for
    /// `argument` (`positional@N` or an option's name) of the command `command`.
    static func complete(
        _ command: [String], _ argument: String, words: [String], index: Int? = nil, state: String? = nil,
        env extra: [String: String] = [:]
    ) async throws -> Answer {
        let i = index ?? words.count - 1
        var env = ProcessInfo.processInfo.environment
        env["SLIMCTL_STATE_DIR"] = state ?? "\(tempDir())/state"
        env["NO_COLOR"] = "1"
        for (k, v) in extra { env[k] = v }
        let argv = [try slimctlBinary(), "---completion"] + command + ["--", argument, String(i), String(words[i].count)] + words
        let start = ContinuousClock.now
        let r = try await Spawn.captureSeparately(argv, environment: env, timeout: .seconds(60))
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let out = String(decoding: r.stdout, as: UTF8.self)
        return Answer(
            candidates: out.split(separator: "\n").map(String.init), stderr: String(decoding: r.stderr, as: UTF8.self),
            status: r.status, seconds: seconds)
    }

    /// The steps `slimctl strategies -o json` lists for each strategy.
    static func listedSteps(extra: [String] = []) async throws -> [String: [String]] {
        let (code, json) = try await run(["strategies", "-o", "json"] + extra, state: tempDir())
        #expect(code == 0, "\(json)")
        var out: [String: [String]] = [:]
        for s in try Value(json: json).listValue ?? [] {
            out[s["name"]?.stringValue ?? ""] = (s["steps"]?.listValue ?? []).compactMap(\.stringValue)
        }
        return out
    }

    /// A folder holding `mine.yaml`, a copy of the daemonset strategy under another name.
    static func ownStrategies() throws -> String {
        let dir = tempDir()
        let text = try String(contentsOfFile: "\(root)/strategies/daemonset.yaml", encoding: .utf8)
        try text.replacingOccurrences(of: "\nname: daemonset\n", with: "\nname: mine\n").write(toFile: "\(dir)/mine.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    @Test(arguments: [
        (["deploy"], "positional@0"), (["render"], "positional@0"), (["plan"], "positional@0"), (["diff"], "positional@0"),
        (["verify"], "positional@0"), (["status"], "positional@0"), (["delete"], "positional@0"), (["ci"], "positional@0"),
        (["cluster", "up"], "positional@0"), (["cluster", "down"], "positional@0"), (["test", "all"], "positional@1"),
        (["local-node", "list"], "--strategy")
    ])
    func everyStrategyArgumentOffersTheStrategies(command: [String], argument: String) async throws {
        let state = "\(tempDir())/state"
        let path = command.first == "test" ? ["test"] : command
        let lead = argument == "--strategy" ? ["-s"] : []
        let a = try await Self.complete(path, argument, words: ["slimctl"] + command + lead + [""], state: state)
        #expect(a.status == 0 && a.stderr.isEmpty, "\(a)")
        #expect(a.candidates == ["daemonset", "statefulset"], "\(a)")
        #expect(!FileManager.default.fileExists(atPath: state), "completion created the state folder")

        let mine = try Self.ownStrategies()
        let b = try await Self.complete(path, argument, words: ["slimctl"] + command + ["--strategies", mine] + lead + [""], state: state)
        #expect(b.candidates == ["daemonset", "statefulset", "mine"] && b.stderr.isEmpty, "\(b)")
        let c = try await Self.complete(path, argument, words: ["slimctl"] + command + lead + [""], env: ["SLIMCTL_STRATEGIES": mine])
        #expect(c.candidates.contains("mine"), "SLIMCTL_STRATEGIES folders count: \(c)")
    }

    /// The cluster's time to answer: 2 s, or `SLIMCTL_COMPLETION_TIMEOUT` when it is a positive
    /// number of seconds; anything else keeps the default rather than failing a `<TAB>`.
    @Test func theClusterDeadlineIsTwoSecondsUnlessTheEnvironmentSaysOtherwise() {
        #expect(ClusterPodNames.deadline(environment: [:]) == .seconds(2))
        #expect(ClusterPodNames.deadline(environment: ["SLIMCTL_COMPLETION_TIMEOUT": "30"]) == .seconds(30))
        #expect(ClusterPodNames.deadline(environment: ["SLIMCTL_COMPLETION_TIMEOUT": "0.5"]) == .milliseconds(500))
        for bad in ["", "0", "-1", "soon", "nan", "inf"] {
            #expect(ClusterPodNames.deadline(environment: ["SLIMCTL_COMPLETION_TIMEOUT": bad]) == .seconds(2), "\(bad)")
        }
    }

    @Test func aMissingStrategiesFolderIsLeftOutNotReported() async throws {
        let a = try await Self.complete(["deploy"], "positional@0", words: ["slimctl", "deploy", "--strategies", "/nonexistent/dir", ""])
        #expect(a.status == 0 && a.stderr.isEmpty && a.candidates == ["daemonset", "statefulset"], "\(a)")
    }

    @Test(arguments: ["--only", "--from", "--skip"])
    func stepOptionsOfferTheStepsOfTheStrategyOnTheLine(option: String) async throws {
        let listed = try await Self.listedSteps()
        for strategy in ["daemonset", "statefulset"] {
            let expected = try #require(listed[strategy])
            // Before and after the strategy word, with other options around.
            let after = try await Self.complete(["deploy"], option, words: ["slimctl", "deploy", strategy, "--target", "kind", option, ""])
            #expect(after.candidates == expected && after.stderr.isEmpty && after.status == 0, "\(strategy): \(after)")
            let before = try await Self.complete(["deploy"], option, words: ["slimctl", "deploy", "--force", option, "", strategy], index: 4)
            #expect(before.candidates == expected, "\(strategy): \(before)")
        }
        let mine = try Self.ownStrategies()
        let own = try await Self.complete(["deploy"], option, words: ["slimctl", "deploy", "--strategies", mine, "mine", option, "c"])
        #expect(own.candidates == listed["daemonset"], "a --strategies folder's strategy: \(own)")
        let unknown = try await Self.complete(["deploy"], option, words: ["slimctl", "deploy", "nosuch", option, ""])
        #expect(unknown.candidates.isEmpty && unknown.stderr.isEmpty && unknown.status == 0, "\(unknown)")
        let none = try await Self.complete(["deploy"], option, words: ["slimctl", "deploy", option, ""])
        #expect(none.candidates.isEmpty && none.stderr.isEmpty, "no strategy yet, nothing to offer: \(none)")
    }

    @Test func generationsAreTheOnesTheStrategyCanDeploy() async throws {
        let both = try await Self.complete(["deploy"], "--generation", words: ["slimctl", "deploy", "daemonset", "--generation", ""])
        #expect(both.candidates == ["2", "1.4"] && both.stderr.isEmpty, "\(both)")
        let one = try await Self.complete(["plan"], "--generation", words: ["slimctl", "plan", "--generation", "", "statefulset"], index: 3)
        #expect(one.candidates == ["1.4"], "generation 2 cannot deploy the statefulset strategy: \(one)")
    }

    /// `local-node remove <TAB>`: the layout's nodes before a deploy, the recorded ones after
    /// `local-node` changed them.
    @Test func localNodeCommandsOfferTheSimulatedNodes() async throws {
        let state = tempDir()
        let layout = try await Self.complete(["local-node", "remove"], "positional@0", words: ["slimctl", "local-node", "remove", ""], state: state)
        #expect(layout.candidates == ["slim-cluster-control-plane", "slim-cluster-worker", "slim-cluster-worker2"] && layout.stderr.isEmpty, "\(layout)")
        let (code, out) = try await run(["local-node", "add", "edge-1"], state: state)
        #expect(code == 0, "\(out)")
        let added = try await Self.complete(
            ["local-node", "cordon"], "positional@0", words: ["slimctl", "local-node", "cordon", "-s", "daemonset", "e"],
            state: state)
        #expect(added.candidates.contains("edge-1") && added.candidates.contains("slim-cluster-worker"), "\(added)")
        cleanup(state)
    }

    @Test func contextsComeFromTheKubeconfigTheCommandWouldRead() async throws {
        let dir = tempDir()
        func kubeconfig(_ contexts: [String], current: String) -> String {
            """
            apiVersion: v1
            kind: Config
            current-context: \(current)
            clusters:
            - name: c
              cluster: {server: "https://127.0.0.1:1"}
            users:
            - name: u
              user: {token: t}
            contexts:
            \(contexts.map { "- name: \($0)\n  context: {cluster: c, user: u}" }.joined(separator: "\n"))
            """
        }
        try kubeconfig(["alpha", "prod", "kind-slim-cluster"], current: "prod").write(toFile: "\(dir)/one", atomically: true, encoding: .utf8)
        try kubeconfig(["other"], current: "other").write(toFile: "\(dir)/two", atomically: true, encoding: .utf8)
        let fromEnv = try await Self.complete(
            ["deploy"], "--context", words: ["slimctl", "deploy", "daemonset", "--target", "cluster", "--context", ""],
            env: ["KUBECONFIG": "\(dir)/one"])
        #expect(fromEnv.candidates == ["prod", "alpha", "kind-slim-cluster"] && fromEnv.stderr.isEmpty, "current first, then by name: \(fromEnv)")
        let fromFlag = try await Self.complete(
            ["status"], "--context", words: ["slimctl", "status", "--kubeconfig", "\(dir)/two", "--context", "o"],
            env: ["KUBECONFIG": "\(dir)/one"])
        #expect(fromFlag.candidates == ["other"], "--kubeconfig wins over KUBECONFIG: \(fromFlag)")
        let missing = try await Self.complete(
            ["deploy"], "--context", words: ["slimctl", "deploy", "--context", ""],
            env: ["KUBECONFIG": "\(dir)/none", "HOME": dir])
        #expect(missing.candidates.isEmpty && missing.stderr.isEmpty && missing.status == 0, "\(missing)")
    }

    /// After a local deploy, `logs <TAB>` offers the strategies, the components and every pod.
    @Test func logsOffersThePodsOfALocalDeployment() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, out) = try await run(["deploy", "daemonset"], state: state)
        #expect(code == 0, "\(out)")
        let pods = (try await status("daemonset", state: state)["pods"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(pods.count >= 2, "\(pods)")
        let second = try await Self.complete(["logs"], "positional@0", words: ["slimctl", "logs", "daemonset", ""], state: state)
        #expect(second.status == 0 && second.stderr.isEmpty, "\(second)")
        #expect(Array(second.candidates.prefix(5)) == ["slim", "controller", "spire", "receiver", "sender"], "\(second)")
        #expect(Set(second.candidates.dropFirst(5)) == Set(pods), "every pod of the state: \(second) vs \(pods)")
        let first = try await Self.complete(["logs"], "positional@0", words: ["slimctl", "logs", "-f", ""], state: state)
        #expect(
            Array(first.candidates.prefix(2)) == ["daemonset", "statefulset"] && Set(pods).isSubset(of: first.candidates),
            "one word: a strategy, a component, or a pod of the default strategy: \(first)")
        let other = try await Self.complete(["logs"], "positional@0", words: ["slimctl", "logs", "statefulset", "s"], state: state)
        #expect(other.candidates == ["slim", "controller", "spire", "receiver", "sender"], "statefulset is not deployed: \(other)")
        let (dcode, dout) = try await run(["delete", "daemonset"], state: state)
        #expect(dcode == 0, "\(dout)")
    }

    @Test func targetsAreOfferedFromTheTargetKinds() async throws {
        let (code, script) = try await run(["--generate-completion-script", "bash"], state: tempDir())
        #expect(code == 0)
        let listed = script.contains("'local'$'\\n''kind'$'\\n''cluster'")
        #expect(listed, "the --target list")
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func generatedScriptsCallTheCustomCompletions(shell: String) async throws {
        let (code, script) = try await run(["--generate-completion-script", shell], state: tempDir())
        #expect(code == 0, "\(script.prefix(300))")
        for call in [
            "---completion deploy -- positional@0", "---completion deploy -- --only", "---completion deploy -- --from",
            "---completion deploy -- --skip", "---completion deploy -- --context", "---completion test -- positional@1",
            "---completion logs -- positional@0", "---completion local-node list -- --strategy", "---completion cluster up -- positional@0"
        ] {
            let has = script.contains(call)
            #expect(has, "\(shell) script lacks `\(call)`")
        }
        let hidden = script.contains("channel-manager")
        #expect(!hidden, "hidden commands stay hidden")
    }

    /// The bash script end to end: bash's completion variables set as bash sets them on TAB,
    /// the script's function called, COMPREPLY printed.
    @Test func bashCompletesThroughTheGeneratedScript() async throws {
        let dir = tempDir()
        let (code, script) = try await run(["--generate-completion-script", "bash"], state: tempDir())
        #expect(code == 0)
        try script.write(toFile: "\(dir)/slimctl.bash", atomically: true, encoding: .utf8)
        let bin = try slimctlBinary()
        func tab(_ words: [String]) async throws -> [String] {
            let line = words.joined(separator: " ")
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let prev = words.count > 1 ? words[words.count - 2] : ""
            let driver = """
                source '\(dir)/slimctl.bash'
                COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
                _slimctl '\(bin)' '\(words.last ?? "")' '\(prev)'
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let (status, out) = try await Spawn.capture(
                ["bash", "-c", driver], environment: ["PATH": "/usr/bin:/bin", "SLIMCTL_STATE_DIR": "\(dir)/state"],
                timeout: .seconds(60))
            #expect(status == 0, "\(out)")
            return out.split(separator: "\n").map(String.init)
        }
        let listed = try await Self.listedSteps()
        #expect(try await tab([bin, "deploy", "statefulset", "--only", ""]) == listed["statefulset"])
        #expect(try await tab([bin, "deploy", "daemonset", "--target", ""]) == ["local", "kind", "cluster"])
        #expect(try await tab([bin, "verify", "st"]) == ["statefulset"])
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/state"))
    }

    /// The completion reader must know which options take a value (or it would take the value
    /// for the strategy word): every option of every command, from the parser's own description.
    @Test func theCompletionReaderKnowsEveryOptionThatTakesAValue() async throws {
        let (code, json) = try await run(["--experimental-dump-help"], state: tempDir())
        #expect(code == 0, "\(json.prefix(300))")
        var names = Set<String>()
        func walk(_ command: Value) {
            for a in command["arguments"]?.listValue ?? [] where a["kind"]?.stringValue == "option" {
                for n in a["names"]?.listValue ?? [] {
                    let name = n["name"]?.stringValue ?? ""
                    names.insert(n["kind"]?.stringValue == "long" ? "--\(name)" : "-\(name)")
                }
            }
            for s in command["subcommands"]?.listValue ?? [] { walk(s) }
        }
        walk(try #require(try Value(json: json)["command"]))
        #expect(names.count > 20, "\(names)")
        #expect(names.subtracting(CompletionWords.valued).isEmpty, "options the completion reader does not know: \(names.subtracting(CompletionWords.valued))")
        #expect(CompletionWords.valued.subtracting(names).isEmpty, "no command has: \(CompletionWords.valued.subtracting(names))")
    }

    @Test func theReaderFindsCommandPathPositionalsAndOptionValues() {
        let w = CompletionWords(
            [
                "slimctl", "-n", "demo", "--target=kind", "cluster", "up", "statefulset", "-ojson", "--var", "a=b", "--strategies",
                "'~/mine'", "--only", ""
            ], completing: 13)
        #expect(w.path == ["cluster", "up"])
        #expect(w.positionals == ["statefulset"])
        #expect(w.last("-n", "--namespace") == "demo" && w.last("--target") == "kind" && w.last("-o", "--output") == "json")
        #expect(w.values("--var") == ["a=b"])
        #expect(w.values("--strategies") == [(ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/mine"])
        #expect(w.values("--only").isEmpty, "the word being completed is not a value yet")
        let logs = CompletionWords(["slimctl", "logs", "daemonset", "sl", "-f", "--tail", "5"], completing: 3)
        #expect(logs.path == ["logs"] && logs.positionals == ["daemonset"] && logs.last("--tail") == "5")
        let after = CompletionWords(["slimctl", "deploy", "--", "--weird", ""], completing: 4)
        #expect(after.positionals == ["--weird"])
    }
}
