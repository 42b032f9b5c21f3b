import OrderedCollections
import YAML

/// A node taint (`core/v1.Taint`) as tests hand it to `setNodes`. The simulator keeps its own
/// type, written from the API reference, rather than slimctl's: the simulated cluster must not
/// share code with what it is used to check.
public struct SimTaint: Sendable, Hashable, CustomStringConvertible {
    public enum Effect: String, Sendable, Hashable, CaseIterable {
        case noSchedule = "NoSchedule"
        case preferNoSchedule = "PreferNoSchedule"
        case noExecute = "NoExecute"
    }

    public var key: String
    public var value: String
    public var effect: Effect

    public init(key: String, value: String = "", effect: Effect) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    /// From a `spec.taints` element; nil for an effect the API server would have rejected.
    init?(_ v: Value) {
        guard let key = v["key"]?.str, let effect = Effect(rawValue: v["effect"]?.str ?? "") else { return nil }
        self.init(key: key, value: v["value"]?.str ?? "", effect: effect)
    }

    /// The JSON the API returns: `value` is omitted when empty, as Go's omitempty does.
    var json: Value {
        var m: OrderedDictionary<String, Value> = ["key": .string(key)]
        if !value.isEmpty { m["value"] = .string(value) }
        m["effect"] = .string(effect.rawValue)
        return .map(m)
    }

    /// `kubectl taint` spelling.
    public var description: String { value.isEmpty ? "\(key):\(effect.rawValue)" : "\(key)=\(value):\(effect.rawValue)" }

    static func list(_ v: Value?) -> [SimTaint] { (v?.list ?? []).compactMap(SimTaint.init) }
}

/// A pod toleration (`core/v1.Toleration`) with the matching rule of the API's
/// `Toleration.ToleratesTaint`: an empty effect matches every effect, an empty key every key;
/// operator Exists matches any value, Equal (or empty) compares values, and an operator the
/// simulator does not know tolerates nothing.
struct SimToleration: Equatable {
    var key: String
    var op: String
    var value: String
    var effect: String

    init(_ v: Value) {
        key = v["key"]?.str ?? ""
        op = v["operator"]?.str ?? ""
        value = v["value"]?.str ?? ""
        effect = v["effect"]?.str ?? ""
    }

    func tolerates(_ taint: SimTaint) -> Bool {
        if !effect.isEmpty && effect != taint.effect.rawValue { return false }
        if !key.isEmpty && key != taint.key { return false }
        switch op {
        case "", "Equal": return value == taint.value
        case "Exists": return true
        default: return false
        }
    }

    static func list(_ v: Value?) -> [SimToleration] { (v?.list ?? []).map(SimToleration.init) }
}

/// The well-known taint keys the node lifecycle controller manages (k8s.io/api
/// well_known_taints.go).
enum SimTaintKey {
    static let notReady = "node.kubernetes.io/not-ready"
    static let unreachable = "node.kubernetes.io/unreachable"
    static let unschedulable = "node.kubernetes.io/unschedulable"
    static let memoryPressure = "node.kubernetes.io/memory-pressure"
    static let diskPressure = "node.kubernetes.io/disk-pressure"
    static let pidPressure = "node.kubernetes.io/pid-pressure"
    static let networkUnavailable = "node.kubernetes.io/network-unavailable"
}

enum SimTolerations {
    /// The first taint with one of `effects` that no toleration tolerates
    /// (`FindMatchingUntoleratedTaint`).
    static func firstUntolerated(_ taints: [SimTaint], _ tolerations: [SimToleration], effects: Set<SimTaint.Effect>) -> SimTaint? {
        taints.first { taint in effects.contains(taint.effect) && !tolerations.contains { $0.tolerates(taint) } }
    }

    /// The tolerations the DaemonSet controller gives every pod it creates, so node trouble
    /// does not evict daemons and a cordoned or pressured node still runs them: Exists for
    /// not-ready and unreachable with NoExecute; disk-, memory-, pid-pressure and unschedulable
    /// with NoSchedule; network-unavailable with NoSchedule for hostNetwork pods only. Each is
    /// added, or replaces a template toleration with the same key, operator, value and effect
    /// (the API's add-or-update rule). not-ready with NoSchedule is deliberately absent: a
    /// NotReady node gets no new daemon pod.
    static func daemonPodTolerations(_ template: [Value], hostNetwork: Bool) -> [Value] {
        var added: [(String, SimTaint.Effect)] = [
            (SimTaintKey.notReady, .noExecute), (SimTaintKey.unreachable, .noExecute),
            (SimTaintKey.diskPressure, .noSchedule), (SimTaintKey.memoryPressure, .noSchedule),
            (SimTaintKey.pidPressure, .noSchedule), (SimTaintKey.unschedulable, .noSchedule)
        ]
        if hostNetwork { added.append((SimTaintKey.networkUnavailable, .noSchedule)) }
        var result = template
        for (key, effect) in added {
            let toleration: Value = .map(["key": .string(key), "operator": "Exists", "effect": .string(effect.rawValue)])
            let same = { (v: Value) -> Bool in
                (v["key"]?.str ?? "") == key && (v["operator"]?.str ?? "") == "Exists"
                    && (v["value"]?.str ?? "") == "" && (v["effect"]?.str ?? "") == effect.rawValue
            }
            if let i = result.firstIndex(where: same) { result[i] = toleration } else { result.append(toleration) }
        }
        return result
    }
}
