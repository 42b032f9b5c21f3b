import ArgumentParser
import Checks
import Foundation
import Local
import Placement
import Plan
import Tools
import YAML

/// `slimctl local-node …`: the local target's simulated nodes, changed as kubectl changes a
/// cluster's (`kubectl label|taint|cordon|uncordon`, plus add and remove, which a cluster does by
/// adding or deleting machines). Not `node`: upstream SLIM's own CLI is also called `slimctl`
/// and its `slimctl node` manages SLIM nodes through the controller; these are the simulated
/// Kubernetes nodes SLIM nodes run on. The next `deploy` reconciles the SLIM DaemonSet.
struct LocalNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local-node",
        abstract: "Add, remove, label, taint and cordon the local target's simulated nodes; `deploy` then reconciles the SLIM DaemonSet.",
        discussion: """
            Simulated Kubernetes nodes of the local target (not SLIM nodes: upstream SLIM's own `slimctl node` is a different tool). \
            Changes are kept in the strategy's local state and printed; the next `slimctl deploy` starts, stops or keeps \
            SLIM nodes as the DaemonSet controller would. On kind or a cluster, use kubectl.

              slimctl local-node list
              slimctl local-node add worker4 --label zone=b --taint gpu=yes:NoSchedule
              slimctl local-node label worker4 zone=a --overwrite       (zone- removes it)
              slimctl local-node taint worker4 maint=now:NoExecute     (maint- removes it)
              slimctl local-node cordon worker4
              slimctl local-node remove worker4
            """,
        subcommands: [List.self, Add.self, Remove.self, Label.self, Taint.self, Cordon.self, Uncordon.self],
        defaultSubcommand: List.self)

    /// What every subcommand shares: the strategy (whose local state holds the nodes), the usual options.
    struct Common: ParsableArguments {
        @Option(
            name: [.customShort("s"), .customLong("strategy")], help: "Strategy name or path whose simulated nodes these are.",
            completion: Completions.strategies) var strategy: String = "daemonset"
        @OptionGroup var options: StrategyOptions
        @OptionGroup var target: TargetFlags
        @OptionGroup var out: OutputFlags

        func session() throws -> LocalSession {
            try options.checkWritableState()
            return try Targets.openLocal(
                strategy: strategy, options: options, flags: target,
                refusal:
                    "local-node changes the local target's simulated nodes; on --target \(target.target.rawValue) use kubectl (kubectl label|taint|cordon node …)"
            )
        }

        /// Runs one edit under the deployment lock, prints what changed and what the next deploy will do.
        func edit(
            _ command: String, _ change: (inout [LocalState.SimNode]) throws -> [String], after: ((LocalSession, [LocalState.SimNode]) -> [String])? = nil
        ) throws {
            let s = try session()
            let lock = try DeployLock.acquire(s.layout, command: "local-node \(command)")
            defer { lock.release() }
            var before: [LocalState.SimNode] = []
            let said: [String]
            do {
                said = try s.target.editNodes { nodes in
                    before = nodes
                    return try change(&nodes)
                }
            } catch let e as SimNodes.Failure {
                throw CLIError.config(e.message)
            }
            let extra = after?(s, before) ?? []
            let preview = NodePreview.nextDeploy(s)
            if out.output.structured {
                printJSON(
                    .map([
                        "strategy": .string(s.rendered.strategy.name), "changes": .list(said.map { .string($0) }),
                        "stopped": .list(extra.map { .string($0) }), "nextDeploy": .list(preview.map { .string($0) })
                    ]))
                return
            }
            for l in said + extra { print(l) }
            if preview.isEmpty {
                print("next `slimctl deploy \(s.rendered.strategy.name)`: the SLIM nodes stay as they are")
            } else {
                print("next `slimctl deploy \(s.rendered.strategy.name)`:")
                for l in preview { print("  \(l)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The simulated nodes: status, taints, the SLIM node on each.")
        @OptionGroup var common: Common
        @Flag(name: .customLong("show-labels"), help: "Also show every label.") var showLabels = false

        func run() async throws {
            let s = try common.session()
            let state = s.target.loadState()
            let nodes = s.target.currentNodes(state)
            let slims = state.processes.filter { $0.component == "slim" }
            func status(_ n: LocalState.SimNode) -> String { (n.ready ? "Ready" : "NotReady") + ((n.unschedulable ?? false) ? ",SchedulingDisabled" : "") }
            func slim(_ n: LocalState.SimNode) -> String {
                let here = slims.filter { $0.node == n.name }
                return here.isEmpty ? "-" : here.map { $0.name + (Spawn.isAlive($0.pid) ? "" : " (exited)") }.joined(separator: ",")
            }
            if common.out.output.structured {
                printJSON(
                    .map([
                        "strategy": .string(s.rendered.strategy.name),
                        "nodes": .list(
                            nodes.map { n in
                                .map([
                                    "name": .string(n.name), "status": .string(status(n)), "unschedulable": .bool(n.unschedulable ?? false),
                                    "taints": .list(n.taints.map { .string($0) }),
                                    "labels": .map(.init(uniqueKeysWithValues: n.labels.sorted { $0.key < $1.key }.map { ($0.key, Value.string($0.value)) })),
                                    "slim": .list(slims.filter { $0.node == n.name }.map { .string($0.name) })
                                ])
                            })
                    ]))
                return
            }
            var rows: [[String]] = []
            for n in nodes {
                rows.append(
                    [n.name, status(n), n.taints.isEmpty ? "<none>" : n.taints.joined(separator: ","), slim(n)]
                        + (showLabels ? [n.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")] : []))
            }
            for line in TextTable.lines(["NAME", "STATUS", "TAINTS", "SLIM"] + (showLabels ? ["LABELS"] : []), rows) { print(line) }
            if state.nodes.isEmpty { print("\n(the strategy's layout: `slimctl deploy \(s.rendered.strategy.name)` makes these nodes)") }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a Ready node (labels as kind's kubelet sets them, plus --label).")
        @Argument(help: "Node name (a DNS subdomain).") var name: String
        @Option(name: .customLong("label"), help: ArgumentHelp("A label (repeatable).", valueName: "key=value")) var labels: [String] = []
        @Option(name: .customLong("taint"), help: ArgumentHelp("A taint (repeatable).", valueName: "key=value:Effect")) var taints: [String] = []
        @OptionGroup var common: Common
        func run() async throws {
            try common.edit("add") { try SimNodes.add(&$0, name: name, labels: labels, taints: taints) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a node. Its processes stop at once, as pods go with a deleted node (pod garbage collection).")
        @Argument(help: "Node name.", completion: Completions.localNodes) var name: String
        @OptionGroup var common: Common
        func run() async throws {
            let node = name
            try common.edit(
                "remove", { try SimNodes.remove(&$0, name: node) },
                after: { s, _ in
                    // The node's machine is gone: whatever ran there goes with it, SLIM node and apps alike.
                    var state = s.target.loadState()
                    let here = state.processes.filter { $0.node == node }
                    Supervisor.stop(here.map(\.pid))
                    state.processes.removeAll { $0.node == node }
                    try? state.save(s.target.statePath)
                    return here.map { "stopped \($0.name) (\($0.workload)) on \(node): the node is gone" }
                })
        }
    }

    struct Label: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set (key=value) or remove (key-) labels, as kubectl label node.")
        @Argument(help: "Node name.", completion: Completions.localNodes) var name: String
        @Argument(help: ArgumentHelp("key=value or key-", valueName: "label")) var edits: [String]
        @Flag(name: .customLong("overwrite"), help: "Allow changing an existing label's value.") var overwrite = false
        @OptionGroup var common: Common
        func run() async throws {
            if edits.isEmpty { throw CLIError.config("give at least one key=value or key-") }
            try common.edit("label") { try SimNodes.label(&$0, name: name, edits: edits, overwrite: overwrite) }
        }
    }

    struct Taint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add (key=value:Effect) or remove (key:Effect- or key-) taints, as kubectl taint nodes.")
        @Argument(help: "Node name.", completion: Completions.localNodes) var name: String
        @Argument(help: ArgumentHelp("key=value:Effect, key:Effect-, or key-", valueName: "taint")) var edits: [String]
        @Flag(name: .customLong("overwrite"), help: "Allow changing the value of a taint with the same key and effect.") var overwrite = false
        @OptionGroup var common: Common
        func run() async throws {
            if edits.isEmpty { throw CLIError.config("give at least one key=value:Effect or key-") }
            try common.edit("taint") { try SimNodes.taint(&$0, name: name, edits: edits, overwrite: overwrite) }
        }
    }

    struct Cordon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a node unschedulable (DaemonSet pods still run there).")
        @Argument(help: "Node name.", completion: Completions.localNodes) var name: String
        @OptionGroup var common: Common
        func run() async throws { try common.edit("cordon") { try SimNodes.cordon(&$0, name: name, true) } }
    }

    struct Uncordon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a node schedulable again.")
        @Argument(help: "Node name.", completion: Completions.localNodes) var name: String
        @OptionGroup var common: Common
        func run() async throws { try common.edit("uncordon") { try SimNodes.cordon(&$0, name: name, false) } }
    }
}

/// `slimctl node` is upstream SLIM's CLI (the other `slimctl`): say so instead of a bare "unknown command".
struct UpstreamNodeCommand: ParsableCommand {
    static let configuration = UpstreamCLI.configuration("node")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
    func run() throws {
        let sub = rest.first.map { ["list", "add", "remove", "label", "taint", "cordon", "uncordon"].contains($0) ? $0 : "list" } ?? "list"
        throw UpstreamCLI.refusal("node", hint: "; the local target's simulated Kubernetes nodes are `slimctl local-node \(sub) …`")
    }
}

/// What the next deploy would do to the SLIM DaemonSet, for the lines after a node change.
enum NodePreview {
    static func nextDeploy(_ s: LocalSession) -> [String] {
        let state = s.target.loadState()
        guard !state.processes(component: "slim").isEmpty else { return [] }
        var out: [String] = []
        for r in s.rendered.releases {
            guard let slim = LocalLayout.slimRelease(r), slim.daemonSet else { continue }
            let decisions = Placement.daemonSet(nodes: s.target.simNodes(state), pod: LocalLayout.slimPlacement(values: r.values))
            let slims = state.processes.filter { $0.component == "slim" && $0.workload == "DaemonSet/\(slim.fullname)" }
            for d in decisions {
                let here = slims.filter { $0.node == d.node }
                if d.shouldRun && here.isEmpty { out.append("start a SLIM node on \(d.node)") }
                if !d.shouldContinueRunning { for p in here { out.append("stop \(p.name) on \(d.node): \(d.reasons.joined(separator: "; "))") } }
                if d.shouldContinueRunning && !here.isEmpty {
                    for w in d.warnings where w.contains("cordoned") || w.contains("kept") { out.append("keep \(here[0].name) on \(d.node): \(w)") }
                }
            }
            for p in slims where !decisions.contains(where: { $0.node == p.node }) { out.append("stop \(p.name): node \(p.node) is gone") }
        }
        return out
    }
}
