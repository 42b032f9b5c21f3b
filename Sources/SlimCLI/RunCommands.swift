import ArgumentParser
import Checks
import Engine
import Foundation
import Local
import Plan
import Strategy
import Tools
import YAML

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Run a strategy's steps in order: cluster, SPIRE, controller, SLIM. Resumable and safe to re-run.",
        discussion:
            "Finished steps whose inputs did not change are skipped; a failed or interrupted run resumes at the step that did not finish. The test apps are run by `slimctl test`."
    )

    @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String
    @Option(name: .customLong("from"), help: "Start at this step.", completion: Completions.steps) var from: String?
    @Option(name: .customLong("only"), help: "Run only these steps (repeatable).", completion: Completions.steps) var only: [String] = []
    @Option(name: .customLong("skip"), help: "Skip these steps (repeatable).", completion: Completions.steps) var skip: [String] = []
    @Flag(name: .customLong("force"), help: "Redo finished steps even if unchanged.") var force = false
    @Option(name: .customLong("port-base"), help: "Local target: fixed loopback ports for the SLIM nodes (node i: base+2i), instead of free ones.")
    var portBase: Int?
    @OptionGroup var sources: ChartSourceOptions
    @OptionGroup var images: LoadImageOptions
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        try options.checkWritableState()
        let t = try Targets.open(strategy: strategy, options: options, flags: target, sources: sources, portBase: portBase, images: images.images)
        try t.requireTools()
        let json = out.output.structured
        let lock = try DeployLock.acquire(t.layout, command: "deploy")
        defer { lock.release() }
        try await t.prepare(json: json)
        let name = t.rendered.strategy.name
        do {
            let summary = try await Engine.run(
                t.plan, executor: await t.executor(), statePath: t.layout.statePath, runDir: t.layout.runDir,
                snapshotDir: t.layout.deployedDir,
                options: EngineOptions(
                    from: from, only: only, skip: skip,
                    exclude: only.isEmpty ? appStepNames(t.rendered) : [], force: force),
                events: ProgressDisplay(t.rendered.redactor, json: json).events)
            if json {
                printJSON(
                    .map([
                        "strategy": .string(name), "target": .string(t.kind.rawValue), "result": "deployed",
                        "ran": .list(summary.ran.map { .string($0) }), "skipped": .list(summary.skipped.map { .string($0) })
                    ]))
            } else {
                print("deployed \(name) (\(t.kind.rawValue)): \(summary.ran.count) step(s) run, \(summary.skipped.count) unchanged")
            }
        } catch let f as StepFailure {
            throw CLIError.failed(t.rendered.redactor.redact(f.description))
        }
    }
}

/// One `deploy` at a time per strategy: a second one would race the first for ports and processes.
/// One lock per state folder, target and strategy, held by every command that changes what runs
/// (deploy, test, delete, ci): two of them at once would start, stop or record processes and
/// releases behind each other's back. The second is refused naming the holder.
struct DeployLock {
    let path: String
    static func acquire(_ path: String, command: String = "deploy") throws -> DeployLock {
        try FileSystem.makeDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError.environment("cannot open lock \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            let holder = ((try? String(contentsOfFile: path + ".pid", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
            throw CLIError.config(
                "busy: slimctl \(holder.isEmpty ? "?" : holder) is changing this deployment (lock \(path)); "
                    + "wait for it to finish or stop it, then run `\(command)` again")
        }
        try? AtomicFile.write("pid \(getpid()), `\(command)`\n", to: path + ".pid", mode: 0o600)
        // The descriptor stays open (and locked) until the process ends.
        return DeployLock(path: path)
    }

    /// The lock of one strategy on one target (see `StateLayout.lockPath`).
    static func acquire(_ layout: StateLayout, command: String) throws -> DeployLock {
        try acquire(layout.lockPath, command: command)
    }

    func release() { try? FileManager.default.removeItem(atPath: path + ".pid") }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Steps done and pending, and what is running.")

    @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String = "daemonset"
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        let t = try Targets.open(strategy: strategy, options: options, flags: target)
        try t.requireTools()
        let steps = StepStatus.rows(t.plan, state: RunState.load(t.layout.statePath), apps: appStepNames(t.rendered))
        let detail = await t.runtimeStatus()
        let name = t.rendered.strategy.name
        if out.output.structured {
            var m = detail.json
            m["strategy"] = .string(name)
            m["target"] = .string(t.kind.rawValue)
            m["steps"] = .list(steps.map { .map(["step": .string($0.step), "status": .string($0.status)]) })
            printJSON(.map(.init(uniqueKeysWithValues: m.sorted { $0.key < $1.key })))
            return
        }
        print("strategy \(name) on target \(t.kind.rawValue)\n")
        for line in TextTable.lines(["STEP", "STATUS"], steps.map { [$0.step, StepStatus.colored($0.status)] }) { print(line) }
        for line in detail.lines { print(line) }
    }
}

/// Each planned step against the step records: done, failed, changed (done with other inputs),
/// pending, or "by test" for the test apps' steps.
enum StepStatus {
    static func rows(_ plan: Plan, state: RunState?, apps: Set<String>) -> [(step: String, status: String)] {
        plan.steps.map { st in
            let rec = state?.steps[st.name]
            let status =
                rec.map { $0.status == .done && $0.hash != st.inputsHash ? "changed" : $0.status.rawValue } ?? (apps.contains(st.name) ? "by test" : "pending")
            return (st.name, status)
        }
    }

    /// The status word, coloured by what it asks of the user: nothing
    /// (done), a look (failed, interrupted), a deploy (changed, pending).
    static func colored(_ status: String, style: Style = .out) -> String {
        switch status {
        case "done": return style.good(status)
        case "failed", "interrupted": return style.bad(status)
        case "changed", "pending": return style.warn(status)
        default: return status
        }
    }
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Stop and remove everything the strategy deployed (reverse order). Safe to run twice.")

    @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String = "daemonset"
    @Flag(name: .customLong("delete-namespaces"), help: "kind/cluster: also delete the strategy's namespaces.") var deleteNamespaces = false
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        let t = try Targets.open(strategy: strategy, options: options, flags: target)
        try t.requireTools()
        let lock = try DeployLock.acquire(t.layout, command: "delete")
        defer { lock.release() }
        let json = out.output.structured
        let done = try await t.tearDown(.deployment(deleteNamespaces: deleteNamespaces), json: json)
        if json {
            printJSON(
                .map([
                    "strategy": .string(t.rendered.strategy.name), "target": .string(t.kind.rawValue),
                    .init(done.jsonKey): .list(done.items.map { .string($0) })
                ]))
        } else {
            print(done.line)
        }
    }
}

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Bring the strategy's cluster up or down.",
        subcommands: [Up.self, Down.self])

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the cluster (local: simulated nodes and the SLIM runtime).")
        @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String = "daemonset"
        @OptionGroup var options: StrategyOptions
        @OptionGroup var target: TargetFlags
        @OptionGroup var terminalFlags: TerminalFlags
        func run() async throws {
            try options.checkWritableState()
            let t = try Targets.open(strategy: strategy, options: options, flags: target)
            try t.requireTools()
            try await t.clusterUp()
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the cluster and everything on it (local: stops every process).")
        @Argument(help: "Strategy name or path.", completion: Completions.strategies) var strategy: String = "daemonset"
        @OptionGroup var options: StrategyOptions
        @OptionGroup var target: TargetFlags
        @OptionGroup var terminalFlags: TerminalFlags
        func run() async throws {
            let t = try Targets.open(strategy: strategy, options: options, flags: target)
            try t.requireTools()
            print(try await t.clusterDown())
        }
    }
}
