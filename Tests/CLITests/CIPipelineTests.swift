import Foundation
import Testing
import Tools

/// `slimctl ci` end to end on the local target, with its JUnit report read by a real JUnit
/// consumer (junitparser, installed by `make tools`), not by string matching.
@Suite(.serialized) struct CIPipeline {
    struct JUnitSummary: Decodable {
        var tests: Int
        var failures: Int
        var skipped: Int
        var failureMessages: [String]
        var caseNames: [String]
    }

    func readJUnit(_ path: String) async throws -> JUnitSummary {
        let py = "\(root)/.tools/py/bin/python"
        guard FileManager.default.isExecutableFile(atPath: py) else { throw TestFailure("\(py) missing: run `make tools`") }
        let script = """
            import json, sys
            from junitparser import JUnitXml, Failure, Skipped
            xml = JUnitXml.fromfile(sys.argv[1])
            tests = failures = skipped = 0; msgs = []; names = []
            for suite in xml:
                for case in suite:
                    tests += 1; names.append(case.name)
                    for r in case.result:
                        if isinstance(r, Failure): failures += 1; msgs.append(r.message or "")
                        elif isinstance(r, Skipped): skipped += 1
            print(json.dumps({"tests": tests, "failures": failures, "skipped": skipped, "failureMessages": msgs, "caseNames": names}))
            """
        let (code, out) = try await Spawn.capture([py, "-c", script, path])
        guard code == 0, let line = out.split(separator: "\n").last else { throw TestFailure("junitparser could not read \(path): \(out)") }
        return try JSONDecoder().decode(JUnitSummary.self, from: Data(line.utf8))
    }

    func noProcessesUnder(_ state: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid in
            guard Int(pid) != nil, let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return nil }
            return cmd.contains(state) ? cmd : nil
        }
    }

    @Test(arguments: ["daemonset", "statefulset"]) func passingPipeline(strategy: String) async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, text) = try await run(["ci", strategy, "--report", "junit=\(state)/junit.xml", "--report", "json=\(state)/report.json"], state: state)
        #expect(code == 0, "\(text)")
        let junit = try await readJUnit("\(state)/junit.xml")
        #expect(junit.failures == 0)
        #expect(junit.caseNames.contains("slim") && junit.caseNames.contains("delete"), "\(junit.caseNames)")
        #expect(junit.caseNames.contains { $0.hasPrefix("10 messages") })
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(state)/report.json"))) as? [String: Any]
        #expect(json?["result"] as? String == "passed")
        #expect((json?["cases"] as? [Any])?.count == junit.tests)
        let raw = try String(contentsOfFile: "\(state)/report.json", encoding: .utf8)
        #expect(JSONStyle.problems(raw).isEmpty, "\(JSONStyle.problems(raw))")
        #expect(noProcessesUnder(state).isEmpty, "left running: \(noProcessesUnder(state))")
    }

    @Test func failingReceiverGivesExit1FailureAndDiagnostics() async throws {
        let state = tempDir(), dir = tempDir()
        defer { cleanup(state) }
        // The daemonset strategy with a receiver whose container args are wrong: it dies at start.
        var strategy = try String(contentsOfFile: "\(root)/strategies/daemonset.yaml", encoding: .utf8)
        strategy = strategy.replacingOccurrences(of: "../values/", with: "\(root)/values/")
            .replacingOccurrences(of: "manifests/daemonset/sender.yaml", with: "\(root)/strategies/manifests/daemonset/sender.yaml")
            .replacingOccurrences(of: "manifests/daemonset/slim-any-node.yaml", with: "\(root)/strategies/manifests/daemonset/slim-any-node.yaml")
            .replacingOccurrences(of: "manifests/daemonset/receiver.yaml", with: "\(dir)/receiver.yaml")
            .replacingOccurrences(of: "name: daemonset", with: "name: broken-receiver")
        try strategy.write(toFile: "\(dir)/broken-receiver.yaml", atomically: true, encoding: .utf8)
        let receiver = try String(contentsOfFile: "\(root)/strategies/manifests/daemonset/receiver.yaml", encoding: .utf8)
            .replacingOccurrences(of: "- --local\n", with: "- --no-such-flag\n")
        try receiver.write(toFile: "\(dir)/receiver.yaml", atomically: true, encoding: .utf8)

        let (code, text) = try await run(["ci", "broken-receiver", "--strategies", dir, "--report", "junit=\(state)/junit.xml"], state: state)
        #expect(code == 1, "\(text)")
        let junit = try await readJUnit("\(state)/junit.xml")
        #expect(junit.failures == 1, "\(junit)")
        #expect(junit.failureMessages.first?.contains("exited at start") == true, "\(junit.failureMessages)")
        let diag = try FileManager.default.contentsOfDirectory(atPath: "\(state)/runs/broken-receiver").filter { $0.hasPrefix("ci-") }
        #expect(diag.count == 1)
        let base = "\(state)/runs/broken-receiver/\(diag.first ?? "")/diagnostics"
        #expect(FileManager.default.fileExists(atPath: "\(base)/pods.json"))
        #expect(FileManager.default.fileExists(atPath: "\(base)/values/slim.values.yaml"))
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: "\(base)/logs")) ?? []
        #expect(logs.contains { $0.hasPrefix("alice-") }, "\(logs)")
        #expect(noProcessesUnder(state).isEmpty, "left running: \(noProcessesUnder(state))")
    }

    @Test func configErrorExits2BeforeAnythingIsCreated() async throws {
        let state = tempDir()
        let (code, text) = try await run(["ci", "daemonset", "--set", "a[x]=1", "--report", "junit=\(state)/junit.xml"], state: state)
        #expect(code == 2, "\(text)")
        #expect(!FileManager.default.fileExists(atPath: "\(state)/local"))
        let junit = try await readJUnit("\(state)/junit.xml")
        #expect(junit.failures == 1)
    }
}

/// `slimctl ci` as a GitHub Actions step: phases fold into log groups, the step summary gets the
/// result table.
@Suite struct CIOnGitHubActions {
    @Test func phasesAreGroupedAndTheSummaryIsWritten() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let summary = "\(state)/summary.md"
        let (code, out) = try await BadInputCorpus.runSlimctl(
            ["ci", "daemonset"], state: state,
            env: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary])
        #expect(code == 0, "\(out)")
        let groups = out.split(separator: "\n").filter { $0.hasPrefix("::group::") }.map { String($0.dropFirst(9)) }
        #expect(groups.count == 4 && groups.first?.hasPrefix("deploy daemonset") == true, "\(groups)")
        #expect(Array(groups.dropFirst()) == ["verify", "test", "tear-down"], "\(groups)")
        let ends = out.split(separator: "\n").filter { $0 == "::endgroup::" }.count
        #expect(ends == groups.count, "every group is closed: \(out)")
        let md = (try? String(contentsOfFile: summary, encoding: .utf8)) ?? ""
        #expect(md.contains("slimctl ci daemonset") && md.contains("passed"), "\(md)")
    }
}
