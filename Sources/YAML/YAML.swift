/// Entry points. Parsing keeps marks and resolves anchors, aliases and merge keys into plain
/// `Node` trees; `load` then applies Helm's tag resolution so a `Value` means what Helm will see.
public enum YAML {
    /// Every document of a stream, in order; an empty stream has none.
    public static func parseDocuments(_ text: String, file: String) throws -> [Node] {
        try EventParser.parse(text, file: file, stopAfter: nil).map(\.root)
    }

    /// Exactly one document. An empty stream is a null scalar, so an empty values file is "no
    /// values" rather than an error; a second document is an error because silently dropping it
    /// would hide half of what the user wrote.
    public static func parseDocument(_ text: String, file: String) throws -> Node {
        let docs = try EventParser.parse(text, file: file, stopAfter: 2)
        if docs.count > 1 {
            let start = docs[1].start
            throw YAMLError(
                "expected a single YAML document, but a second one starts at line \(start.line)",
                mark: start)
        }
        return docs.first?.root ?? Node(kind: .scalar("", style: .plain, tag: nil), mark: Mark(file: file, line: 1, column: 1))
    }

    public static func load(_ text: String, file: String) throws -> Value {
        try parseDocument(text, file: file).resolve()
    }

    public static func loadAll(_ text: String, file: String) throws -> [Value] {
        try parseDocuments(text, file: file).map { try $0.resolve() }
    }

    public static func emit(_ value: Value) -> String {
        var e = Emitter()
        e.document(value)
        return e.out
    }

    public static func emitAll(_ values: [Value]) -> String {
        values.map { emit($0) }.joined(separator: "---\n")
    }
}
