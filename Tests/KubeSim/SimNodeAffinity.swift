import YAML

/// Which nodes a pod's `nodeSelector` and required node affinity admit, as the scheduler's
/// NodeAffinity filter and the DaemonSet controller judge it (component-helpers
/// `nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`), written from the API reference:
///
/// - `nodeSelector`: every pair must equal a node label (no pairs: no constraint);
/// - `requiredDuringSchedulingIgnoredDuringExecution`: its terms are ORed; a term with neither
///   expressions nor fields selects nothing and is dropped; no term left matches no node;
/// - within a term every requirement holds (AND); a requirement that does not parse (unknown
///   operator, wrong number of values, a key that is not a qualified name, a value that is not
///   a label value, a Gt/Lt bound that is not an integer) makes its whole term match nothing,
///   and the error itself is swallowed, as the DaemonSet controller does "for backwards
///   compatibility";
/// - label operators: In, NotIn (also true when the label is absent), Exists, DoesNotExist,
///   Gt and Lt (the label must be present and parse as an integer);
/// - field requirements: only In and NotIn with one value; `metadata.name` is the node's name
///   and any other field reads as empty.
struct SimNodeAffinity {
    enum Requirement {
        case label(key: String, op: String, values: [String])
        case field(key: String, op: String, value: String)
    }

    /// nil: a term that cannot match (it did not parse).
    typealias Term = [Requirement]?

    var selector: [(String, String)]
    /// nil: no required affinity (no constraint); empty: required affinity without usable terms.
    var terms: [Term]?

    /// Parsed once per pod spec, then matched against every node.
    init(podSpec: Value) {
        selector = (podSpec["nodeSelector"]?.mapValue ?? [:]).map { ($0.key, $0.value.str ?? "") }
        if let required = podSpec[path: ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]], !required.isNull {
            terms = (required["nodeSelectorTerms"]?.list ?? []).compactMap(Self.parseTerm)
        }
    }

    func matches(nodeName: String, labels: [String: String]) -> Bool {
        for (k, v) in selector where labels[k] != v { return false }
        guard let terms else { return true }
        return terms.contains { term in term.map { Self.holds($0, nodeName: nodeName, labels: labels) } ?? false }
    }

    /// The sum of the weights of the preferred terms a node matches (NodeAffinity score).
    static func preferredScore(podSpec: Value, nodeName: String, labels: [String: String]) -> Int {
        let preferred = podSpec[path: ["affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]]?.list ?? []
        var score = 0
        for p in preferred {
            let weight = Int(p["weight"]?.intValue ?? 0)
            guard weight != 0, let parsed = p["preference"].flatMap(parseTerm), let term = parsed else { continue }
            if holds(term, nodeName: nodeName, labels: labels) { score += weight }
        }
        return score
    }

    // MARK: Parsing

    /// nil for an empty term (dropped); `.some(nil)` for a term that does not parse.
    static func parseTerm(_ v: Value) -> Term? {
        let expressions = v["matchExpressions"]?.list ?? []
        let fields = v["matchFields"]?.list ?? []
        if expressions.isEmpty && fields.isEmpty { return nil }
        var out: [Requirement] = []
        for e in expressions {
            guard let r = labelRequirement(e) else { return .some(nil) }
            out.append(r)
        }
        for f in fields {
            guard let r = fieldRequirement(f) else { return .some(nil) }
            out.append(r)
        }
        return .some(out)
    }

    static func labelRequirement(_ v: Value) -> Requirement? {
        let key = v["key"]?.str ?? ""
        let op = v["operator"]?.str ?? ""
        let values = (v["values"]?.list ?? []).map { $0.str ?? "" }
        guard SimLabels.isQualifiedName(key) else { return nil }
        switch op {
        case "In", "NotIn": guard !values.isEmpty else { return nil }
        case "Exists", "DoesNotExist": guard values.isEmpty else { return nil }
        case "Gt", "Lt": guard values.count == 1, Int64(values[0]) != nil else { return nil }
        default: return nil
        }
        guard values.allSatisfy(SimLabels.isValue) else { return nil }
        return .label(key: key, op: op, values: values)
    }

    static func fieldRequirement(_ v: Value) -> Requirement? {
        let op = v["operator"]?.str ?? ""
        let values = (v["values"]?.list ?? []).map { $0.str ?? "" }
        guard op == "In" || op == "NotIn", values.count == 1 else { return nil }
        return .field(key: v["key"]?.str ?? "", op: op, value: values[0])
    }

    // MARK: Matching

    static func holds(_ term: [Requirement], nodeName: String, labels: [String: String]) -> Bool {
        term.allSatisfy { holds($0, nodeName: nodeName, labels: labels) }
    }

    static func holds(_ r: Requirement, nodeName: String, labels: [String: String]) -> Bool {
        switch r {
        case .label(let key, let op, let values):
            let actual = labels[key]
            switch op {
            case "In": return actual.map(values.contains) ?? false
            case "NotIn": return actual.map { !values.contains($0) } ?? true
            case "Exists": return actual != nil
            case "DoesNotExist": return actual == nil
            default:
                guard let actual, let have = Int64(actual), let bound = Int64(values[0]) else { return false }
                return op == "Gt" ? have > bound : have < bound
            }
        case .field(let key, let op, let value):
            // A node without a name has no fields at all, and then field terms are not checked.
            if nodeName.isEmpty { return true }
            let actual = key == "metadata.name" ? nodeName : ""
            return op == "In" ? actual == value : actual != value
        }
    }
}

/// Label syntax (apimachinery validation): what a label key and value may be.
enum SimLabels {
    /// `IsQualifiedName`: an optional DNS subdomain prefix and `/`, then a name of 1-63
    /// alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
    static func isQualifiedName(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return isName(parts[0])
        case 2: return isSubdomain(parts[0]) && isName(parts[1])
        default: return false
        }
    }

    /// `IsValidLabelValue`: empty, or a name as above.
    static func isValue(_ s: String) -> Bool { s.isEmpty || isName(Substring(s)) }

    static func isName(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 63, let first = s.first, let last = s.last else { return false }
        return isAlnum(first) && isAlnum(last) && s.allSatisfy { isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// DNS-1123 subdomain: at most 253 characters, dot-separated labels of lowercase
    /// alphanumerics and `-`, each starting and ending alphanumeric.
    static func isSubdomain(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            let lowerAlnum = { (c: Character) in c.isASCII && (c.isLowercase || c.isNumber) }
            return lowerAlnum(first) && lowerAlnum(last) && label.allSatisfy { lowerAlnum($0) || $0 == "-" }
        }
    }

    static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }
}
