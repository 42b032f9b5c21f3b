import Engine
import Foundation
import Testing

@testable import Plan

/// A finished step that runs again says why: which of its inputs changed since it finished, or
/// that what it made is gone. A finished step keeps a snapshot of what it deployed.
@Suite struct RerunReasons {
    final class Quiet: StepExecutor, @unchecked Sendable {
        let lock = NSLock()
        var unsatisfied = false
        func execute(_ step: PlannedStep, context: StepContext) async throws {}
        func stillSatisfied(_ step: PlannedStep) -> Bool { lock.withLock { !unsatisfied } }
    }

    final class Events: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        func add(_ e: EngineEvent) {
            if case .message(let step, let text) = e { lock.withLock { lines.append("\(step): \(text)") } }
        }
        var all: [String] { lock.withLock { lines } }
    }

    static func step(_ inputs: [StepInput], snapshot: String? = nil) -> Plan {
        let hash = Hash.fnv1a(inputs.map { "\($0.kind)|\($0.name)|\($0.hash)" }.joined(separator: ";"))
        return Plan(
            strategy: "demo", target: .local,
            steps: [
                PlannedStep(
                    name: "slim", kind: "helm", description: "", needs: [], timeoutSeconds: 60, actions: [], inputsHash: hash,
                    inputs: inputs, snapshot: snapshot)
            ])
    }

    func run(_ plan: Plan, _ ex: Quiet, _ d: String, force: Bool = false) async throws -> [String] {
        let events = Events()
        _ = try await Engine.run(
            plan, executor: ex, statePath: "\(d)/state.json", runDir: "\(d)/runs", snapshotDir: "\(d)/deployed",
            options: EngineOptions(force: force)
        ) { events.add($0) }
        return events.all
    }

    func dir() -> String {
        let d = NSTemporaryDirectory() + "rerun-" + UUID().uuidString.prefix(8)
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    let file = StepInput(kind: "values", name: "slim-2.yaml", hash: "a")
    let chart = StepInput(kind: "chart", name: "slim", hash: "c")

    @Test func theChangedInputsAreNamedByKind() async throws {
        let d = dir(), ex = Quiet()
        #expect(try await run(Self.step([file, chart]), ex, d).isEmpty, "a first run has nothing to explain")
        let set = StepInput(kind: "values", name: "--set image.tag", hash: "s")
        let changed = try await run(Self.step([StepInput(kind: "values", name: "slim-2.yaml", hash: "b"), set, chart]), ex, d)
        #expect(changed == ["slim: re-running (values changed: slim-2.yaml; --set image.tag)"])
        let chartToo = try await run(
            Self.step([StepInput(kind: "values", name: "slim-2.yaml", hash: "b"), StepInput(kind: "chart", name: "slim", hash: "d")]), ex, d)
        #expect(chartToo == ["slim: re-running (chart changed: slim, values changed: --set image.tag (removed))"])
        #expect(
            try await run(Self.step([StepInput(kind: "values", name: "slim-2.yaml", hash: "b"), StepInput(kind: "chart", name: "slim", hash: "d")]), ex, d)
                .isEmpty,
            "unchanged: skipped, nothing said")
    }

    @Test func unchangedInputsSayWhyTheStepRunsAnyway() async throws {
        let d = dir(), ex = Quiet()
        _ = try await run(Self.step([file]), ex, d)
        ex.lock.withLock { ex.unsatisfied = true }
        #expect(try await run(Self.step([file]), ex, d) == ["slim: re-running (inputs unchanged, but what it deployed is gone or out of date)"])
        ex.lock.withLock { ex.unsatisfied = false }
        #expect(try await run(Self.step([file]), ex, d, force: true) == ["slim: re-running (asked for)"])
    }

    @Test func aRecordWithoutInputsStillSaysTheInputsChanged() async throws {
        let d = dir(), ex = Quiet()
        _ = try await run(Self.step([file]), ex, d)
        // A state file from before inputs were kept.
        var state = try #require(RunState.load("\(d)/state.json"))
        state.steps["slim"]?.inputs = nil
        try state.save("\(d)/state.json")
        #expect(try await run(Self.step([StepInput(kind: "values", name: "slim-2.yaml", hash: "z")]), ex, d) == ["slim: re-running (inputs changed)"])
    }

    @Test func aFinishedStepKeepsItsSnapshotPrivately() async throws {
        let d = dir(), ex = Quiet()
        let snap = DeployedSnapshot(text: "a: secret-value-123\n", secrets: ["s": "secret-value-123", "unused": "zzzzzzzz"])
        _ = try await run(Self.step([file], snapshot: snap.encoded), ex, d)
        let path = StepSnapshots.path(step: "slim", in: "\(d)/deployed")
        #expect(StepSnapshots.load(step: "slim", in: "\(d)/deployed") == DeployedSnapshot(text: "a: secret-value-123\n", secrets: ["s": "secret-value-123"]))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let dirMode = try #require(try FileManager.default.attributesOfItem(atPath: "\(d)/deployed")[.posixPermissions] as? Int)
        #expect(dirMode == 0o700)
    }
}
