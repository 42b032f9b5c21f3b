import Foundation
import Placement
import YAML

/// What the DaemonSet controller would do next with the SLIM pods of a DaemonSet, as pure
/// decisions: the local target runs them wave by wave (stop, start, wait until ready, decide
/// again), like the controller's sync loop, until nothing is left to do.
///
/// Mirrors `manage` and `rollingUpdate` in pkg/controller/daemon (daemon_controller.go,
/// update.go): a node that should run a pod and has none gets one (at the current revision); a
/// pod on a node that is gone or must not keep it (an untolerated NoExecute taint, a selector
/// or affinity that no longer matches) is deleted, while a cordon or a NoSchedule taint keeps
/// it; a failed pod is deleted and made again; pods of an older revision are replaced as the
/// update strategy says: `RollingUpdate` deletes old pods while at most `maxUnavailable` nodes
/// are without a ready pod (old pods that are not ready go first, they cost nothing) or, with
/// `maxSurge`, starts the new pod beside the old one and deletes the old once the new is
/// ready; `OnDelete` replaces nothing: a pod gets the new revision only once it is gone.
public enum DaemonSetRollout {
    public struct Pod: Sendable, Hashable {
        public var name: String
        public var node: String
        public var revision: String?
        public var alive: Bool
        public var ready: Bool
        public init(name: String, node: String, revision: String?, alive: Bool, ready: Bool) {
            self.name = name; self.node = node; self.revision = revision; self.alive = alive; self.ready = ready
        }
    }

    public enum UpdateStrategy: Sendable, Hashable, CustomStringConvertible {
        case rollingUpdate(maxUnavailable: IntOrPercent, maxSurge: IntOrPercent)
        case onDelete

        public var description: String {
            switch self {
            case .onDelete: return "OnDelete"
            case .rollingUpdate(let u, let s):
                return "RollingUpdate (maxUnavailable \(u)" + (s.isZero ? "" : ", maxSurge \(s)") + ")"
            }
        }
    }

    /// `intstr.IntOrString` as a DaemonSet's rolling update reads it.
    public enum IntOrPercent: Sendable, Hashable, CustomStringConvertible {
        case int(Int)
        case percent(Int)

        /// `GetScaledValueFromIntOrPercent` with roundUp, as the controller scales both bounds.
        public func scaled(_ total: Int) -> Int {
            switch self {
            case .int(let n): return n
            case .percent(let p): return (p * total + 99) / 100
            }
        }

        var isZero: Bool { self == .int(0) || self == .percent(0) }
        public var description: String {
            switch self {
            case .int(let n): return String(n)
            case .percent(let p): return "\(p)%"
            }
        }
    }

    public struct Delete: Sendable, Hashable {
        public var pod: String
        public var node: String
        public var reason: String
    }

    public struct Create: Sendable, Hashable {
        public var node: String
        public var reason: String
    }

    /// One round of the controller: pods to stop, then pods to start. Empty when done.
    public struct Wave: Sendable, Hashable {
        public var deletes: [Delete] = []
        public var creates: [Create] = []
        public var isEmpty: Bool { deletes.isEmpty && creates.isEmpty }
    }

    /// The chart's `slim.updateStrategy` as it renders it for a DaemonSet: both generations
    /// write `type | default "RollingUpdate"` and `maxUnavailable | default 1` and no maxSurge
    /// (2.2.0 renders maxSurge for its Deployment only). Helm's `default` treats 0 and "" as
    /// unset, so `maxUnavailable: 0` becomes 1 too.
    public static func chartStrategy(values: Value) throws -> UpdateStrategy {
        let u = values.lookup(["slim", "updateStrategy"])
        let type = nonEmpty(u?["type"]) ?? "RollingUpdate"
        switch type {
        case "RollingUpdate":
            let raw = nonEmpty(u?["rollingUpdate"]?["maxUnavailable"]) ?? "1"
            guard let max = IntOrPercent(raw), !max.isZero else {
                throw SimNodes.Failure("slim.updateStrategy.rollingUpdate.maxUnavailable `\(raw)`: give a number or a percentage, such as 1 or 25%")
            }
            return .rollingUpdate(maxUnavailable: max, maxSurge: .int(0))
        case "OnDelete":
            return .onDelete
        default:
            throw SimNodes.Failure("slim.updateStrategy.type `\(type)`: a DaemonSet takes RollingUpdate or OnDelete (the API server refuses anything else)")
        }
    }

    /// A value as Helm's `default` sees it: nil for unset, null, false, 0 and "".
    static func nonEmpty(_ v: Value?) -> String? {
        guard let v else { return nil }
        if let i = v.intValue { return i == 0 ? nil : String(i) }
        if let b = v.boolValue { return b ? "true" : nil }
        guard let s = v.stringValue, !s.isEmpty else { return nil }
        return s
    }

    /// The next wave. `decisions` is Placement's verdict per existing node.
    public static func next(decisions: [NodeDecision], pods: [Pod], revision: String, strategy: UpdateStrategy) -> Wave {
        let byNode = Dictionary(grouping: pods, by: \.node)
        let wave = manage(decisions: decisions, pods: pods, byNode: byNode, revision: revision, strategy: strategy)
        if !wave.isEmpty { return wave }
        // rollingUpdate: only once every node has what manage wants.
        guard case .rollingUpdate(let maxUnavailableSpec, let maxSurgeSpec) = strategy else { return wave }
        let desired = decisions.filter(\.shouldRun).map(\.node)
        var maxUnavailable = maxUnavailableSpec.scaled(desired.count)
        let maxSurge = maxSurgeSpec.scaled(desired.count)
        if maxUnavailable == 0 && maxSurge == 0 { maxUnavailable = 1 }
        if maxSurge == 0 {
            return replaceInPlace(desired: desired, byNode: byNode, revision: revision, maxUnavailable: maxUnavailable, spec: maxUnavailableSpec)
        }
        return surge(desired: desired, byNode: byNode, revision: revision, maxSurge: maxSurge, spec: maxSurgeSpec)
    }

    /// The DaemonSet controller's manage pass: pods that must go, failed pods, nodes without a
    /// pod, and a second pod on a node outside a surge.
    static func manage(decisions: [NodeDecision], pods: [Pod], byNode: [String: [Pod]], revision: String, strategy: UpdateStrategy) -> Wave {
        var wave = Wave()
        let decision = Dictionary(uniqueKeysWithValues: decisions.map { ($0.node, $0) })
        for p in pods.sorted(by: { ($0.node, $0.name) < ($1.node, $1.name) }) {
            guard let d = decision[p.node] else {
                wave.deletes.append(Delete(pod: p.name, node: p.node, reason: "node \(p.node) is gone"))
                continue
            }
            if !d.shouldContinueRunning {
                wave.deletes.append(Delete(pod: p.name, node: p.node, reason: d.reasons.joined(separator: "; ")))
            } else if !p.alive {
                wave.deletes.append(Delete(pod: p.name, node: p.node, reason: "\(p.name) on \(p.node) failed (its process exited)"))
            }
        }
        let deleted = Set(wave.deletes.map(\.pod))
        for d in decisions where d.shouldRun {
            let live = (byNode[d.node] ?? []).filter { !deleted.contains($0.name) }
            if live.isEmpty {
                let failed = (byNode[d.node] ?? []).contains { !$0.alive }
                wave.creates.append(Create(node: d.node, reason: failed ? "replacing the failed pod on \(d.node)" : "\(d.node) should run a pod and has none"))
            }
        }
        // Excess pods (two on a node outside a surge): keep the current one that is ready, else the first.
        let surging = {
            if case .rollingUpdate(_, let s) = strategy { return !s.isZero }; return false
        }()
        if !surging {
            for (node, list) in byNode.sorted(by: { $0.key < $1.key }) {
                let live = list.filter { !deleted.contains($0.name) }
                guard live.count > 1 else { continue }
                let keep = live.first { $0.revision == revision && $0.ready } ?? live.first { $0.revision == revision } ?? live[0]
                for p in live where p != keep {
                    wave.deletes.append(Delete(pod: p.name, node: node, reason: "\(node) has more than one pod; keeping \(keep.name)"))
                }
            }
        }
        return wave
    }

    /// Rolling update without surge: outdated pods that are not ready go at once, ready ones
    /// while fewer than maxUnavailable nodes are without a ready pod.
    static func replaceInPlace(desired: [String], byNode: [String: [Pod]], revision: String, maxUnavailable: Int, spec maxUnavailableSpec: IntOrPercent) -> Wave
    {
        var wave = Wave()
        var unavailable = desired.filter { n in !(byNode[n] ?? []).contains(where: \.ready) }.count
        var oldReady: [Pod] = []
        for n in desired {
            for p in byNode[n] ?? [] where p.revision != revision {
                if p.ready {
                    oldReady.append(p)
                } else {
                    wave.deletes.append(Delete(pod: p.name, node: n, reason: "\(p.name) on \(n) is outdated and not ready: replaced at once"))
                }
            }
        }
        for p in oldReady where unavailable < maxUnavailable {
            unavailable += 1
            wave.deletes.append(Delete(pod: p.name, node: p.node, reason: "\(p.name) on \(p.node) is outdated (maxUnavailable \(maxUnavailableSpec))"))
        }
        return wave
    }

    /// Rolling update with surge: a new pod beside the old; the old goes once the new is ready.
    static func surge(desired: [String], byNode: [String: [Pod]], revision: String, maxSurge: Int, spec maxSurgeSpec: IntOrPercent) -> Wave {
        var wave = Wave()
        var surged = 0
        var candidates: [String] = []
        for n in desired {
            let list = byNode[n] ?? []
            let new = list.first { $0.revision == revision }
            let old = list.filter { $0.revision != revision }
            guard !old.isEmpty else { continue }
            if let new {
                if new.ready {
                    for o in old { wave.deletes.append(Delete(pod: o.name, node: n, reason: "the new pod \(new.name) on \(n) is ready")) }
                } else {
                    surged += 1
                }
            } else if !old.contains(where: \.ready) {
                wave.creates.append(Create(node: n, reason: "\(n)'s outdated pod is not ready: surging at once"))
            } else {
                candidates.append(n)
            }
        }
        for n in candidates.prefix(max(0, maxSurge - surged)) {
            wave.creates.append(Create(node: n, reason: "\(n) runs an outdated pod (maxSurge \(maxSurgeSpec))"))
        }
        return wave
    }
}

extension DaemonSetRollout.IntOrPercent {
    /// `3` or `25%`.
    public init?(_ s: String) {
        if s.hasSuffix("%"), let p = Int(s.dropLast()), p >= 0 { self = .percent(p) } else if let n = Int(s), n >= 0 { self = .int(n) } else { return nil }
    }
}
