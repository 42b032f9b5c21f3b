import YAML

/// Strict, mark-keeping access to a YAML mapping: unknown keys are errors with a suggestion, and
/// every type mismatch names the key and its position. Collects errors instead of stopping at the first.
struct MapReader {
    let node: Node
    let context: String
    private(set) var pairs: [(key: String, node: Node)] = []
    var errors: [StrategyError] = []

    init(_ node: Node, context: String, errors: inout [StrategyError]) {
        self.node = node
        self.context = context
        switch node.kind {
        case .mapping(let ps):
            for p in ps {
                if case .scalar(let k, _, _) = p.key.kind {
                    if pairs.contains(where: { $0.key == k }) {
                        errors.append(StrategyError("duplicate key `\(k)` in \(context)", at: p.key.mark))
                    }
                    pairs.append((k, p.value))
                } else {
                    errors.append(StrategyError("keys in \(context) must be plain strings", at: p.key.mark))
                }
            }
        case .scalar(_, _, _) where node.isNullScalar:
            break
        default:
            errors.append(StrategyError("\(context) must be a map", at: node.mark))
        }
    }

    func node(_ key: String) -> Node? { pairs.first { $0.key == key }?.node }

    /// Rejects keys outside `allowed`, suggesting the nearest one.
    func checkKeys(_ allowed: [String], errors: inout [StrategyError]) {
        for (k, n) in pairs where !allowed.contains(k) {
            _ = n
            let mark = keyMark(k) ?? node.mark
            errors.append(
                StrategyError(
                    "unknown key `\(k)` in \(context)", at: mark,
                    hint: Suggest.didYouMean(k, in: allowed)))
        }
    }

    func keyMark(_ key: String) -> Mark? {
        if case .mapping(let ps) = node.kind {
            return ps.first { if case .scalar(let k, _, _) = $0.key.kind { return k == key } else { return false } }?.key.mark
        }
        return nil
    }

    func string(_ key: String, required: Bool = false, errors: inout [StrategyError]) -> String? {
        guard let n = node(key), !n.isNullScalar else {
            if required { errors.append(StrategyError("\(context) needs `\(key)`", at: node.mark)) }
            return nil
        }
        guard case .scalar(let s, _, _) = n.kind else {
            errors.append(StrategyError("`\(key)` in \(context) must be a string", at: n.mark))
            return nil
        }
        return s
    }

    /// A whole number; a list or map there says so, rather than "must be a string".
    func int(_ key: String, errors: inout [StrategyError]) -> Int? {
        guard let n = node(key), !n.isNullScalar else { return nil }
        guard case .scalar(let s, _, _) = n.kind else {
            errors.append(StrategyError("`\(key)` in \(context) must be a whole number, found a \(n.kindName)", at: n.mark))
            return nil
        }
        guard let i = Int(s.replacingOccurrences(of: "_", with: "")) else {
            errors.append(StrategyError("`\(key)` in \(context) must be a whole number, found `\(s)`", at: n.mark))
            return nil
        }
        return i
    }

    /// Seconds for a wait: a timeout of 0 or less would end it before it starts.
    func seconds(_ key: String, errors: inout [StrategyError]) -> Int? {
        guard let i = int(key, errors: &errors) else { return nil }
        guard i > 0 else {
            errors.append(StrategyError("`\(key)` in \(context) must be a number of seconds above 0, found `\(i)`", at: node(key)?.mark))
            return nil
        }
        return i
    }

    func bool(_ key: String, errors: inout [StrategyError]) -> Bool? {
        guard let s = string(key, errors: &errors) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            errors.append(StrategyError("`\(key)` in \(context) must be true or false, found `\(s)`", at: node(key)?.mark))
            return nil
        }
    }

    func list(_ key: String, errors: inout [StrategyError]) -> [Node] {
        guard let n = node(key), !n.isNullScalar else { return [] }
        guard case .sequence(let items) = n.kind else {
            errors.append(StrategyError("`\(key)` in \(context) must be a list", at: n.mark))
            return []
        }
        return items
    }

    func strings(_ key: String, errors: inout [StrategyError]) -> [(String, Mark)] {
        list(key, errors: &errors).compactMap { item in
            guard case .scalar(let s, _, _) = item.kind else {
                errors.append(StrategyError("`\(key)` in \(context) must be a list of strings", at: item.mark))
                return nil
            }
            return (s, item.mark)
        }
    }
}

extension Node {
    var isNullScalar: Bool {
        if case .scalar(let s, let style, _) = kind, style == .plain {
            return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
        }
        return false
    }

    var scalarString: String? {
        if case .scalar(let s, _, _) = kind { return s }
        return nil
    }
}
