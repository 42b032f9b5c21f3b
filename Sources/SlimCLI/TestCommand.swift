import ArgumentParser
import Checks
import Engine
import Foundation
import Local
import Strategy
import Tools
import YAML

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test",
        abstract: "Run the test apps and count real messages: receivers first, then the sender; pass when every message got its reply.")

    enum Which: String, ExpressibleByArgument, CaseIterable { case sender, receiver, all }

    @Argument(help: "sender, receiver or all.") var which: Which = .all
    @Argument(help: "Strategy name or path.") var strategy: String = "daemonset"
    @Flag(name: .customLong("keep"), help: "Leave the test apps running afterwards.") var keep = false
    @Option(name: .customLong("timeout"), help: "Seconds for the sender to finish (default: the strategy's test.timeout).") var timeout: Int?
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        let s = try LocalSession(strategy: strategy, options: options, target: target)
        guard let spec = s.rendered.strategy.test else { throw CLIError.config("strategy \(s.rendered.strategy.name) has no `test` section") }
        let report = progressPrinter(s.rendered.redactor, json: out.output == .json)
        let ctx = { (step: String) in StepContext(runDir: s.runDir, logPath: "\(s.runDir)/\(step).log", report: { report(.message(step: step, text: $0)) }) }
        let apps: Set<String> = ["receiver", "sender"]
        defer { if !keep && which != .receiver { _ = s.target.delete(components: apps) } }

        if which != .sender {
            try await s.target.startApps(step: spec.receiverStep, context: ctx(spec.receiverStep))
        } else if s.target.observedPods().filter({ $0.owner.hasPrefix("DaemonSet/") || $0.owner.hasPrefix("Pod/") }).isEmpty {
            throw CLIError.config("no receiver is running; run `slimctl test receiver \(s.rendered.strategy.name)` first, or `test all`")
        }
        if which == .receiver {
            let pods = LocalState.load(s.target.statePath)?.processes(component: "receiver") ?? []
            let result = TestOutcome(expected: spec.messages, sent: 0, replies: 0, senderFinished: false, receivers: pods.map { ($0.name, $0.node, 0) },
                                     problems: [], receiverOnly: true)
            result.print(json: out.output == .json)
            return
        }
        let result = try await MessageTest.sendAndCount(s, spec: spec, timeout: timeout ?? spec.timeoutSeconds, context: ctx)
        result.print(json: out.output == .json)
        if !result.passed { throw CLIError.silent(.failed) }
    }
}

struct TestOutcome {
    var expected: Int
    var sent: Int
    var replies: Int
    var senderFinished: Bool
    var receivers: [(String, String, Int)]
    var problems: [String]
    var receiverOnly: Bool

    var passed: Bool { problems.isEmpty }

    func print(json: Bool) {
        if json {
            printJSON(.map(["passed": .bool(passed), "expected": .int(Int64(expected)), "sent": .int(Int64(sent)), "replies": .int(Int64(replies)),
                            "receivers": .list(receivers.map { .map(["pod": .string($0.0), "node": .string($0.1), "received": .int(Int64($0.2))]) }),
                            "problems": .list(problems.map { .string($0) })]))
            return
        }
        if receiverOnly {
            Swift.print("receivers running: " + receivers.map { "\($0.0) on \($0.1)" }.joined(separator: ", "))
            return
        }
        Swift.print("sender: \(sent) sent, \(replies)/\(expected) replies")
        for r in receivers { Swift.print("receiver \(r.0) on \(r.1): \(r.2) received") }
        Swift.print(passed ? "test: PASS (\(replies)/\(expected))" : "test: FAIL")
        for p in problems { Swift.print("  - \(p)") }
    }
}

/// The counting half of `slimctl test`, shared with `slimctl ci`: start the sender against running
/// receivers, wait for it, and count from the logs.
enum MessageTest {
    static func sendAndCount(_ s: LocalSession, spec: TestSpec, timeout: Int, context ctx: (String) -> StepContext) async throws -> TestOutcome {
        // Receivers need a moment to subscribe before the sender opens its session.
        try await Task.sleep(for: .milliseconds(1500))
        try await s.target.startApps(step: spec.senderStep, context: ctx(spec.senderStep))
        let state = LocalState.load(s.target.statePath) ?? LocalState(strategy: s.rendered.strategy.name)
        guard let sender = state.processes(component: "sender").first else { throw CLIError.failed("the sender did not start") }
        let limit = ContinuousClock.now + .seconds(timeout)
        var timedOut = false
        while Spawn.isAlive(sender.pid) {
            if ContinuousClock.now > limit { timedOut = true; Supervisor.stop(sender.pid); break }
            try await Task.sleep(for: .milliseconds(100))
    }
    let senderLog = (try? String(contentsOfFile: sender.logPath, encoding: .utf8)) ?? ""
    let sr = MessageLog.parseSender(senderLog)
    var receivers: [(String, String, Int)] = []
    var problems: [String] = []
    for r in state.processes(component: "receiver") {
        let log = (try? String(contentsOfFile: r.logPath, encoding: .utf8)) ?? ""
        receivers.append((r.name, r.node, MessageLog.parseReceiver(log).received))
        if !Spawn.isAlive(r.pid) { problems.append("receiver \(r.name) on \(r.node) is not running: " + Supervisor.tail(r.logPath, lines: 2).joined(separator: " | ")) }
    }
    if timedOut { problems.append("the sender did not finish within \(timeout)s (\(sr.replies)/\(spec.messages) replies so far)") }
    if sr.sent == 0 { problems.append("the sender never sent a message (did it connect? last lines: " + Supervisor.tail(sender.logPath, lines: 3).joined(separator: " | ") + ")") }
    else if sr.replies < spec.messages { problems.append("\(sr.replies)/\(spec.messages) replies received") }
    let received = receivers.map(\.2).reduce(0, +)
    if received < spec.messages { problems.append("receivers logged \(received)/\(spec.messages) messages") }
    problems += sr.errors.prefix(3).map { "sender error: \($0)" }
    return TestOutcome(expected: spec.messages, sent: sr.sent, replies: sr.replies, senderFinished: sr.finished && !timedOut,
                          receivers: receivers, problems: problems.map { s.rendered.redactor.redact($0) }, receiverOnly: false)
    }
}
