/// Folds `<<` merge keys into their mapping as soon as it is parsed, so validators and `resolve`
/// see the merged result.
///
/// Precedence follows Helm (go-yaml v2), measured with helm v4.1.4, not the YAML merge spec:
/// entries are applied in source order and a later entry overrides an earlier one, so an explicit
/// key AFTER `<<` wins but one written BEFORE `<<` is overridden by the merged map. Within
/// `<<: [*a, *b]` earlier maps win over later ones. Matching keys keep their first position.
enum MergeKeys {
    static func isMergeKey(_ node: Node) -> Bool {
        guard case .scalar(let text, let style, let tag) = node.kind else { return false }
        if let tag { return ScalarResolver.shortTag(tag) == ScalarResolver.mergeTag }
        return style == .plain && text == "<<"
    }

    static func apply(_ pairs: [Node.Pair]) throws -> [Node.Pair] {
        guard pairs.contains(where: { isMergeKey($0.key) }) else { return pairs }
        var out: [Node.Pair] = []
        var index: [String: Int] = [:]
        var opaque = 0
        func set(_ pair: Node.Pair) {
            let id: String
            if let k = try? KeyText.string(for: pair.key) {
                id = k
            } else {
                // Keys Helm cannot use (null, lists) never match anything; resolve reports them.
                opaque += 1
                id = "\u{0}\(opaque)"
            }
            if let at = index[id] {
                out[at].value = pair.value
            } else {
                index[id] = out.count
                out.append(pair)
            }
        }
        for pair in pairs {
            guard isMergeKey(pair.key) else { set(pair); continue }
            switch pair.value.kind {
            case .mapping(let merged):
                merged.forEach(set)
            case .sequence(let items):
                for item in items {
                    guard case .mapping = item.kind else { throw notAMap(item) }
                }
                for item in items.reversed() {
                    if case .mapping(let merged) = item.kind { merged.forEach(set) }
                }
            case .scalar:
                throw notAMap(pair.value)
            }
        }
        return out
    }

    private static func notAMap(_ node: Node) -> YAMLError {
        YAMLError("a merge key '<<' needs a mapping or a list of mappings as its value", mark: node.mark)
    }
}
