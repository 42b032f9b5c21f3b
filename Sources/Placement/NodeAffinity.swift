/// Required node affinity (`requiredDuringSchedulingIgnoredDuringExecution`), in the JSON shape of
/// `core/v1.NodeSelector`, evaluated as
/// `k8s.io/component-helpers/scheduling/corev1/nodeaffinity` does, and explained when it fails.

/// A string type like Kubernetes' own, so an unknown operator still decodes and then makes its
/// term invalid (matching nothing) exactly as `nodeSelectorRequirementsAsSelector` does.
public struct NodeSelectorOperator: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let `in` = NodeSelectorOperator(rawValue: "In")
    public static let notIn = NodeSelectorOperator(rawValue: "NotIn")
    public static let exists = NodeSelectorOperator(rawValue: "Exists")
    public static let doesNotExist = NodeSelectorOperator(rawValue: "DoesNotExist")
    public static let gt = NodeSelectorOperator(rawValue: "Gt")
    public static let lt = NodeSelectorOperator(rawValue: "Lt")
    public var description: String { rawValue }
}

public struct NodeSelectorRequirement: Sendable, Hashable, Codable, CustomStringConvertible {
    public var key: String
    public var `operator`: NodeSelectorOperator
    public var values: [String]

    public init(key: String, operator: NodeSelectorOperator, values: [String] = []) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }

    private enum CodingKeys: String, CodingKey { case key, `operator`, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        `operator` = try c.decode(NodeSelectorOperator.self, forKey: .operator)
        values = try c.decodeIfPresent([String].self, forKey: .values) ?? []
    }

    /// `zone In [a,b]`, `gpu Exists`: the spelling used in every explanation.
    public var description: String {
        switch `operator` {
        case .exists, .doesNotExist: return "\(key) \(`operator`)"
        case .gt, .lt: return "\(key) \(`operator`) \(values.first ?? "")"
        default: return "\(key) \(`operator`) [\(values.joined(separator: ","))]"
        }
    }
}

public struct NodeSelectorTerm: Sendable, Hashable, Codable {
    /// Label requirements, ANDed.
    public var matchExpressions: [NodeSelectorRequirement]
    /// Field requirements (only `metadata.name` exists for nodes), ANDed with the expressions.
    public var matchFields: [NodeSelectorRequirement]

    public init(matchExpressions: [NodeSelectorRequirement] = [], matchFields: [NodeSelectorRequirement] = []) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
    }

    private enum CodingKeys: String, CodingKey { case matchExpressions, matchFields }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        matchExpressions = try c.decodeIfPresent([NodeSelectorRequirement].self, forKey: .matchExpressions) ?? []
        matchFields = try c.decodeIfPresent([NodeSelectorRequirement].self, forKey: .matchFields) ?? []
    }
}

/// The required part of a pod's node affinity: the terms are ORed.
public struct NodeAffinity: Sendable, Hashable, Codable {
    public var nodeSelectorTerms: [NodeSelectorTerm]

    public init(nodeSelectorTerms: [NodeSelectorTerm]) { self.nodeSelectorTerms = nodeSelectorTerms }

    private enum CodingKeys: String, CodingKey { case nodeSelectorTerms }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodeSelectorTerms = try c.decodeIfPresent([NodeSelectorTerm].self, forKey: .nodeSelectorTerms) ?? []
    }

    /// nil when some term matches, otherwise why none does.
    ///
    /// Mirrors `LazyErrorNodeSelector.Match`: empty terms are dropped (they select nothing), the
    /// remaining terms are ORed, a term with a parse error never matches, and the DaemonSet
    /// controller ignores the parse error itself ("for backwards compatibility"), so an invalid
    /// term simply fails.
    public func mismatch(nodeName: String, labels: [String: String]) -> String? {
        var explanations: [String] = []
        for (index, term) in nodeSelectorTerms.enumerated() {
            let why: String?
            if term.matchExpressions.isEmpty && term.matchFields.isEmpty {
                why = "empty term matches nothing"
            } else {
                why = term.mismatch(nodeName: nodeName, labels: labels)
            }
            guard let why else { return nil }
            explanations.append(nodeSelectorTerms.count == 1 ? why : "term \(index + 1): \(why)")
        }
        if explanations.isEmpty { return "node affinity: no term matches (no nodeSelectorTerms)" }
        return "node affinity: no term matches (\(explanations.joined(separator: " | ")))"
    }
}

extension NodeSelectorTerm {
    /// Mirrors `nodeSelectorTerm.match`: every requirement must hold; parse errors (checked for
    /// the whole term first, as `newNodeSelectorTerm` does) fail the term. Field requirements are
    /// skipped when the node has no name, as `extractNodeFields` leaves the field set empty then.
    func mismatch(nodeName: String, labels: [String: String]) -> String? {
        let errors = matchExpressions.compactMap(\.labelParseError) + matchFields.compactMap(\.fieldParseError)
        if let first = errors.first { return "invalid: \(first)" }
        for requirement in matchExpressions {
            if let why = requirement.labelMismatch(labels) { return why }
        }
        if !nodeName.isEmpty {
            for requirement in matchFields {
                if let why = requirement.fieldMismatch(nodeName: nodeName) { return why }
            }
        }
        return nil
    }
}

extension NodeSelectorRequirement {
    /// Mirrors the checks of `labels.NewRequirement`: the key must be a qualified name, the
    /// operator's value count must fit (Gt/Lt: one integer), and every value must be a label
    /// value. The API server does not check values in node affinity, so a spec can hold a
    /// value that fails here, such as a negative Gt/Lt bound (`-1` is not a label value): its
    /// term then matches no node.
    var labelParseError: String? {
        guard LabelSyntax.isQualifiedName(key) else { return "\(key): not a valid label key" }
        switch `operator` {
        case .in, .notIn:
            if values.isEmpty { return "\(key) \(`operator`) needs at least one value" }
        case .exists, .doesNotExist:
            if !values.isEmpty { return "\(key) \(`operator`) takes no values" }
        case .gt, .lt:
            guard values.count == 1 else { return "\(key) \(`operator`) needs exactly one value" }
            if goParseInt(values[0]) == nil { return "\(key) \(`operator`) \(values[0]): the value must be an integer" }
        default:
            return "\(key): unsupported operator \"\(`operator`)\""
        }
        if let bad = values.first(where: { !LabelSyntax.isValue($0) }) {
            return "\(key) \(`operator`) \(bad): not a valid label value"
        }
        return nil
    }

    /// Mirrors `nodeSelectorRequirementsAsFieldSelector`: only In and NotIn, with one value.
    var fieldParseError: String? {
        guard `operator` == .in || `operator` == .notIn else {
            return "\(key): field operator \"\(`operator`)\" is not In or NotIn"
        }
        return values.count == 1 ? nil : "\(key) \(`operator`) must have exactly one value"
    }

    /// Mirrors `labels.Requirement.Matches`: NotIn and DoesNotExist hold when the label is
    /// absent; Gt/Lt fail when the label is absent or not an integer.
    func labelMismatch(_ labels: [String: String]) -> String? {
        let actual = labels[key]
        let has = actual.map { "node has \(key)=\($0)" } ?? "node has no label \(key)"
        switch `operator` {
        case .in:
            guard let actual, values.contains(actual) else { return "\(self); \(has)" }
        case .notIn:
            if let actual, values.contains(actual) { return "\(self); \(has)" }
        case .exists:
            if actual == nil { return "\(self); \(has)" }
        case .doesNotExist:
            if actual != nil { return "\(self); \(has)" }
        case .gt, .lt:
            guard let actual else { return "\(self); \(has)" }
            guard let number = goParseInt(actual) else { return "\(self); \(has) (not an integer)" }
            guard let bound = values.first.flatMap(goParseInt) else { return "\(self); invalid bound" }
            let holds = `operator` == .gt ? number > bound : number < bound
            if !holds { return "\(self); \(has)" }
        default:
            return "\(self); unsupported operator"
        }
        return nil
    }

    /// Mirrors the fields selector over `extractNodeFields`: only `metadata.name` has a value;
    /// any other field reads as "" (so `In [""]` matches and `NotIn [""]` does not).
    func fieldMismatch(nodeName: String) -> String? {
        let actual = key == "metadata.name" ? nodeName : ""
        let wanted = values.first ?? ""
        let holds = `operator` == .in ? actual == wanted : actual != wanted
        if holds { return nil }
        return key == "metadata.name"
            ? "\(self); node is \(nodeName)" : "\(self); node has no field \(key)"
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, no spaces, no overflow.
/// Swift's `Int64(_:)` accepts exactly that language.
func goParseInt(_ text: String) -> Int64? { Int64(text) }
