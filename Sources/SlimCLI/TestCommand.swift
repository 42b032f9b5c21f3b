import ArgumentParser
import Checks
import Engine
import Foundation
import Kube
import KubeTarget
import Local
import Plan
import Strategy
import Tools
import YAML

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the test apps and count real messages: receivers first, then the sender; pass when every message got its reply.",
        discussion:
            "On kind and cluster the apps are applied with server-side apply, waited for with watches and read through the API; they are removed afterwards unless --keep (`test receiver` leaves its receivers running for a later `test sender`)."
    )

    enum Which: String, ExpressibleByArgument, CaseIterable { case sender, receiver, all }

    @Argument(help: "sender, receiver or all.") var which: Which = .all
    @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String = "daemonset"
    @Flag(name: .customLong("keep"), help: "Leave the test apps running afterwards.") var keep = false
    @Option(
        name: .customLong("timeout"), parsing: .unconditional,
        help:
            "Seconds for the sender to finish (default: the strategy's test.timeout); on kind/cluster also for the receivers to be ready (default: the receiver step's timeout).",
        transform: Timeout.parse) var timeout: Int?
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        if let t = timeout, t <= 0 { throw CLIError.config("--timeout \(t): give a number of seconds above 0") }
        try options.checkWritableState()
        let t = try Targets.open(strategy: strategy, options: options, flags: target)
        let lock = try DeployLock.acquire(t.layout, command: "test")
        defer { lock.release() }
        let json = out.output.structured
        if let spec = t.rendered.strategy.test {
            let apps = which == .receiver ? [spec.receiverStep] : which == .sender ? [spec.senderStep] : [spec.receiverStep, spec.senderStep]
            let missing = TestPrerequisites.missing(plan: t.plan, state: RunState.load(t.layout.statePath), apps: apps, appSteps: appStepNames(t.rendered))
            if !missing.isEmpty { throw CLIError.config(TestPrerequisites.message(missing, strategy: t.rendered.strategy.name)) }
        }
        try await t.requireDeployed(json: json)
        let outcome = try await t.test(which: which, keep: keep, timeout: timeout, json: json, progress: ProgressDisplay(t.rendered.redactor, json: json))
        outcome.print(json: json)
        if !outcome.passed { throw CLIError.silent(.failed) }
    }
}

/// What `slimctl test` prints, the same shape for every target (text or `--output json`).
struct TestOutcome {
    var expected: Int
    var sent: Int
    var replies: Int
    var senderFinished: Bool
    var receivers: [(String, String, Int)]
    var problems: [String]
    var receiverOnly: Bool

    var passed: Bool { problems.isEmpty }

    /// Problems pass through the redactor: they quote logs, and logs may hold the secret.
    init(_ v: MessageVerdict, redactor: Redactor, extraProblems: [String] = []) {
        self.init(
            expected: v.expected, sent: v.sender.sent, replies: v.sender.replies, senderFinished: v.sender.finished,
            receivers: v.receivers.map { ($0.pod, $0.node, $0.received) },
            problems: (v.problems + (v.passed ? [] : extraProblems)).map { redactor.redact($0) }, receiverOnly: false)
    }

    init(expected: Int, sent: Int, replies: Int, senderFinished: Bool, receivers: [(String, String, Int)], problems: [String], receiverOnly: Bool) {
        self.expected = expected
        self.sent = sent
        self.replies = replies
        self.senderFinished = senderFinished
        self.receivers = receivers
        self.problems = problems
        self.receiverOnly = receiverOnly
    }

    func print(json: Bool) {
        if json {
            printJSON(
                .map([
                    "passed": .bool(passed), "expected": .int(Int64(expected)), "sent": .int(Int64(sent)), "replies": .int(Int64(replies)),
                    "receivers": .list(receivers.map { .map(["pod": .string($0.0), "node": .string($0.1), "received": .int(Int64($0.2))]) }),
                    "problems": .list(problems.map { .string($0) })
                ]))
            return
        }
        if receiverOnly {
            Swift.print("receivers running: " + receivers.map { "\($0.0) on \($0.1)" }.joined(separator: ", "))
            return
        }
        Swift.print("sender: \(sent) sent, \(replies)/\(expected) replies")
        for r in receivers { Swift.print("receiver \(r.0) on \(r.1): \(r.2) received") }
        let style = Style.out
        Swift.print(passed ? "test: \(style.good("PASS")) (\(replies)/\(expected))" : "test: \(style.bad("FAIL"))")
        for p in problems { Swift.print("  - \(p)") }
    }
}

/// The counting half of `slimctl test` on the local target, shared with `slimctl ci`: start the
/// receivers (unless they run already) and the sender, let the sender run once the receivers
/// listen, wait for it, and count from the logs.
enum MessageTest {
    /// Bound on waiting for the receivers' "listening" line (real ones print it within 0.4 s).
    static let listenTimeout: Duration = LocalTarget.readyTimeout

    static func sendAndCount(
        _ s: LocalSession, spec: TestSpec, timeout: Int, startReceivers: Bool, progress: ProgressDisplay,
        context ctx: (String) -> StepContext
    ) async throws -> TestOutcome {
        // The sender is spawned together with the receivers but held (runtime/held_start.py):
        // its Python start-up and imports overlap theirs, and it runs only once they listen,
        // so its session never meets a receiver that is not subscribed yet.
        let receiverStart = startReceivers ? try s.target.spawnApps(step: spec.receiverStep, context: ctx(spec.receiverStep)) : nil
        let senderStart = try s.target.spawnApps(step: spec.senderStep, context: ctx(spec.senderStep), held: true)
        let warnings: [String]
        let offsets: [String: Int]
        do {
            (warnings, offsets) = try await progress.task(
                startReceivers ? "start receivers, wait until they listen" : "wait until the receivers listen",
                index: 1, total: 2
            ) {
                if let receiverStart { try await s.target.finishStart(receiverStart, context: ctx(spec.receiverStep)) }
                let before = LocalState.load(s.target.statePath)?.processes(component: "receiver") ?? []
                // Receivers started here were already waited for (LocalTarget.readyTimeout).
                let warnings = try await waitListening(before, timeout: receiverStart == nil ? listenTimeout : .zero, report: ctx(spec.receiverStep).report)
                // Only what receivers log from now on counts: reused ones may hold an earlier run's messages.
                var offsets: [String: Int] = [:]
                for r in before { offsets[r.name] = (try? FileManager.default.attributesOfItem(atPath: r.logPath)[.size] as? Int) ?? 0 }
                return (warnings, offsets)
            }
        } catch {
            s.target.abandon(senderStart)
            throw error
        }
        var replies = 0
        let (state, sender, timedOut) = try await progress.task(
            "send \(spec.messages) messages, wait for the replies", index: 2, total: 2,
            succeeded: { !$0.2 && replies >= spec.messages }
        ) {
            s.target.go(senderStart)
            try await s.target.finishStart(senderStart, context: ctx(spec.senderStep))
            let state = LocalState.load(s.target.statePath) ?? LocalState(strategy: s.rendered.strategy.name)
            guard let sender = state.processes(component: "sender").first else { throw CLIError.failed("the sender did not start") }
            let timedOut = try await waitForSender(sender, timeout: timeout) { sent, got in
                progress.detail("\(sent) sent, \(got)/\(spec.messages) replies")
            }
            // The whole log, read after the end: the last poll may have missed its last lines.
            replies = MessageLog.parseSender((try? String(contentsOfFile: sender.logPath, encoding: .utf8)) ?? "").replies
            return (state, sender, timedOut)
        }
        let senderLog = (try? String(contentsOfFile: sender.logPath, encoding: .utf8)) ?? ""
        let receivers = state.processes(component: "receiver").map { r in
            let bytes = Array(((try? String(contentsOfFile: r.logPath, encoding: .utf8)) ?? "").utf8)
            let log = String(decoding: bytes.dropFirst(min(offsets[r.name] ?? 0, bytes.count)), as: UTF8.self)
            let note =
                Spawn.isAlive(r.pid) ? nil : "receiver \(r.name) on \(r.node) is not running: " + Supervisor.tail(r.logPath, lines: 2).joined(separator: " | ")
            return ReceiverLog(pod: r.name, node: r.node, log: log, note: note)
        }
        let verdict = MessageVerdict.judge(expected: spec.messages, senderLog: senderLog, receivers: receivers, senderTimeout: timedOut ? timeout : nil)
        return TestOutcome(verdict, redactor: s.rendered.redactor, extraProblems: warnings)
    }

    /// Waits until the sender has ended or has logged a reply to every message it sends, then
    /// ends it; true when it did neither within `timeout` seconds (it is stopped then too).
    ///
    /// Once every iteration got its reply (`SenderReport.allReplied`: each "Sent message i/N"
    /// answered, no fatal error), the example has nothing left that the verdict counts: it only
    /// sleeps its 1 s demo pacing and closes the session. The verdict is judged from the same
    /// logs either way; a sender that misses a reply still runs until it ends or times out.
    /// `counts` hears the messages sent and replies received so far, each time the log grows.
    static func waitForSender(_ sender: LocalState.Proc, timeout: Int, counts: (_ sent: Int, _ replies: Int) -> Void = { _, _ in }) async throws -> Bool {
        let limit = ContinuousClock.now + .seconds(timeout)
        var log = LogTail(path: sender.logPath)
        while Spawn.isAlive(sender.pid) {
            if log.poll() {
                let report = MessageLog.parseSender(log.text)
                counts(report.sent, report.replies)
                if report.allReplied {
                    Supervisor.stop(sender.pid)
                    AppExit.record(sender.logPath, code: 0)
                    return false
                }
            }
            if ContinuousClock.now > limit {
                Supervisor.stop(sender.pid)
                AppExit.record(sender.logPath, code: 143)
                return true
            }
            try await Task.sleep(for: Supervisor.pollInterval)
        }
        return false
    }

    /// Waits until every running receiver logged that it listens (`ReceiverReport.listening`),
    /// instead of a fixed pause; a receiver that never does is reported, not waited for longer.
    static func waitListening(_ receivers: [LocalState.Proc], timeout: Duration, report: (String) -> Void) async throws -> [String] {
        let limit = ContinuousClock.now + timeout
        var waiting = receivers
        while true {
            waiting = waiting.filter { r in
                Spawn.isAlive(r.pid) && !MessageLog.parseReceiver((try? String(contentsOfFile: r.logPath, encoding: .utf8)) ?? "").listening
            }
            if waiting.isEmpty || ContinuousClock.now > limit { break }
            try await Task.sleep(for: Supervisor.pollInterval)
        }
        return waiting.map { r in
            let w =
                "receiver \(r.name) on \(r.node) never logged that it is listening within \(listenTimeout) (output buffered? the apps need PYTHONUNBUFFERED=1)"
            report(w + "; starting the sender anyway")
            return w
        }
    }
}

/// `slimctl test` on kind and cluster: the flow is `AppTest` (Sources/KubeTarget), the verdict
/// `MessageVerdict` (Checks), exactly as on the local target.
enum KubeTest {
    /// Runs the apps and judges them; a wait that failed is a failed outcome naming why. Shared
    /// by `test` and `ci`.
    static func outcome(_ s: KubeSession, which: TestCommand.Which, keep: Bool, timeout: Int?, progress: ProgressDisplay) async throws -> TestOutcome {
        let name = s.rendered.strategy.name
        guard let spec = s.rendered.strategy.test else { throw CLIError.config("strategy \(name) has no `test` section") }
        let redactor = s.rendered.redactor
        let app = AppTest(
            rendered: s.rendered, config: s.config(), client: try s.client(), log: "\(s.runDir)/test.log",
            report: { progress.message("test", $0) })
        let ready = Double(timeout ?? s.rendered.strategy.step(named: spec.receiverStep)?.timeoutSeconds ?? 300)
        let senderTimeout = timeout ?? spec.timeoutSeconds
        let options = AppTestOptions(
            receiverStep: spec.receiverStep, senderStep: spec.senderStep, deployReceivers: which != .sender,
            runSender: which != .receiver, keep: keep, readyTimeout: ready, listenTimeout: min(30, ready),
            senderTimeout: Double(senderTimeout))
        let capture: AppTestCapture
        // Ctrl-C in the middle removes what a normal end would remove.
        var cleanup: Int?
        if options.runSender && !options.keep {
            cleanup = ChildRegistry.shared.onInterrupt("interrupted: removing the test apps (--keep leaves them)") {
                let objects = ((try? await app.objects(step: spec.senderStep)) ?? []) + ((try? await app.objects(step: spec.receiverStep)) ?? [])
                _ = try? await app.remove(objects)
            }
        }
        defer { if let cleanup { ChildRegistry.shared.removeInterruptHook(cleanup) } }
        do {
            let task =
                which == .receiver
                ? "start receivers, wait until they listen"
                : which == .sender
                    ? "run the sender, wait for the replies"
                    : "start receivers, then the sender; wait for the replies"
            capture = try await progress.task(task, index: 1, total: 1) {
                try await app.run(options) { MessageLog.parseReceiver($0).listening }
            }
        } catch let e as AppTestError {
            let message = redactor.redact(e.message)
            if e.kind == .config { throw CLIError.config(message) }
            return TestOutcome(expected: spec.messages, sent: 0, replies: 0, senderFinished: false, receivers: [], problems: [message], receiverOnly: false)
        } catch let e as KubeError {
            let message = redactor.redact(e.message)
            throw [.network, .timeout, .unauthorized, .forbidden].contains(e.kind) ? CLIError.environment(message) : CLIError.failed(message)
        }
        if which == .receiver {
            return TestOutcome(
                expected: spec.messages, sent: 0, replies: 0, senderFinished: false,
                receivers: capture.receivers.map { ($0.pod.name, $0.pod.node, 0) }, problems: [], receiverOnly: true)
        }
        let verdict = MessageVerdict.judge(
            expected: spec.messages, senderLog: capture.senderLog,
            receivers: capture.receivers.map { ReceiverLog(pod: $0.pod.name, node: $0.pod.node, log: $0.log, note: $0.note) },
            senderTimeout: capture.senderTimedOut ? senderTimeout : nil,
            senderStarted: capture.notes.isEmpty, notes: capture.notes)
        return TestOutcome(verdict, redactor: redactor, extraProblems: capture.warnings)
    }
}
