import Checks
import Foundation
import Placement
import Tools
import YAML

/// What `verify --watch` looks at on the local target: the simulated nodes, the processes as
/// pods, and the SLIM DaemonSet's rollout, at one moment. Two snapshots make the change lines
/// (`LocalChanges.diff`), worded like the cluster's (`KubeTarget/VerifyWatch.swift`).
public struct LocalSnapshot: Sendable, Hashable {
    public struct Node: Sendable, Hashable {
        public var name: String
        public var ready: Bool
        public var unschedulable: Bool
        public var taints: [String]
        public init(name: String, ready: Bool = true, unschedulable: Bool = false, taints: [String] = []) {
            self.name = name; self.ready = ready; self.unschedulable = unschedulable; self.taints = taints.sorted()
        }
    }

    public struct Pod: Sendable, Hashable {
        public var namespace: String
        public var name: String
        public var node: String
        /// `Running`, `Ready`, `Completed`, `Failed (process exited)`.
        public var status: String
        public init(namespace: String, name: String, node: String, status: String) {
            self.namespace = namespace; self.name = name; self.node = node; self.status = status
        }
    }

    public struct Rollout: Sendable, Hashable {
        public var name: String
        public var revision: String
        public var desired: Int
        public var available: Int
        public var updated: Int
        public var total: Int
        public init(name: String, revision: String, desired: Int, available: Int, updated: Int, total: Int) {
            self.name = name; self.revision = revision; self.desired = desired; self.available = available; self.updated = updated; self.total = total
        }
        public var rolledOut: Bool { updated == desired && available == desired && total == desired }
        /// As `kubectl rollout status` words a DaemonSet (and the cluster's watch lines do).
        public var progress: String { "\(available)/\(desired) available, \(updated) updated" }
    }

    public var nodes: [Node] = []
    public var pods: [Pod] = []
    public var rollouts: [Rollout] = []
    public init(nodes: [Node] = [], pods: [Pod] = [], rollouts: [Rollout] = []) {
        self.nodes = nodes; self.pods = pods; self.rollouts = rollouts
    }
}

/// See `WatchChange` (Checks): one shape for every target.
public typealias LocalChange = WatchChange

public enum LocalChanges {
    public static func diff(_ old: LocalSnapshot, _ new: LocalSnapshot) -> [LocalChange] {
        var out: [LocalChange] = []
        let oldNodes = Dictionary(uniqueKeysWithValues: old.nodes.map { ($0.name, $0) })
        let newNodes = Dictionary(uniqueKeysWithValues: new.nodes.map { ($0.name, $0) })
        for n in new.nodes {
            guard let o = oldNodes[n.name] else {
                let s = n.ready ? "Ready" : "NotReady"
                out.append(LocalChange(kind: "node", name: n.name, change: "joined", status: s, text: "node \(n.name) joined (\(s))"))
                continue
            }
            if o.ready != n.ready {
                let s = n.ready ? "Ready" : "NotReady"
                out.append(LocalChange(kind: "node", name: n.name, change: "status", status: s, text: "node \(n.name) \(s)"))
            } else if o.unschedulable != n.unschedulable {
                let s = n.unschedulable ? "cordoned" : "uncordoned"
                out.append(LocalChange(kind: "node", name: n.name, change: "status", status: s, text: "node \(n.name) \(s)"))
            } else if o.taints != n.taints {
                let list = n.taints.joined(separator: ", ")
                out.append(
                    LocalChange(
                        kind: "node", name: n.name, change: "taints", status: list.isEmpty ? "no taints" : list,
                        text: "node \(n.name) taints now: \(list.isEmpty ? "none" : list)"))
            }
        }
        for o in old.nodes where newNodes[o.name] == nil {
            out.append(LocalChange(kind: "node", name: o.name, change: "removed", status: "Removed", text: "node \(o.name) removed"))
        }
        // Pods: status changes of pods that stay first (a replacement's readiness came before
        // the next deletion it allowed), then deletions, then new pods (a replacement reads
        // "deleted" then "scheduled").
        let key = { (p: LocalSnapshot.Pod) in "\(p.namespace)/\(p.name)@\(p.node)" }
        let oldPods = Dictionary(old.pods.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let newPods = Dictionary(new.pods.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        for n in new.pods {
            guard let o = oldPods[key(n)], o.status != n.status else { continue }
            out.append(
                LocalChange(
                    kind: "pod", namespace: n.namespace, name: n.name, node: n.node, change: "status", status: n.status,
                    text: "pod \(n.namespace)/\(n.name) on \(n.node): \(n.status)"))
        }
        for o in old.pods where newPods[key(o)] == nil {
            out.append(
                LocalChange(
                    kind: "pod", namespace: o.namespace, name: o.name, node: o.node, change: "deleted", status: "Deleted",
                    text: "pod \(o.namespace)/\(o.name) on \(o.node) deleted"))
        }
        for n in new.pods where oldPods[key(n)] == nil {
            out.append(
                LocalChange(
                    kind: "pod", namespace: n.namespace, name: n.name, node: n.node, change: "scheduled", status: n.status,
                    text: "pod \(n.namespace)/\(n.name) scheduled on \(n.node) (\(n.status))"))
        }
        let oldRollouts = Dictionary(uniqueKeysWithValues: old.rollouts.map { ($0.name, $0) })
        for r in new.rollouts {
            let o = oldRollouts[r.name]
            if let o, o.revision != r.revision {
                out.append(
                    LocalChange(
                        kind: "DaemonSet", name: r.name, change: "spec", status: "revision \(r.revision)",
                        text: "DaemonSet \(r.name) changed (revision \(r.revision)): rolling out"))
            }
            guard o?.progress != r.progress || o?.rolledOut != r.rolledOut else { continue }
            out.append(
                LocalChange(
                    kind: "DaemonSet", name: r.name, change: o == nil ? "created" : "rollout", status: r.rolledOut ? "rolled out" : "rolling out",
                    text: "DaemonSet \(r.name): \(r.progress)" + (r.rolledOut ? " (rolled out)" : "")))
        }
        return out
    }
}

extension LocalTarget {
    /// The local deployment now, for `verify --watch`.
    public func snapshot() -> LocalSnapshot {
        let state = loadState()
        var snap = LocalSnapshot()
        snap.nodes = currentNodes(state).map {
            LocalSnapshot.Node(name: $0.name, ready: $0.ready, unschedulable: $0.unschedulable ?? false, taints: $0.taints)
        }
        let slims = rendered.releases.compactMap(LocalLayout.slimRelease)
        for p in state.processes {
            let alive = Spawn.isAlive(p.pid)
            let status: String
            if !alive {
                status = p.runsToCompletion ? "Completed" : "Failed (process exited)"
            } else if p.runsToCompletion {
                status = "Running"
            } else {
                status = (p.ready ?? true) ? "Ready" : "Running (not ready)"
            }
            let ns =
                p.component == "slim"
                ? (slims.first { "\($0.workload.rawValue)/\($0.fullname)" == p.workload }?.namespace ?? "slim")
                : (rendered.manifests.first { $0.app?.rawValue == p.component || $0.step == p.component }?.namespace ?? "default")
            snap.pods.append(.init(namespace: ns, name: p.name, node: p.node, status: status))
        }
        for r in rendered.releases {
            guard let slim = LocalLayout.slimRelease(r), slim.daemonSet else { continue }
            let owner = "\(slim.workload.rawValue)/\(slim.fullname)"
            guard let revision = state.revisions?[owner] else { continue }
            let decisions = Placement.daemonSet(nodes: simNodes(state), pod: LocalLayout.slimPlacement(values: r.values))
            let desired = Set(decisions.filter(\.shouldRun).map(\.node))
            let pods = rolloutPods(state, owner: owner)
            snap.rollouts.append(
                .init(
                    name: slim.fullname, revision: revision, desired: desired.count,
                    available: Set(pods.filter { $0.ready && desired.contains($0.node) }.map(\.node)).count,
                    updated: pods.filter { $0.revision == revision && desired.contains($0.node) }.count, total: pods.count))
        }
        return snap
    }
}
