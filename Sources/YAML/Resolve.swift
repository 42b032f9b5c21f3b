import OrderedCollections

extension Node {
    /// The value Helm would see for this node. Numbers that do not survive Helm's JSON step
    /// (`.inf`, `.nan`) are errors here because Helm itself fails on them.
    public func resolve() throws -> Value {
        switch kind {
        case .scalar(let text, let style, let tag):
            switch try ScalarResolver.resolve(text, style: style, tag: tag, mark: mark) {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .uint(let u): return .float(Double(u))
            case .float(let d):
                guard d.isFinite else {
                    throw YAMLError(
                        "`\(text)` is \(d.isNaN ? "NaN" : "infinite"), which Helm cannot use (json: unsupported value); quote it if it is text", mark: mark)
                }
                return .float(d)
            case .string(let s): return .string(s)
            case .merge: return .string("<<")
            }
        case .sequence(let items):
            return .list(try items.map { try $0.resolve() })
        case .mapping(let pairs):
            var map = OrderedDictionary<String, Value>(minimumCapacity: pairs.count)
            for pair in pairs {
                // Duplicate keys: the last one wins, as in Helm; the first position is kept.
                map[try KeyText.string(for: pair.key)] = try pair.value.resolve()
            }
            return .map(map)
        }
    }
}
