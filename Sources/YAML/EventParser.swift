import CYAML

/// Drives libyaml's event API and builds `Node` trees with an explicit stack (no recursion, so a
/// deeply nested file cannot overflow the parser). Aliases are expanded here, merge keys folded
/// in as soon as their mapping closes, so no consumer ever has to know about either.
struct EventParser {
    struct Document { var root: Node; var start: Mark }

    /// Expanding aliases past this many nodes is refused: "billion laughs" style inputs would
    /// otherwise turn a few hundred bytes into gigabytes once resolved.
    static let aliasExpansionLimit = 1_000_000
    /// Past this depth `resolve()` and `emit` (which recurse) could exhaust the stack.
    static let depthLimit = 512

    /// A collection being built; a mapping holds keys and values alternately until it closes.
    private struct Frame {
        var isMapping: Bool
        var items: [Node] = []
        var mark: Mark
        var anchor: String?
        var weight = 1
    }

    let file: String
    private var stack: [Frame] = []
    private var anchors: [String: (node: Node, weight: Int)] = [:]
    private var openAnchors: Set<String> = []
    private var expanded = 0
    private var docs: [Document] = []
    private var docStart = Mark(file: "", line: 1, column: 1)
    private var root: (node: Node, weight: Int)?

    private init(file: String) { self.file = file }

    /// `stopAfter` lets `parseDocument` stop once it has seen the document it must reject.
    static func parse(_ text: String, file: String, stopAfter: Int?) throws -> [Document] {
        let bytes = Array(text.utf8)
        var builder = EventParser(file: file)
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLError("libyaml could not initialize its parser (out of memory)", mark: nil)
        }
        defer { yaml_parser_delete(parser) }
        return try bytes.withUnsafeBufferPointer { buf in
            // libyaml only reads the buffer; an empty array may have a nil base address.
            let empty: [UInt8] = [0]
            return try empty.withUnsafeBufferPointer { fallback in
                let base = buf.baseAddress ?? fallback.baseAddress
                guard let base else { throw YAMLError("no input buffer", mark: nil) }
                yaml_parser_set_input_string(parser, base, buf.count)
                yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
                var event = yaml_event_t()
                while true {
                    guard yaml_parser_parse(parser, &event) == 1 else {
                        throw builder.libyamlError(parser.pointee, text: text)
                    }
                    let done = event.type == YAML_STREAM_END_EVENT
                    do {
                        try builder.handle(&event)
                    } catch {
                        yaml_event_delete(&event)
                        throw error
                    }
                    yaml_event_delete(&event)
                    if done { break }
                    if let stopAfter, builder.docs.count >= stopAfter { break }
                }
                return builder.docs
            }
        }
    }

    private func mark(_ m: yaml_mark_t) -> Mark {
        Mark(file: file, line: m.line + 1, column: m.column + 1)
    }

    private static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        return String(cString: p)
    }

    private mutating func handle(_ event: inout yaml_event_t) throws {
        let at = mark(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors = [:]
            openAnchors = []
            docStart = at
            root = nil
        case YAML_DOCUMENT_END_EVENT:
            let node = root?.node ?? Node(kind: .scalar("", style: .plain, tag: nil), mark: at)
            docs.append(Document(root: node, start: docStart))
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let text = s.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: s.length), as: UTF8.self) } ?? ""
            let style: Node.ScalarStyle
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let node = Node(kind: .scalar(text, style: style, tag: Self.string(s.tag)), mark: at)
            try complete(node, weight: 1, anchor: Self.string(s.anchor))
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                if openAnchors.contains(name) {
                    throw YAMLError("alias *\(name) refers to the node that contains it (anchor &\(name) is still open)", mark: at)
                }
                throw YAMLError("alias *\(name) refers to an undefined anchor (no &\(name) before it in this document)", mark: at)
            }
            expanded += target.weight
            if expanded > Self.aliasExpansionLimit {
                throw YAMLError(
                    "aliases expand to more than \(Self.aliasExpansionLimit) nodes (an alias bomb?); refusing to expand *\(name)",
                    mark: at)
            }
            var copy = target.node
            copy.mark = at
            try complete(copy, weight: target.weight, anchor: nil)
        case YAML_SEQUENCE_START_EVENT:
            let anchor = Self.string(event.data.sequence_start.anchor)
            try push(Frame(isMapping: false, mark: at, anchor: anchor), at: at)
        case YAML_MAPPING_START_EVENT:
            let anchor = Self.string(event.data.mapping_start.anchor)
            try push(Frame(isMapping: true, mark: at, anchor: anchor), at: at)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            if let anchor = frame.anchor { openAnchors.remove(anchor) }
            guard frame.isMapping else {
                try complete(Node(kind: .sequence(frame.items), mark: frame.mark), weight: frame.weight, anchor: frame.anchor)
                return
            }
            var pairs: [Node.Pair] = []
            pairs.reserveCapacity(frame.items.count / 2)
            var i = 0
            while i + 1 < frame.items.count {
                pairs.append(Node.Pair(key: frame.items[i], value: frame.items[i + 1]))
                i += 2
            }
            let merged = try MergeKeys.apply(pairs)
            try complete(Node(kind: .mapping(merged), mark: frame.mark), weight: frame.weight, anchor: frame.anchor)
        default:
            break
        }
    }

    private mutating func push(_ frame: Frame, at: Mark) throws {
        if stack.count >= Self.depthLimit {
            throw YAMLError("collections nested deeper than \(Self.depthLimit) levels", mark: at)
        }
        if let anchor = frame.anchor { openAnchors.insert(anchor) }
        stack.append(frame)
    }

    private mutating func complete(_ node: Node, weight: Int, anchor: String?) throws {
        if let anchor { anchors[anchor] = (node, weight) }
        guard !stack.isEmpty else {
            root = (node, weight)
            return
        }
        stack[stack.count - 1].items.append(node)
        stack[stack.count - 1].weight += weight
    }
}
