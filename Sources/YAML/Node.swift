/// A parsed YAML node that remembers where it came from. Strategy validation works on nodes so
/// every message can point at `file:line:column`; everything else works on `Value`.
public struct Node: Sendable {
    public enum ScalarStyle: Sendable, Hashable { case plain, singleQuoted, doubleQuoted, literal, folded }

    public enum Kind: Sendable {
        case scalar(String, style: ScalarStyle, tag: String?)
        case sequence([Node])
        case mapping([Pair])
    }

    public struct Pair: Sendable {
        public var key: Node
        public var value: Node
        public init(key: Node, value: Node) { self.key = key; self.value = value }
    }

    public var kind: Kind
    public var mark: Mark

    public init(kind: Kind, mark: Mark) {
        self.kind = kind
        self.mark = mark
    }
}
