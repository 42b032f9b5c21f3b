/// Taints and tolerations, with the JSON shapes of `core/v1` so the Kube module can decode
/// `spec.taints` and `spec.template.spec.tolerations` straight into them.

/// What a taint does to pods that do not tolerate it.
public enum TaintEffect: String, Sendable, Hashable, Codable, CaseIterable {
    case noSchedule = "NoSchedule"
    /// A soft preference only: it never blocks a pod, so placement ignores it (it only warns).
    case preferNoSchedule = "PreferNoSchedule"
    case noExecute = "NoExecute"
}

public struct Taint: Sendable, Hashable, Codable, CustomStringConvertible {
    public var key: String
    public var value: String
    public var effect: TaintEffect

    public init(key: String, value: String = "", effect: TaintEffect) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    /// `kubectl taint` spelling (`key=value:Effect`, or `key:Effect` without a value), because
    /// that is what users type and what `kubectl describe node` shows.
    public var description: String {
        value.isEmpty ? "\(key):\(effect.rawValue)" : "\(key)=\(value):\(effect.rawValue)"
    }

    private enum CodingKeys: String, CodingKey { case key, value, effect }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        value = try c.decodeIfPresent(String.self, forKey: .value) ?? ""
        effect = try c.decode(TaintEffect.self, forKey: .effect)
    }
}

/// A string type rather than an enum, like Kubernetes' own: an operator this code does not know
/// (e.g. the alpha `Lt`/`Gt`) must still decode, and then tolerates nothing, as in `ToleratesTaint`.
public struct TolerationOperator: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let equal = TolerationOperator(rawValue: "Equal")
    public static let exists = TolerationOperator(rawValue: "Exists")
    public var description: String { rawValue }
}

public struct Toleration: Sendable, Hashable, Codable {
    /// nil or empty matches every key (only meaningful with `exists`).
    public var key: String?
    public var `operator`: TolerationOperator
    public var value: String?
    /// nil matches every effect.
    public var effect: TaintEffect?
    /// Only bounds how long a NoExecute taint is tolerated before eviction; placement ignores it.
    public var tolerationSeconds: Int64?

    public init(
        key: String? = nil, operator: TolerationOperator = .equal, value: String? = nil,
        effect: TaintEffect? = nil, tolerationSeconds: Int64? = nil
    ) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }

    private enum CodingKeys: String, CodingKey { case key, `operator`, value, effect, tolerationSeconds }

    /// Empty strings mean "unset" in the API, so they decode to nil; a missing operator is Equal.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key).flatMap { $0.isEmpty ? nil : $0 }
        let op = try c.decodeIfPresent(String.self, forKey: .operator) ?? ""
        `operator` = op.isEmpty ? .equal : TolerationOperator(rawValue: op)
        value = try c.decodeIfPresent(String.self, forKey: .value)
        let effectText = try c.decodeIfPresent(String.self, forKey: .effect) ?? ""
        if effectText.isEmpty {
            effect = nil
        } else if let known = TaintEffect(rawValue: effectText) {
            effect = known
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .effect, in: c,
                debugDescription: "unknown toleration effect \"\(effectText)\" (NoSchedule, PreferNoSchedule, NoExecute)")
        }
        tolerationSeconds = try c.decodeIfPresent(Int64.self, forKey: .tolerationSeconds)
    }

    /// Mirrors `(*v1.Toleration).ToleratesTaint` (k8s.io/api/core/v1/toleration.go): an empty
    /// effect matches all effects, an empty key matches all keys, Equal compares values, Exists
    /// matches any value, any other operator tolerates nothing.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, effect != taint.effect { return false }
        if let key, !key.isEmpty, key != taint.key { return false }
        switch `operator` {
        case .equal: return (value ?? "") == taint.value
        case .exists: return true
        default: return false
        }
    }

    /// Mirrors `(*v1.Toleration).MatchToleration`: tolerations are identified by
    /// key, effect, operator and value (used when the controller replaces one of its own).
    func sameIdentity(as other: Toleration) -> Bool {
        (key ?? "") == (other.key ?? "") && effect == other.effect
            && `operator` == other.operator && (value ?? "") == (other.value ?? "")
    }
}

/// Well-known taint keys (k8s.io/api/core/v1 well_known_taints.go).
public enum TaintKey {
    public static let notReady = "node.kubernetes.io/not-ready"
    public static let unreachable = "node.kubernetes.io/unreachable"
    public static let unschedulable = "node.kubernetes.io/unschedulable"
    public static let memoryPressure = "node.kubernetes.io/memory-pressure"
    public static let diskPressure = "node.kubernetes.io/disk-pressure"
    public static let pidPressure = "node.kubernetes.io/pid-pressure"
    public static let networkUnavailable = "node.kubernetes.io/network-unavailable"
    public static let controlPlane = "node-role.kubernetes.io/control-plane"
}
