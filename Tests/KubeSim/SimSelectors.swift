import YAML

/// Label selectors in the query-string syntax (`a=b,c!=d,e in (x,y),!f`), parsed as
/// apimachinery's labels.Parse does for the forms clients send.
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String), notEquals(String, String), isIn(String, Set<String>), notIn(String, Set<String>)
        case exists(String), notExists(String)
    }
    var requirements: [Requirement] = []

    init(_ text: String) throws {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        while !rest.isEmpty {
            // Split at the next comma not inside parentheses.
            var depth = 0
            var end = rest.endIndex
            for i in rest.indices {
                if rest[i] == "(" { depth += 1 } else if rest[i] == ")" { depth -= 1 } else if rest[i] == ",", depth == 0 { end = i; break }
            }
            let term = rest[..<end].trimmingCharacters(in: .whitespaces)
            rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
            if term.isEmpty { continue }
            requirements.append(try Self.parseTerm(term))
        }
    }

    init(matchLabels: [String: String]) {
        requirements = matchLabels.map { .equals($0.key, $0.value) }
    }

    /// `metav1.LabelSelector` as workloads carry it.
    init(selector: Value) {
        requirements = selector["matchLabels"]?.stringMap.map { .equals($0.key, $0.value) } ?? []
        for e in selector["matchExpressions"]?.list ?? [] {
            let key = e["key"]?.str ?? ""
            let values = Set((e["values"]?.list ?? []).compactMap(\.str))
            switch e["operator"]?.str {
            case "In": requirements.append(.isIn(key, values))
            case "NotIn": requirements.append(.notIn(key, values))
            case "Exists": requirements.append(.exists(key))
            case "DoesNotExist": requirements.append(.notExists(key))
            default: break
            }
        }
    }

    static func parseTerm(_ term: String) throws -> Requirement {
        if term.hasPrefix("!") { return .notExists(String(term.dropFirst()).trimmingCharacters(in: .whitespaces)) }
        for (op, make) in [("!=", Requirement.notEquals), ("==", Requirement.equals), ("=", Requirement.equals)] as [(String, (String, String) -> Requirement)]
        {
            if let r = term.range(of: op) {
                return make(term[..<r.lowerBound].trimmingCharacters(in: .whitespaces), term[r.upperBound...].trimmingCharacters(in: .whitespaces))
            }
        }
        for (op, notIn) in [(" notin ", true), (" in ", false)] {
            if let r = term.range(of: op) {
                let key = term[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                var vals = term[r.upperBound...].trimmingCharacters(in: .whitespaces)
                guard vals.hasPrefix("("), vals.hasSuffix(")") else { throw SimError.badRequest("unable to parse requirement: found '\(vals)', expected: '('") }
                vals = String(vals.dropFirst().dropLast())
                let set = Set(vals.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                return notIn ? .notIn(key, set) : .isIn(key, set)
            }
        }
        let key = term.trimmingCharacters(in: .whitespaces)
        guard !key.contains(" ") else { throw SimError.badRequest("unable to parse requirement: \(term)") }
        return .exists(key)
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            switch r {
            case .equals(let k, let v): return labels[k] == v
            case .notEquals(let k, let v): return labels[k] != v
            case .isIn(let k, let s): return labels[k].map(s.contains) ?? false
            case .notIn(let k, let s): return labels[k].map { !s.contains($0) } ?? true
            case .exists(let k): return labels[k] != nil
            case .notExists(let k): return labels[k] == nil
            }
        }
    }

    var isEmpty: Bool { requirements.isEmpty }
}

/// Field selectors: the fields the real server indexes for the kinds slimctl lists.
struct FieldSelector: Sendable {
    var terms: [(path: [String], value: String, negate: Bool)] = []

    init(_ text: String, resource: SimResource) throws {
        for raw in text.split(separator: ",") {
            let term = String(raw)
            let negate = term.contains("!=")
            let parts = term.components(separatedBy: negate ? "!=" : (term.contains("==") ? "==" : "="))
            guard parts.count == 2 else { throw SimError.badRequest("invalid selector: '\(text)'; can't understand '\(term)'") }
            let field = parts[0].trimmingCharacters(in: .whitespaces)
            let allowed: Set<String> = {
                switch resource.name {
                case "pods":
                    return [
                        "metadata.name", "metadata.namespace", "spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName",
                        "spec.serviceAccountName", "status.podIP", "status.nominatedNodeName"
                    ]
                case "events":
                    return [
                        "metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid",
                        "reason", "type", "source"
                    ]
                case "nodes": return ["metadata.name", "spec.unschedulable"]
                default: return ["metadata.name", "metadata.namespace"]
                }
            }()
            guard allowed.contains(field) else {
                throw SimError.badRequest("field label not supported: \(field)")
            }
            terms.append((field.split(separator: ".").map(String.init), parts[1].trimmingCharacters(in: .whitespaces), negate))
        }
    }

    func matches(_ obj: Value) -> Bool {
        terms.allSatisfy { t in
            let actual: String
            switch obj.lookup(t.path) {
            case .string(let s)?: actual = s
            case .bool(let b)?: actual = b ? "true" : "false"
            default: actual = ""
            }
            return (actual == t.value) != t.negate
        }
    }
}
