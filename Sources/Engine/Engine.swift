import Foundation
import Plan
import Tools

/// Progress as events; the CLI decides how they look (TTY line, plain line, JSON).
public enum EngineEvent: Sendable {
    case stepStarted(name: String, index: Int, total: Int)
    case stepSkipped(name: String, reason: String)
    case stepFinished(name: String, seconds: Double)
    case stepFailed(name: String, seconds: Double, error: String)
    case message(step: String, text: String)
}

public struct StepContext: Sendable {
    public var runDir: String
    /// Where this step's external commands append their output.
    public var logPath: String
    public var report: @Sendable (String) -> Void

    public init(runDir: String, logPath: String, report: @escaping @Sendable (String) -> Void) {
        self.runDir = runDir
        self.logPath = logPath
        self.report = report
    }
}

/// A target's way of carrying out one planned step. Adding a step kind never touches the engine.
public protocol StepExecutor: Sendable {
    func execute(_ step: PlannedStep, context: StepContext) async throws
    /// Whether what a finished step made still exists (a killed process, a deleted release):
    /// an unchanged step is skipped only when this holds.
    func stillSatisfied(_ step: PlannedStep) -> Bool
}

extension StepExecutor {
    public func stillSatisfied(_ step: PlannedStep) -> Bool { true }
}

public struct EngineOptions: Sendable {
    public var from: String?
    public var only: [String]
    public var skip: [String]
    /// Steps the command does not run (e.g. the test apps, which `slimctl test` runs).
    public var exclude: Set<String>
    /// Redo finished steps even if unchanged.
    public var force: Bool

    public init(from: String? = nil, only: [String] = [], skip: [String] = [], exclude: Set<String> = [], force: Bool = false) {
        self.from = from
        self.only = only
        self.skip = skip
        self.exclude = exclude
        self.force = force
    }
}

public struct StepFailure: Error, Sendable, CustomStringConvertible {
    public var step: String
    public var message: String
    public var logPath: String
    public var logTail: [String]
    public var hint: String?
    public var description: String {
        var s = "step `\(step)` failed: \(message)"
        if !logTail.isEmpty { s += "\n  last output (\(logPath)):\n" + logTail.map { "    " + $0 }.joined(separator: "\n") }
        if let hint { s += "\n  hint: \(hint)" }
        return s
    }
}

/// Errors a step throws may carry a hint for the summary.
public protocol HintedError: Error {
    var hint: String? { get }
}

public struct StepTimeout: Error, CustomStringConvertible, HintedError {
    public var seconds: Int
    public var description: String { "did not finish within \(seconds)s" }
    public var hint: String? { "raise the step's `timeout` in the strategy, or look at its log" }
}

public enum Engine {
    public struct Summary: Sendable {
        public var ran: [String] = []
        public var skipped: [String] = []
    }

    /// Runs the plan's steps in order. State is saved after every step, so a failure or an
    /// interrupt resumes at the step that did not finish.
    /// `snapshotDir`: where each finished step's `snapshot` is kept (`StepSnapshots`), for `slimctl diff`.
    public static func run(
        _ plan: Plan, executor: some StepExecutor, statePath: String, runDir: String, snapshotDir: String? = nil,
        options: EngineOptions = EngineOptions(),
        events: @escaping @Sendable (EngineEvent) -> Void
    ) async throws -> Summary {
        try FileSystem.makeDirectory(runDir)
        var state = RunState.load(statePath) ?? RunState(strategy: plan.strategy, target: plan.target.rawValue)
        let selected = try select(plan, options: options)
        var summary = Summary()
        var index = 0
        for step in plan.steps where selected.contains(step.name) {
            index += 1
            let rec = state.steps[step.name]
            let satisfied = rec?.status == .done && rec?.hash == step.inputsHash && executor.stillSatisfied(step)
            if !options.force, options.only.isEmpty, let rec, satisfied {
                events(.stepSkipped(name: step.name, reason: "unchanged since \(ISO8601DateFormatter().string(from: rec.finishedAt))"))
                summary.skipped.append(step.name)
                continue
            }
            events(.stepStarted(name: step.name, index: index, total: selected.count))
            if let why = RerunReason.explain(step, record: rec, satisfied: satisfied, forced: options.force || !options.only.isEmpty) {
                events(.message(step: step.name, text: why))
            }
            let log = "\(runDir)/\(step.name).log"
            let ctx = StepContext(runDir: runDir, logPath: log, report: { events(.message(step: step.name, text: $0)) })
            let start = ContinuousClock.now
            do {
                try await withTimeout(seconds: step.timeoutSeconds) {
                    try await executor.execute(step, context: ctx)
                }
                let secs = seconds(since: start)
                // The snapshot first: a step recorded done always has the snapshot of what it deployed.
                if let snapshotDir { try StepSnapshots.save(step, in: snapshotDir) }
                state.steps[step.name] = .init(hash: step.inputsHash, status: .done, finishedAt: Date(), seconds: secs, inputs: step.inputs)
                try state.save(statePath)
                events(.stepFinished(name: step.name, seconds: secs))
                summary.ran.append(step.name)
            } catch {
                let secs = seconds(since: start)
                let interrupted = error is CancellationError
                state.steps[step.name] = .init(
                    hash: step.inputsHash, status: interrupted ? .interrupted : .failed,
                    finishedAt: Date(), seconds: secs, message: "\(error)", inputs: step.inputs)
                try? state.save(statePath)
                if interrupted { throw error }
                events(.stepFailed(name: step.name, seconds: secs, error: "\(error)"))
                throw StepFailure(
                    step: step.name, message: "\(error)", logPath: log, logTail: tail(log, lines: 12),
                    hint: (error as? HintedError)?.hint)
            }
        }
        return summary
    }

    static func select(_ plan: Plan, options: EngineOptions) throws -> Set<String> {
        let names = plan.steps.map(\.name)
        for n in options.only + options.skip + (options.from.map { [$0] } ?? []) where !names.contains(n) {
            throw EngineUsageError(message: "no step named `\(n)`; steps: \(names.joined(separator: ", "))")
        }
        var selected = Set(names).subtracting(options.exclude)
        if !options.only.isEmpty { selected = Set(options.only) }
        if let from = options.from, let i = names.firstIndex(of: from) {
            selected = selected.intersection(names[i...])
        }
        return selected.subtracting(options.skip)
    }

    static func withTimeout(seconds: Int, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await body(); return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return false
            }
            guard let first = try await group.next() else { return }
            group.cancelAll()
            if !first { throw StepTimeout(seconds: seconds) }
        }
    }

    public static func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).inSeconds
    }

    public static func tail(_ path: String, lines: Int) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return Array(text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).map(String.init))
    }
}

public struct EngineUsageError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
