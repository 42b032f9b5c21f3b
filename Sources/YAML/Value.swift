import OrderedCollections

/// The data model every layer of slimctl works on: what a YAML document means once tags are
/// resolved, with the same resolution Helm applies (YAML 1.1 via go-yaml v2 then JSON), so
/// `yes` is a bool and `"yes"` a string exactly where Helm says so.
///
/// Map keys keep their order from the source so rendered files read like the files they came from.
public indirect enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case list([Value])
    case map(OrderedDictionary<String, Value>)

    public static let emptyMap = Value.map([:])

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .float(let d) where d == d.rounded() && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }
    public var listValue: [Value]? { if case .list(let l) = self { return l } else { return nil } }
    public var mapValue: OrderedDictionary<String, Value>? { if case .map(let m) = self { return m } else { return nil } }

    public subscript(key: String) -> Value? {
        if case .map(let m) = self { return m[key] }
        return nil
    }

    /// Follows a dotted path of map keys (no escaping: for code paths, not user input).
    public func lookup(_ path: [String]) -> Value? {
        var cur: Value = self
        for k in path {
            guard let next = cur[k] else { return nil }
            cur = next
        }
        return cur
    }

    /// Helm and Go templates see numbers as float64 after the YAML→JSON round trip; comparisons
    /// between our merge and Helm's output must therefore treat `1` and `1.0` as the same value.
    public func semanticallyEquals(_ other: Value) -> Bool {
        switch (self, other) {
        case (.int(let a), .float(let b)), (.float(let b), .int(let a)): return Double(a) == b
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.semanticallyEquals($1) }
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a {
                guard let w = b[k], v.semanticallyEquals(w) else { return false }
            }
            return true
        default: return self == other
        }
    }

    /// A short name of the kind, for error messages ("expected a map, found a list").
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .float: return "number"
        case .string: return "string"
        case .list: return "list"
        case .map: return "map"
        }
    }
}

extension Value: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
