import Engine
import Foundation
import Testing

@testable import Plan

/// The engine against an executor the test controls: order, skip-unchanged, resume after a
/// failure or an interrupt, timeouts, step selection. Behaviour only, no timing.
@Suite struct EngineRuns {
    final class Recorder: StepExecutor, @unchecked Sendable {
        let lock = NSLock()
        var executed: [String] = []
        var failOnce: Set<String> = []
        var hang: Set<String> = []
        var unsatisfied: Set<String> = []
        var started: (@Sendable (String) -> Void)?

        func execute(_ step: PlannedStep, context: StepContext) async throws {
            let (fail, hangs, started) = lock.withLock {
                executed.append(step.name)
                return (failOnce.remove(step.name) != nil, hang.contains(step.name), self.started)
            }
            started?(step.name)
            context.report("running \(step.name)")
            if hangs { try await Task.sleep(for: .seconds(3600)) }
            if fail { throw Broken(step: step.name) }
        }

        func stillSatisfied(_ step: PlannedStep) -> Bool {
            lock.lock(); defer { lock.unlock() }
            return !unsatisfied.contains(step.name)
        }

        var ran: [String] { lock.lock(); defer { lock.unlock() }; return executed }
        func reset() { lock.lock(); executed = []; lock.unlock() }
    }

    struct Broken: Error, CustomStringConvertible {
        var step: String
        var description: String { "step \(step) broke" }
    }

    static func plan(_ hashes: [String: String] = [:], timeouts: [String: Int] = [:]) -> Plan {
        let steps = ["cluster", "controller", "slim"].map { n in
            PlannedStep(
                name: n, kind: "helm", description: "", needs: [], timeoutSeconds: timeouts[n] ?? 600, actions: [],
                inputsHash: hashes[n] ?? "h-\(n)")
        }
        return Plan(strategy: "demo", target: .local, steps: steps)
    }

    func dir() -> String {
        let d = NSTemporaryDirectory() + "engine-" + UUID().uuidString.prefix(8)
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func run(_ plan: Plan, _ ex: Recorder, _ d: String, _ options: EngineOptions = EngineOptions()) async throws -> Engine.Summary {
        try await Engine.run(plan, executor: ex, statePath: "\(d)/state.json", runDir: "\(d)/runs", options: options) { _ in }
    }

    @Test func runsInOrderThenSkipsWhatIsUnchanged() async throws {
        let d = dir(), ex = Recorder()
        let first = try await run(Self.plan(), ex, d)
        #expect(first.ran == ["cluster", "controller", "slim"])
        #expect(ex.ran == ["cluster", "controller", "slim"])
        ex.reset()
        let second = try await run(Self.plan(), ex, d)
        #expect(second.ran.isEmpty && second.skipped == ["cluster", "controller", "slim"])
        #expect(ex.ran.isEmpty)
    }

    @Test func changedInputsRerunOnlyThatStep() async throws {
        let d = dir(), ex = Recorder()
        _ = try await run(Self.plan(), ex, d)
        ex.reset()
        let again = try await run(Self.plan(["controller": "h-new"]), ex, d)
        #expect(again.ran == ["controller"])
        #expect(again.skipped == ["cluster", "slim"])
    }

    @Test func aStepNoLongerSatisfiedRunsAgain() async throws {
        let d = dir(), ex = Recorder()
        _ = try await run(Self.plan(), ex, d)
        ex.reset()
        ex.unsatisfied = ["slim"]
        let again = try await run(Self.plan(), ex, d)
        #expect(again.ran == ["slim"])
    }

    @Test func aFailureStopsTheRunAndTheNextRunResumesThere() async throws {
        let d = dir(), ex = Recorder()
        ex.failOnce = ["controller"]
        do {
            _ = try await run(Self.plan(), ex, d)
            Issue.record("the failing step should have failed the run")
        } catch let f as StepFailure {
            #expect(f.step == "controller")
            #expect(f.message.contains("broke"))
        }
        #expect(ex.ran == ["cluster", "controller"], "nothing after the failed step ran")
        let state = try #require(RunState.load("\(d)/state.json"))
        #expect(state.steps["cluster"]?.status == .done)
        #expect(state.steps["controller"]?.status == .failed)
        #expect(state.steps["slim"] == nil)
        ex.reset()
        let resumed = try await run(Self.plan(), ex, d)
        #expect(resumed.skipped == ["cluster"])
        #expect(resumed.ran == ["controller", "slim"])
    }

    @Test func aStepOverItsTimeoutFailsNamingTheTimeout() async throws {
        let d = dir(), ex = Recorder()
        ex.hang = ["controller"]
        do {
            _ = try await run(Self.plan(timeouts: ["controller": 1]), ex, d)
            Issue.record("the hanging step should have timed out")
        } catch let f as StepFailure {
            #expect(f.step == "controller")
            #expect(f.message.contains("did not finish within 1s"))
            #expect(f.hint?.contains("timeout") == true)
        }
        #expect(RunState.load("\(d)/state.json")?.steps["controller"]?.status == .failed)
    }

    @Test func anInterruptIsRecordedAndTheNextRunResumesAtThatStep() async throws {
        let d = dir(), ex = Recorder()
        ex.hang = ["controller"]
        let (stream, cont) = AsyncStream.makeStream(of: String.self)
        ex.started = { cont.yield($0) }
        let task = Task { try await run(Self.plan(), ex, d) }
        for await name in stream where name == "controller" { break }
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(RunState.load("\(d)/state.json")?.steps["controller"]?.status == .interrupted)
        ex.reset()
        ex.hang = []
        let resumed = try await run(Self.plan(), ex, d)
        #expect(resumed.skipped == ["cluster"] && resumed.ran == ["controller", "slim"])
    }

    @Test func selectionByOnlyFromSkipAndExclude() async throws {
        let ex = Recorder()
        #expect(try await run(Self.plan(), ex, dir(), EngineOptions(only: ["slim"])).ran == ["slim"])
        #expect(try await run(Self.plan(), ex, dir(), EngineOptions(from: "controller")).ran == ["controller", "slim"])
        #expect(try await run(Self.plan(), ex, dir(), EngineOptions(skip: ["controller"])).ran == ["cluster", "slim"])
        #expect(try await run(Self.plan(), ex, dir(), EngineOptions(exclude: ["slim"])).ran == ["cluster", "controller"])
        await #expect(throws: EngineUsageError.self) { _ = try await run(Self.plan(), ex, dir(), EngineOptions(only: ["nope"])) }
    }

    @Test func forceRerunsFinishedSteps() async throws {
        let d = dir(), ex = Recorder()
        _ = try await run(Self.plan(), ex, d)
        ex.reset()
        #expect(try await run(Self.plan(), ex, d, EngineOptions(force: true)).ran == ["cluster", "controller", "slim"])
    }
}
