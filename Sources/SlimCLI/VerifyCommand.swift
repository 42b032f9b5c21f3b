import ArgumentParser
import Checks
import Foundation
import Kube
import KubeTarget
import Plan
import Strategy
import YAML

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that every workload is where and how the strategy says, and explain every gap.",
        discussion: "Exit codes: 0 everything holds, 1 a check failed, 2 bad input, 3 the cluster cannot be reached, 130 interrupted (--watch ends that way).")

    @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String = "daemonset"
    @Flag(name: .customLong("wait"), help: "Wait until it holds (or --timeout). kind/cluster: re-judged on every watch event.") var wait = false
    @Option(name: .customLong("timeout"), parsing: .unconditional, help: "Seconds for --wait.", transform: Timeout.parse) var timeout: Int = 60
    @Flag(name: .customLong("watch"), help: "Keep running and print one line per change until Ctrl-C.") var watch = false
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        if timeout <= 0 { throw CLIError.config("--timeout \(timeout): give a number of seconds above 0") }
        if wait && watch { throw CLIError.config("--wait and --watch do not go together: --wait returns once verify holds, --watch never returns") }
        let t = try Targets.open(strategy: strategy, options: options, flags: target)
        let json = out.output.structured
        if watch { return try await t.watchVerify(json: json) }
        let results =
            wait
            ? try await ProgressDisplay(t.rendered.redactor, json: json).waiting(
                "verify: wait until every check holds (up to \(timeout)s)",
                succeeded: { $0.allSatisfy(\.passed) }
            ) {
                try await t.verify(wait: true, timeout: timeout, json: json)
            }
            : try await t.verify(wait: false, timeout: timeout, json: json)
        Report.printChecks(results, json: json)
        if !results.allSatisfy(\.passed) { throw CLIError.silent(.failed) }
    }
}

/// `verify` on kind and cluster: list, judge, explain; `--wait` and `--watch` keep the lists
/// current with watches.
struct KubeVerifyRun {
    /// `results` waits up to `timeout` seconds for verify to hold; it prints nothing itself.
    var wait = false
    var timeout = 60
    var json = false

    /// `verify --watch`: one line per change until Ctrl-C.
    func watch(_ s: KubeSession) async throws {
        let client = try s.client()
        let rules = s.rendered.strategy.verify
        let (state, streams) = try await reachable(client) { try await KubeVerify.collect(client, namespaces: KubeVerify.namespaces(rules)) }
        try await self.watch(client, rules: rules, state: state, streams: streams, redactor: s.rendered.redactor)
    }

    /// The verdict on the live cluster, explained and redacted.
    func results(_ s: KubeSession) async throws -> [CheckResult] {
        let rules = s.rendered.strategy.verify
        if s.kindNotCreated {
            throw CLIError.environment(
                "kind cluster \(s.rendered.strategy.cluster.name) has not been created by slimctl: run `slimctl deploy \(s.rendered.strategy.name) --target kind` first"
            )
        }
        let client = try s.client()
        let (state, streams) = try await reachable(client) { try await KubeVerify.collect(client, namespaces: KubeVerify.namespaces(rules)) }
        var final = state
        if wait && !holds(rules, state) {
            final = try await waitUntilHolds(client, rules: rules, state: state, streams: streams)
        }
        return Report.redacted(
            KubeVerifyChecks.results(await KubeVerify.diagnose(KubeVerify.evaluate(rules, state: final), client: client)), s.rendered.redactor)
    }

    func holds(_ rules: [VerifyRule], _ state: LiveState) -> Bool {
        KubeVerifyChecks.results(KubeVerify.evaluate(rules, state: state)).allSatisfy(\.passed)
    }

    /// A cluster that cannot be reached (or read with these credentials) is an environment
    /// problem: exit 3, naming the context and server.
    func reachable<T>(_ client: KubeClient, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as KubeError where [.network, .timeout, .unauthorized, .forbidden, .config].contains(e.kind) {
            throw CLIError.environment("cannot read the cluster (context \(client.config.contextName), server \(client.config.cluster.server)): \(e.message)")
        }
    }

    /// Re-judges on every watch event; returns the state that holds, or the last one at the timeout.
    func waitUntilHolds(_ client: KubeClient, rules: [VerifyRule], state: LiveState, streams: [WatchStream]) async throws -> LiveState {
        let latest = LockedBox(state)
        let json = json
        @Sendable func progress(_ st: LiveState) -> (String, Bool) {
            let results = KubeVerifyChecks.results(KubeVerify.evaluate(rules, state: st))
            return (results.map { "\($0.outcome == .fail ? "FAIL" : "ok") \($0.rule)" }.joined(separator: "; "), results.allSatisfy(\.passed))
        }
        @Sendable func say(_ line: String) { ProgressDisplay.note(line, json: json) }
        let initial = progress(state).0
        say("waiting: \(initial)")
        let lastProgress = LockedBox(initial)
        try await reachable(client) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await VerifyWatch.run(client, state: state, streams: streams) { st, _ in
                        latest.value = st
                        let (text, holds) = progress(st)
                        if text != lastProgress.value {
                            lastProgress.value = text
                            say("waiting: \(text)")
                        }
                        return holds
                    }
                }
                group.addTask { try await Task.sleep(for: .seconds(timeout)) }
                try await group.next()
                group.cancelAll()
            }
        }
        return latest.value
    }

    /// Prints the verdict, then one line per change until interrupted (the interrupt handler
    /// exits 130).
    func watch(_ client: KubeClient, rules: [VerifyRule], state: LiveState, streams: [WatchStream], redactor: Redactor) async throws {
        let first = Report.redacted(KubeVerifyChecks.results(await KubeVerify.diagnose(KubeVerify.evaluate(rules, state: state), client: client)), redactor)
        Report.printWatchStart(first, json: json)
        var initial: [String: String] = [:]
        for r in first { initial[String(r.rule.prefix { $0 != ":" })] = "\(r.outcome) \(r.rule)" }
        let verdicts = LockedBox(initial)
        let json = json
        try await reachable(client) {
            try await VerifyWatch.run(client, state: state, streams: streams) { st, changes in
                Report.printChanges(changes, json: json, redactor: redactor)
                let time = Report.clock(Date())
                for r in Report.redacted(KubeVerifyChecks.results(KubeVerify.evaluate(rules, state: st)), redactor) {
                    let key = String(r.rule.prefix { $0 != ":" })
                    let verdict = "\(r.outcome) \(r.rule)"
                    guard verdicts.value[key] != verdict else { continue }
                    verdicts.value[key] = verdict
                    if json {
                        Report.printJSONLine(
                            .map([
                                "type": "verdict", "time": .string(time), "rule": .string(r.rule), "outcome": .string(r.outcome.rawValue),
                                "problems": .list(r.problems.map { .string($0) })
                            ]))
                    } else {
                        print("\(time) \(Report.mark(r.outcome)) \(r.rule)" + (r.problems.first.map { " — \($0)" } ?? ""))
                    }
                }
                fflush(nil)
                return false
            }
        }
    }
}

enum Report {
    /// A verdict's four-column word (`ok  `, `skip`, `FAIL`), coloured on a terminal.
    static func mark(_ outcome: Outcome, style: Style = .out) -> String {
        switch outcome {
        case .pass: return style.good("ok") + "  "
        case .skipped: return style.warn("skip")
        case .fail: return style.bad("FAIL")
        }
    }

    static func age(_ s: Double) -> String {
        s < 120 ? "\(Int(s))s" : s < 7200 ? "\(Int(s / 60))m" : "\(Int(s / 3600))h"
    }

    /// HH:MM:SS, for watch lines.
    static func clock(_ d: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f.string(from: d)
    }

    /// Log lines and messages can carry anything a pod printed: pass them through the redactor.
    static func redacted(_ results: [CheckResult], _ r: Redactor) -> [CheckResult] {
        results.map { c in
            var c = c
            c.rule = r.redact(c.rule)
            c.problems = c.problems.map(r.redact)
            c.notes = c.notes.map(r.redact)
            c.rows = c.rows.map {
                var row = $0; row.status = r.redact(row.status); return row
            }
            return c
        }
    }

    static func json(_ results: [CheckResult]) -> Value { Output.value(results) }

    /// `verify --watch`'s change lines, stamped with the time (every target).
    static func printChanges(_ changes: [WatchChange], json: Bool, redactor: Redactor) {
        let time = clock(Date())
        for c in changes {
            if json {
                var v = c.json
                if case .map(var m) = v { m["type"] = "change"; m["time"] = .string(time); v = .map(m) }
                printJSONLine(v.redacted(redactor))
            } else {
                print("\(time) \(redactor.redact(c.text))")
            }
        }
    }

    /// The first verdict of `verify --watch`, before the change lines (every target).
    static func printWatchStart(_ first: [CheckResult], json: Bool) {
        if json {
            printJSONLine(.map(["type": "verify", "holds": .bool(first.allSatisfy(\.passed)), "results": Report.json(first)]))
        } else {
            printChecks(first, json: false)
            print("\nwatching for changes (Ctrl-C to stop)")
            fflush(nil)
        }
    }

    /// One compact JSON object per line, so a consumer can read a stream of them.
    static func printJSONLine(_ v: Value) {
        print(Output.streamItem(v))
        fflush(nil)
    }

    static func printChecks(_ results: [CheckResult], json: Bool) {
        if json {
            printJSON(Output.value(results))
            return
        }
        let rows = results.flatMap(\.rows)
        if !rows.isEmpty {
            let w0 = max(4, rows.map(\.node.count).max() ?? 4) + 2
            let w1 = max(3, rows.map(\.pod.count).max() ?? 3) + 2
            let w2 = max(6, rows.map(\.status.count).max() ?? 6) + 2
            print(
                "NODE".padding(toLength: w0, withPad: " ", startingAt: 0) + "POD".padding(toLength: w1, withPad: " ", startingAt: 0)
                    + "STATUS".padding(toLength: w2, withPad: " ", startingAt: 0) + "RESTARTS  AGE")
            for r in rows {
                print(
                    r.node.padding(toLength: w0, withPad: " ", startingAt: 0) + r.pod.padding(toLength: w1, withPad: " ", startingAt: 0)
                        + r.status.padding(toLength: w2, withPad: " ", startingAt: 0) + String(r.restarts).padding(toLength: 10, withPad: " ", startingAt: 0)
                        + (r.pod == "<none>" ? "-" : age(r.ageSeconds)))
            }
            print("")
        }
        for r in results {
            print("\(mark(r.outcome)) \(r.rule)")
            for p in r.problems { print("     - \(p)") }
            for n in r.notes { print("       \(n)") }
        }
        let failed = results.filter { !$0.passed }.count
        let style = Style.out
        print(failed == 0 ? "\nverify: \(style.good("everything holds"))" : "\nverify: \(style.bad("\(failed) check(s) failed"))")
        fflush(nil)
    }
}
