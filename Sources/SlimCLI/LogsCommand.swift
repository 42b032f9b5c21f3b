import ArgumentParser
import Foundation
import Kube
import KubeTarget
import Local
import Plan
import Strategy
import Tools
import YAML

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Logs of many pods at once, each line prefixed with an aligned pod/container (and node with --node).",
        discussion: """
            `slimctl logs [<strategy>] [slim|controller|spire|receiver|sender|<pod>]`: with one word, a strategy \
            name is the strategy, anything else the selector (strategy daemonset). On kind/cluster every container \
            of every matching pod is read at once; with -f new pods are picked up, deleted ones reported on \
            stderr, restarted containers followed into their new instance.
            """)

    @Argument(
        help: ArgumentHelp("[strategy] [slim|controller|spire|receiver|sender|pod]; all components when no selector.", valueName: "words"),
        completion: Completions.logWords)
    var words: [String] = []
    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep following (Ctrl-C to stop).") var follow = false
    @Option(name: .customLong("tail"), parsing: .unconditional, help: "Lines per container from the end (-1: all).") var tail: Int = -1
    @Option(name: .customLong("since"), help: ArgumentHelp("Only lines newer than this Go duration (30s, 5m, 1h30m); kind/cluster.", valueName: "duration"))
    var since: String?
    @Flag(name: .customLong("timestamps"), help: "Show each line's timestamp (kind/cluster).") var timestamps = false
    @Flag(
        name: [.customShort("p"), .customLong("previous")],
        help: "The previous instance of each container: what it logged before it last restarted (kind/cluster).")
    var previous = false
    @Flag(name: .customLong("node"), help: "Prefix the node too.") var showNode = false
    @OptionGroup var strategyFlags: LogsStrategyFlags
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    /// Values layers do not change which pods run where, so logs takes none: that keeps `-f`
    /// for follow, as in kubectl.
    var options: StrategyOptions {
        get throws {
            let args =
                strategyFlags.strategyDirs.flatMap { ["--strategies", $0] } + strategyFlags.vars.flatMap { ["--var", $0] }
                + (strategyFlags.stateDir.map { ["--state-dir", $0] } ?? []) + (strategyFlags.namespace.map { ["--namespace", $0] } ?? [])
            do { return try StrategyOptions.parse(args) } catch { throw CLIError.config("\(error)") }
        }
    }

    /// `logs slim` means the component, `logs statefulset` the strategy: one word is a strategy
    /// only when a strategy of that name (or path) exists.
    func strategyAndSelector() throws -> (String, String?) {
        switch words.count {
        case 0: return ("daemonset", nil)
        case 1:
            let w = words[0]
            if LogSelectors.components.contains(w) { return ("daemonset", w) }
            return (try? options.workspace.strategyFile(w)) != nil ? (w, nil) : ("daemonset", w)
        case 2: return (words[0], words[1])
        default: throw CLIError.config("logs takes at most a strategy and a selector, got \(words.count) words: \(words.joined(separator: " "))")
        }
    }

    func run() async throws {
        if tail < -1 { throw CLIError.config("--tail \(tail): expected -1 (all) or a number of lines") }
        var sinceSeconds: Int?
        if let since {
            guard let s = GoDuration.sinceSeconds(since) else {
                throw CLIError.config("--since \(since): expected a positive Go duration such as 30s, 5m or 1h30m")
            }
            sinceSeconds = s
        }
        if follow && previous {
            throw CLIError.config("--previous and --follow: a previous instance has ended; there is nothing to follow")
        }
        let (strategy, selector) = try strategyAndSelector()
        Retained.interruptNote = ""  // nothing to resume: Ctrl-C just ends the tail
        let t = try Targets.open(strategy: strategy, options: try options, flags: target)
        try await t.logs(self, selector: selector, sinceSeconds: sinceSeconds)
    }
}

/// The strategy options logs needs (which strategy, its variables, where state is).
struct LogsStrategyFlags: ParsableArguments {
    @Option(
        name: .customLong("strategies"), help: ArgumentHelp("Extra folder of strategy files (repeatable; also SLIMCTL_STRATEGIES).", valueName: "dir"),
        completion: .directory)
    var strategyDirs: [String] = []
    @Option(name: .customLong("var"), help: ArgumentHelp("Set a strategy variable (repeatable).", valueName: "name=value"))
    var vars: [String] = []
    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Where state, logs and generated secrets are kept (default $XDG_STATE_HOME/slimctl, else ~/.local/state/slimctl; also SLIMCTL_STATE_DIR).",
            valueName: "dir"),
        completion: .directory)
    var stateDir: String?
    @Option(
        name: [.customShort("n"), .customLong("namespace")],
        help: ArgumentHelp("Namespace of SLIM, as kubectl -n (the strategy variable `namespace`).", valueName: "ns"))
    var namespace: String?
}

/// Writes log events: prefixed text or one JSON object per line, redacted (with the strategy's
/// `Redactor`), one write per batch so `| grep` sees lines as they arrive. The write blocks
/// while stdout cannot take more (a stopped terminal, a pager not reading, a full pipe); that
/// is the start of `logs -f`'s back-pressure: the loop in `KubeLogs.run` stops reading the
/// tail's events, the tail's bounded merge fills, and every container's stream pauses.
struct LogWriter {
    var prefix: LogPrefix
    var json: Bool
    var timestamps: Bool
    var redactor: Redactor

    init(_ cmd: LogsCommand, redactor: Redactor) {
        prefix = LogPrefix(showNode: cmd.showNode, color: Terminal.current.color && !cmd.out.output.structured)
        json = cmd.out.output.structured
        timestamps = cmd.timestamps
        self.redactor = redactor
    }

    /// Formats a batch into one buffer and writes it at once: one write per batch (not per
    /// line) keeps up with hundreds of followed pods, and flushing after each batch still
    /// hands every line to `| grep` as soon as it arrived.
    mutating func lines(_ t: LogTarget, _ batch: [LogText]) {
        var out = ""
        out.reserveCapacity(batch.count * 128)
        let head = json ? "" : prefix.prefix(t) + " "
        for l in batch {
            let text = redactor.redact(prefix.color ? l.text : Supervisor.stripANSI(l.text))
            if json {
                var m: [(String, Value)] = [("pod", .string(t.pod)), ("container", .string(t.container)), ("node", .string(t.node))]
                if !t.namespace.isEmpty { m.append(("namespace", .string(t.namespace))) }
                if timestamps, let time = l.time { m.append(("time", .string(time))) }
                m.append(("line", .string(text)))
                out += Output.streamItem(.map(.init(uniqueKeysWithValues: m)))
            } else {
                out += head
                if timestamps, let time = l.time { out += time + " " }
                out += text
            }
            out += "\n"
        }
        FileHandle.standardOutput.writeAll(out)
    }

    mutating func line(_ t: LogTarget, _ raw: String, time: String?) {
        lines(t, [LogText(text: raw, time: time)])
    }
}

extension FileHandle {
    /// Writes every byte (retrying short writes and EINTR), bypassing stdio's buffer so lines
    /// from `print` elsewhere cannot interleave inside them; stdio is flushed first to keep order.
    func writeAll(_ text: String) {
        fflush(nil)
        var text = text
        let fd = fileDescriptor
        text.withUTF8 { buf in
            guard let base = buf.baseAddress else { return }
            var done = 0
            while done < buf.count {
                let n = Glibc.write(fd, base + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                done += n
            }
        }
    }
}

/// The kind/cluster side: pod queries from the strategy, the multi-pod tail, the writer. Events
/// are taken one at a time and written before the next is asked for, so memory stays bounded
/// however long stdout is not read.
enum KubeLogs {
    static func run(_ cmd: LogsCommand, session s: KubeSession, selector: String?, sinceSeconds: Int?) async throws {
        if s.kindNotCreated {
            throw CLIError.environment(
                "kind cluster \(s.rendered.strategy.cluster.name) was not created by slimctl yet: run `slimctl deploy \(s.rendered.strategy.name) --target kind`"
            )
        }
        let client = try s.client()
        let sources = try await sources(selector, session: s, client: client)
        let tail = LogTail(
            client: client, sources: sources,
            options: LogTailOptions(
                follow: cmd.follow, tailLines: cmd.tail >= 0 ? cmd.tail : nil, sinceSeconds: sinceSeconds,
                previous: cmd.previous))
        var writer = LogWriter(cmd, redactor: s.rendered.redactor)
        var anyPod = false
        if cmd.follow && !cmd.out.output.structured { stderr("following \(sources.map(describe).joined(separator: "; ")) (Ctrl-C to stop)") }
        for await event in tail.events() {
            switch event {
            case .lines(let t, let batch):
                writer.lines(t, batch)
            case .targets(let ts):
                if !ts.isEmpty { anyPod = true }
                writer.prefix.realign(ts)
            case .restarted(let t, let n):
                let note = "[\(t.pod)/\(t.container) restarted (restart \(n)): following the new instance]"
                if cmd.out.output.structured { stderr(note) } else { print(writer.prefix.prefix(t) + " " + note); fflush(nil) }
            case .podDeleted(_, let pod, let node):
                stderr("[\(pod)\(node.isEmpty ? "" : " on \(node)") deleted]")
            case .warning(let w):
                stderr(s.rendered.redactor.redact(w))
            case .failed(let why):
                throw CLIError.environment(s.rendered.redactor.redact(why))
            }
        }
        if !anyPod && !cmd.follow {
            stderr("no pods found: \(sources.map(describe).joined(separator: "; ")) (is `\(s.rendered.strategy.name)` deployed on this target?)")
        }
    }

    static func describe(_ s: PodSource) -> String {
        "namespace \(s.namespace)" + (s.labelSelector.map { " -l \($0)" } ?? "") + (s.fieldSelector.map { " \($0)" } ?? "")
    }

    /// The pod sources for the selector word; an unknown pod name is a usage error with a
    /// suggestion from the pods that exist.
    static func sources(_ selector: String?, session s: KubeSession, client: KubeClient) async throws -> [PodSource] {
        do {
            switch LogSelectors.select(selector, rendered: s.rendered) {
            case .components(let queries):
                guard !queries.isEmpty else {
                    throw CLIError.config(
                        "strategy `\(s.rendered.strategy.name)` has no \(selector ?? "components") to show logs of"
                            + (selector == "spire" ? " (it deploys no SPIRE release)" : ""))
                }
                return try await PodSource.resolve(queries, client: client)
            case .pod(let name, let namespaces):
                for ns in namespaces where try await client.get(apiVersion: "v1", kind: "Pod", name: name, namespace: ns) != nil {
                    return [PodSource(namespace: ns, fieldSelector: "metadata.name=\(name)")]
                }
                var live: [String] = []
                for ns in namespaces {
                    live += try await client.list(apiVersion: "v1", kind: "Pod", namespace: ns).items.compactMap {
                        $0.lookup(["metadata", "name"])?.stringValue
                    }
                }
                throw CLIError.config(
                    "no component or pod named `\(name)` in namespace(s) \(namespaces.joined(separator: ", ")); "
                        + Suggest.didYouMean(name, in: LogSelectors.components + live.sorted()))
            }
        } catch let e as KubeError {
            throw CLIError.environment(s.rendered.redactor.redact("\(e)"))
        }
    }
}

/// The local target: SLIM nodes and test apps are processes whose output goes to files.
enum LocalLogs {
    static func run(_ cmd: LogsCommand, session s: LocalSession, selector: String?) async throws {
        let state = LocalState.load(s.target.statePath) ?? LocalState(strategy: s.rendered.strategy.name)
        let procs = state.processes.filter { p in
            guard let sel = selector else { return true }
            return p.component == sel || p.name == sel || p.workload.hasSuffix("/\(sel)")
        }
        if procs.isEmpty {
            let name = s.rendered.strategy.name
            if state.processes.isEmpty { throw CLIError.config("nothing is running for \(name); run `slimctl deploy \(name)`") }
            if let sel = selector, ["receiver", "sender"].contains(sel) {
                throw CLIError.config(
                    "no \(sel) is running for \(name): the test apps run during `slimctl test` and are removed after it "
                        + "(`slimctl test \(sel == "sender" ? "all" : "receiver") \(name) --keep` leaves them running)")
            }
            let known = Set(state.processes.map(\.name) + ["slim", "receiver", "sender"]).sorted()
            throw CLIError.config("no pod matches `\(selector ?? "")`; " + Suggest.didYouMean(selector ?? "", in: known))
        }
        var writer = LogWriter(cmd, redactor: s.rendered.redactor)
        let targets = procs.map { LogTarget(namespace: "", pod: $0.name, container: $0.component, node: $0.node) }
        writer.prefix.realign(targets)
        var offsets = [UInt64](repeating: 0, count: procs.count)
        for (i, p) in procs.enumerated() {
            guard let data = FileManager.default.contents(atPath: p.logPath) else { continue }
            offsets[i] = UInt64(data.count)
            var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            for l in cmd.tail >= 0 ? Array(lines.suffix(cmd.tail)) : lines { writer.line(targets[i], l, time: nil) }
        }
        guard cmd.follow else { return }
        // Processes that start later (a deploy adding or replacing SLIM nodes, `test`'s apps) are followed too.
        try await LocalLogFollow.follow(procs, offsets: offsets, writer: &writer, statePath: s.target.statePath) { p in
            guard let sel = selector else { return true }
            return p.component == sel || p.name == sel || p.workload.hasSuffix("/\(sel)")
        }
    }
}
