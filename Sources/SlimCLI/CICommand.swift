import ArgumentParser
import Checks
import Engine
import Foundation
import Local
import Plan
import Strategy
import Tools
import YAML

/// `slimctl ci`: one command for a pipeline step. Deploy, verify (waiting), test; diagnostics on
/// failure; tear-down always (also on failure and interrupt) unless --keep; reports for CI systems.
struct CICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ci",
        abstract: "Deploy, verify, test and tear down in one step, with JUnit/JSON reports and diagnostics on failure.",
        discussion:
            "Exit codes: 0 passed, 1 a step, check or test failed, 2 configuration error (nothing was created), 3 a tool or runtime is missing, 130 interrupted. See Docs/ci.md."
    )

    @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String
    @Option(name: .customLong("report"), help: ArgumentHelp("Write a report: junit=PATH or json=PATH (repeatable).", valueName: "kind=path"))
    var reports: [String] = []
    @Flag(name: .customLong("keep"), help: "Leave everything running afterwards.") var keep = false
    @Option(
        name: .customLong("verify-timeout"), parsing: .unconditional, help: "How long to wait for verify to hold: seconds or a Go duration (90, 90s, 2m).",
        transform: Timeout.parse) var verifyTimeout: Int = 60
    @Option(
        name: .customLong("test-timeout"), parsing: .unconditional,
        help: "Seconds for each wait of the message test (receivers ready, sender done); default: the strategy's timeouts.", transform: Timeout.parse)
    var testTimeout: Int?
    @OptionGroup var sources: ChartSourceOptions
    @OptionGroup var images: LoadImageOptions
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    /// The report paths, each checked before anything runs: a report that cannot be written at
    /// the end would turn a pipeline's result into nothing, after all the work was done.
    func parsedReports() throws -> [(kind: String, path: String)] {
        try reports.map { r in
            guard let eq = r.firstIndex(of: "="), ["junit", "json"].contains(String(r[..<eq])), r.index(after: eq) < r.endIndex else {
                throw CLIError.config("--report \(r): expected junit=PATH or json=PATH")
            }
            let path = Workspace.absolute(String(r[r.index(after: eq)...]))
            do { try FileSystem.checkWritable(path) } catch let e as FileProblem {
                throw CLIError.config("--report \(r): \(e)")
            }
            return (String(r[..<eq]), path)
        }
    }

    /// Checks the numbers given on the command line; a timeout of 0 or less would end every wait at once.
    func checkTimeouts() throws {
        if verifyTimeout <= 0 { throw CLIError.config("--verify-timeout \(verifyTimeout): give a number of seconds above 0") }
        if let t = testTimeout, t <= 0 { throw CLIError.config("--test-timeout \(t): give a number of seconds above 0") }
    }

    /// Writes the reports (and, under GitHub Actions, annotations and the step summary); returns
    /// one message per report that could not be written, so the run can fail on it.
    @discardableResult
    static func writeReports(_ r: CIReport, to targets: [(kind: String, path: String)], since clock: ContinuousClock.Instant) -> [String] {
        var r = r
        r.seconds = Engine.seconds(since: clock)
        var failures: [String] = []
        for (kind, path) in targets {
            do {
                try AtomicFile.write(try r.data(format: kind), to: path)
            } catch {
                failures.append("the \(kind) report was not written: \(ErrorReport.describe(error))")
            }
        }
        guard ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true" else { return failures }
        for line in r.githubAnnotations() { print(line) }
        if let summary = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty,
            let h = FileHandle(forWritingAtPath: summary)
                ?? (FileManager.default.createFile(atPath: summary, contents: nil) ? FileHandle(forWritingAtPath: summary) : nil)
        {
            h.seekToEndOfFile()
            h.write(Data(r.githubSummary().utf8))
            try? h.close()
        }
        return failures
    }

    /// After the summary: a report that could not be written makes the run fail (exit 1 when it
    /// had passed), since the pipeline would otherwise see no result at all.
    static func failOnUnwrittenReports(_ failures: [String], code: ExitCode) throws {
        guard !failures.isEmpty else { return }
        for f in failures { stderr("error: " + f) }
        throw CLIError.silent(code == .ok ? .failed : code)
    }

    /// The last lines on stdout: the result and every failure, or the JSON report.
    static func printSummary(_ report: CIReport, json: Bool) {
        if json, let d = try? report.json() {
            print(String(decoding: d, as: UTF8.self))
        } else {
            let result = report.result == "passed" ? Style.out.good(report.result.uppercased()) : Style.out.bad(report.result.uppercased())
            print("ci \(report.strategy): \(result) (\(report.cases.filter { $0.status == .passed }.count) passed, \(report.failures.count) failed)")
            for f in report.failures { print("  - \(f.group) \(f.name): \(f.message ?? "")") }
        }
    }

    /// Runs the deploy steps (the test apps are the test's) and turns them into report cases;
    /// the exit code when a step failed.
    static func deploy(
        _ plan: Plan, executor: some StepExecutor, layout: StateLayout, rendered: Rendered,
        progress: @escaping @Sendable (EngineEvent) -> Void
    ) async -> (cases: [CIReport.Case], failure: ExitCode?) {
        let caseLog = CaseLog()
        do {
            let runDir = layout.runDir
            _ = try await Engine.run(
                plan, executor: executor, statePath: layout.statePath, runDir: runDir, snapshotDir: layout.deployedDir,
                options: EngineOptions(exclude: appStepNames(rendered)),
                events: { e in
                    progress(e)
                    caseLog.record(e, runDir: runDir)
                })
            return (caseLog.cases, nil)
        } catch {
            let (c, message) = ErrorReport.classify(error)
            var cases = caseLog.cases
            if let f = error as? StepFailure {
                caseLog.fail(f.step, message: rendered.redactor.redact(f.message), details: f.logTail.map(rendered.redactor.redact))
                cases = caseLog.cases
            } else if cases.allSatisfy({ $0.status != .failed }) {
                cases.append(.init(group: "deploy", name: "deploy", status: .failed, seconds: 0, message: rendered.redactor.redact(message)))
            }
            return (cases, c == .config ? .failed : c)
        }
    }

    /// Builds the session: a configuration error (or a missing tool) is reported, and stops
    /// everything, before anything is created.
    static func open<S>(_ report: inout CIReport, finish: (CIReport) -> Void, _ make: () throws -> S) throws -> S {
        do {
            return try make()
        } catch {
            fail(&report, error, finish: finish)
            throw error
        }
    }

    /// A configuration problem found before anything was created: reported, then rethrown.
    static func fail(_ report: inout CIReport, _ error: Error, name: String = "load strategy", finish: (CIReport) -> Void) {
        let (code, message) = ErrorReport.classify(error)
        report.result = "error"
        report.exitCode = code.rawValue
        report.cases.append(.init(group: "deploy", name: name, status: .failed, seconds: 0, message: message))
        finish(report)
    }

    /// Step 4 of every flow: diagnostics on failure, collected before anything is torn down.
    static func diagnose(_ report: inout CIReport, runDir: String, started: Date, collect: (String) async -> Void) async {
        let dir = "\(runDir)/ci-\(Int(started.timeIntervalSince1970))/diagnostics"
        await collect(dir)
        report.diagnostics = dir
        stderr("diagnostics: \(dir)")
    }

    static let keptCase = CIReport.Case(group: "teardown", name: "kept (--keep)", status: .skipped, seconds: 0)

    /// A verify result as a report case.
    static func verifyCase(_ r: CheckResult, seconds: Double) -> CIReport.Case {
        let status: CaseStatus
        let message: String?
        switch r.outcome {
        case .pass: (status, message) = (.passed, r.rule)
        case .skipped: (status, message) = (.skipped, r.notes.first)
        case .fail: (status, message) = (.failed, r.rule + ": " + r.problems.joined(separator: "; "))
        }
        return .init(group: "verify", name: String(r.rule.prefix { $0 != ":" }), status: status, seconds: seconds, message: message, details: r.problems)
    }

    /// The message test as a report case.
    static func testCase(_ outcome: TestOutcome, expected: Int, seconds: Double) -> CIReport.Case {
        .init(
            group: "test", name: "\(expected) messages sender → receivers", status: outcome.passed ? .passed : .failed, seconds: seconds,
            message: outcome.passed ? "\(outcome.replies)/\(expected) replies" : outcome.problems.joined(separator: "; "),
            details: outcome.receivers.map { "receiver \($0.0) on \($0.1): \($0.2) received" })
    }

    /// One pipeline for every target, written against `DeploymentTarget`: open and check (a
    /// problem there is a configuration error with nothing created), deploy, verify, test,
    /// diagnostics on failure, tear-down always unless --keep (also on Ctrl-C), reports.
    func run() async throws {
        try checkTimeouts()
        let targets = try parsedReports()
        try options.checkWritableState()
        let started = Date()
        let clock = ContinuousClock.now
        let json = out.output.structured
        var report = CIReport(strategy: strategy, target: target.target.rawValue, startedAt: started)
        let unwritten = LockedBox<[String]>([])
        @Sendable func finish(_ r: CIReport) { unwritten.value = Self.writeReports(r, to: targets, since: clock) }

        let t = try Self.open(&report, finish: finish) {
            let t = try Targets.open(strategy: strategy, options: options, flags: target, sources: sources, images: images.images)
            try t.requireTools()
            return t
        }
        report.strategy = t.rendered.strategy.name
        do {
            try await t.prepare(json: json)
        } catch {
            Self.fail(&report, error, name: "charts", finish: finish)
            throw error
        }
        let lock = try Self.open(&report, finish: finish) { try DeployLock.acquire(t.layout, command: "ci") }
        defer { lock.release() }
        let progress = ProgressDisplay(t.rendered.redactor, json: json)
        let latest = LockedBox(report)
        let hook = interruptHook(t, latest: latest, json: json, finish: finish)
        defer { ChildRegistry.shared.removeInterruptHook(hook) }

        var run = Phases(report: report)
        let group = LogGroups()
        defer { group.end() }
        group.start("deploy \(t.rendered.strategy.name) (\(t.kind.rawValue))")
        let deployed = await Self.deploy(
            t.plan, executor: await t.executor(), layout: t.layout,
            rendered: t.rendered, progress: progress.events)
        run.add(deployed.cases, failure: deployed.failure)
        latest.value = run.report
        if !run.failed { group.start("verify"); await run.verify(t, timeout: verifyTimeout, json: json, progress: progress); latest.value = run.report }
        if !run.failed { group.start("test"); await run.test(t, timeout: testTimeout, json: json, progress: progress); latest.value = run.report }
        if run.failed {
            group.start("diagnostics")
            await Self.diagnose(&run.report, runDir: t.layout.runDir, started: started) { await t.diagnose(into: $0) }
        }
        if keep { run.report.cases.append(Self.keptCase) } else { group.start("tear-down"); await run.tearDown(t, json: json) }
        group.end()
        run.report.result = run.failed ? "failed" : "passed"
        run.report.exitCode = run.code.rawValue
        finish(run.report)
        Self.printSummary(run.report, json: json)
        try Self.failOnUnwrittenReports(unwritten.value, code: run.code)
        if run.failed { throw CLIError.silent(run.code) }
    }

    /// Ctrl-C: the report so far, marked interrupted, after tearing down (unless --keep).
    func interruptHook(_ t: any DeploymentTarget, latest: LockedBox<CIReport>, json: Bool, finish: @escaping @Sendable (CIReport) -> Void) -> Int {
        let keep = self.keep
        return ChildRegistry.shared.onInterrupt(keep ? "interrupted: writing the report (--keep leaves everything)" : "interrupted: tearing down") {
            var r = latest.value
            r.result = "interrupted"
            r.exitCode = ExitCode.interrupted.rawValue
            if !keep { _ = try? await t.tearDown(.everything, json: json) }
            r.cases.append(.init(group: "teardown", name: keep ? "kept (--keep)" : "delete", status: keep ? .skipped : .passed, seconds: 0))
            finish(r)
        }
    }

    /// The report as the phases fill it, and the exit code of the first failure.
    struct Phases {
        var report: CIReport
        var failed = false
        var code = ExitCode.ok

        mutating func add(_ cases: [CIReport.Case], failure: ExitCode?) {
            report.cases += cases
            if let failure { failed = true; code = failure }
        }

        /// Verify, waiting for it to hold (re-judged on every watch event on a cluster).
        mutating func verify(_ t: any DeploymentTarget, timeout: Int, json: Bool, progress: ProgressDisplay) async {
            let start = ContinuousClock.now
            do {
                let results = try await progress.waiting("verify: wait until every check holds", succeeded: { $0.allSatisfy(\.passed) }) {
                    try await t.verify(wait: true, timeout: timeout, json: json)
                }
                let secs = Engine.seconds(since: start)
                add(results.map { CICommand.verifyCase($0, seconds: secs) }, failure: results.allSatisfy(\.passed) ? nil : .failed)
            } catch {
                let (c, message) = ErrorReport.classify(error)
                add(
                    [
                        .init(
                            group: "verify", name: "verify", status: .failed, seconds: Engine.seconds(since: start),
                            message: t.rendered.redactor.redact(message))
                    ],
                    failure: c == .environment ? c : .failed)
            }
        }

        /// The message test. The apps stay until the tear-down, so a failure's diagnostics hold
        /// their logs.
        mutating func test(_ t: any DeploymentTarget, timeout: Int?, json: Bool, progress: ProgressDisplay) async {
            guard let spec = t.rendered.strategy.test else { return }
            let start = ContinuousClock.now
            do {
                let outcome = try await t.test(which: .all, keep: true, timeout: timeout, json: json, progress: progress)
                outcome.print(json: json)
                add([CICommand.testCase(outcome, expected: spec.messages, seconds: Engine.seconds(since: start))], failure: outcome.passed ? nil : .failed)
            } catch {
                add(
                    [
                        .init(
                            group: "test", name: "\(spec.messages) messages sender → receivers", status: .failed,
                            seconds: Engine.seconds(since: start), message: t.rendered.redactor.redact("\(error)"))
                    ], failure: .failed)
            }
        }

        /// Tear-down of everything the run created; a failure here fails the run.
        mutating func tearDown(_ t: any DeploymentTarget, json: Bool) async {
            let start = ContinuousClock.now
            do {
                let done = try await t.tearDown(.everything, json: json)
                report.cases.append(
                    .init(
                        group: "teardown", name: "delete", status: .passed, seconds: Engine.seconds(since: start),
                        message: done.items.isEmpty ? "nothing was left" : done.items.joined(separator: ", ")))
            } catch {
                failed = true
                if code == .ok { code = .failed }
                report.cases.append(
                    .init(
                        group: "teardown", name: "delete", status: .failed, seconds: Engine.seconds(since: start),
                        message: t.rendered.redactor.redact("\(error)")))
            }
        }
    }

    func seconds(since t: ContinuousClock.Instant) -> Double { Engine.seconds(since: t) }
}

/// Mutable state shared with the interrupt handler.
final class LockedBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}

/// Turns engine events into report cases.
final class CaseLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var cases: [CIReport.Case] = []

    func record(_ e: EngineEvent, runDir: String) {
        lock.lock(); defer { lock.unlock() }
        switch e {
        case .stepFinished(let n, let s): cases.append(.init(group: "deploy", name: n, status: .passed, seconds: s))
        case .stepSkipped(let n, let why): cases.append(.init(group: "deploy", name: n, status: .passed, seconds: 0, message: why))
        case .stepFailed(let n, let s, let err):
            cases.append(
                .init(
                    group: "deploy", name: n, status: .failed, seconds: s, message: err,
                    details: Engine.tail("\(runDir)/\(n).log", lines: 10)))
        default: break
        }
    }

    func fail(_ step: String, message: String, details: [String]) {
        lock.lock(); defer { lock.unlock() }
        if let i = cases.firstIndex(where: { $0.name == step && $0.status == .failed }) {
            cases[i].message = message
            cases[i].details = details
        }
    }
}

/// What a person needs to understand a failed run after the processes are gone: pod status, the
/// last log lines of every pod, the plan and the rendered values — secrets masked everywhere.
enum Diagnostics {
    static func collect(_ s: LocalSession, into dir: String) {
        let r = s.rendered.redactor
        let pods = s.target.observedPods()
        if let d = try? JSONEncoder().encode(pods) { try? AtomicFile.write(d, to: "\(dir)/pods.json", mode: 0o600) }
        let state = LocalState.load(s.target.statePath)
        for p in state?.processes ?? [] {
            let lines = Engine.tail(p.logPath, lines: 200).map { r.redact(Supervisor.stripANSI($0)) }
            try? AtomicFile.write(lines.joined(separator: "\n") + "\n", to: "\(dir)/logs/\(p.name).log", mode: 0o600)
        }
        writePlanAndValues(s.rendered, plan: s.plan, into: dir)
    }

    /// The plan (every step's actions) and each release's rendered values, secrets masked:
    /// part of the diagnostics on every target.
    static func writePlanAndValues(_ rendered: Rendered, plan: Plan, into dir: String) {
        let r = rendered.redactor
        let steps = plan.steps.map { st in "\(st.name) [\(st.kind)]\n" + st.actions.map { "  - " + r.redact($0.text) }.joined(separator: "\n") }
        try? AtomicFile.write(steps.joined(separator: "\n") + "\n", to: "\(dir)/plan.txt", mode: 0o600)
        for rel in rendered.releases {
            try? AtomicFile.write(r.redact(rel.text), to: "\(dir)/values/\(rel.fileName)", mode: 0o600)
        }
    }
}

/// Under GitHub Actions, each ci phase's output folds into a group of the job log
/// (`::group::`/`::endgroup::`); elsewhere nothing is printed.
final class LogGroups: @unchecked Sendable {
    private let enabled = ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true"
    private var open = false

    func start(_ title: String) {
        guard enabled else { return }
        end()
        print("::group::\(title)")
        fflush(nil)
        open = true
    }

    func end() {
        guard enabled, open else { return }
        print("::endgroup::")
        fflush(nil)
        open = false
    }
}
