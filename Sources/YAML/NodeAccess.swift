/// Conveniences for validators, which work on nodes to keep marks for their messages.
extension Node {
    /// True for a scalar that resolves to null (`~`, `null`, empty, ...), as Helm would see it.
    public var isNull: Bool {
        guard case .scalar(let text, let style, let tag) = kind else { return false }
        return (try? ScalarResolver.resolve(text, style: style, tag: tag, mark: mark)) == .null
    }

    public var scalarText: String? {
        if case .scalar(let text, _, _) = kind { return text }
        return nil
    }

    public var pairs: [Pair]? {
        if case .mapping(let p) = kind { return p }
        return nil
    }

    public var items: [Node]? {
        if case .sequence(let i) = kind { return i }
        return nil
    }

    /// The first pair whose key's scalar text is `key` (raw text, not resolved).
    public subscript(key: String) -> Node? {
        pairs?.first { $0.key.scalarText == key }?.value
    }

    /// "scalar", "list" or "map", for messages.
    public var kindName: String {
        switch kind {
        case .scalar: return "scalar"
        case .sequence: return "list"
        case .mapping: return "map"
        }
    }
}
