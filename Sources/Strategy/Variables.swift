import Foundation
import YAML

/// slimctl's own placeholders, `((name))`. The syntax is deliberately unlike Helm's `{{ … }}`,
/// SLIM's `${env:…}` and Kubernetes' `$(VAR)`, all of which appear in the same files and must pass
/// through untouched.
public enum Placeholders {
    public struct Unknown: Error, Sendable, CustomStringConvertible {
        public var name: String
        public var mark: Mark
        public var known: [String]
        public var description: String {
            "\(mark): unknown variable `((\(name)))`; \(Suggest.didYouMean(name, in: known))"
        }
    }

    /// `((name` with no `))` before the line ends or the next `((`: left alone it would reach
    /// helm or kubectl literally, so it is an error at its own position.
    public struct Unterminated: Error, Sendable, CustomStringConvertible {
        /// The placeholder as written, e.g. `((namespace`.
        public var fragment: String
        public var mark: Mark
        public var description: String {
            "\(mark): unterminated placeholder `\(fragment)`: close it with `))` (variables are written `((name))`)"
        }
    }

    /// Names referenced in a string, in order of appearance (unterminated ones left out).
    public static func names(in text: String) -> [String] {
        pieces(text).compactMap { if case .placeholder(let n, _) = $0 { return n } else { return nil } }
    }

    /// The first unterminated placeholder in `text`, as a character offset and its fragment.
    public static func firstUnterminated(in text: String) -> (offset: Int, fragment: String)? {
        for p in pieces(text) { if case .unterminated(let f, let o) = p { return (o, f) } }
        return nil
    }

    /// Replaces every `((name))`; an unknown name is an error at `mark`, an unterminated one at
    /// its own position inside the scalar that starts at `mark` (written in `style`).
    public static func substitute(_ text: String, _ vars: [String: String], mark: Mark, style: Node.ScalarStyle = .plain) throws -> String {
        guard text.contains("((") else { return text }
        var out = ""
        var failure: Unknown?
        for p in pieces(text) {
            switch p {
            case .literal(let s): out += s
            case .placeholder(let name, _):
                if let v = vars[name] { out += v } else if failure == nil { failure = Unknown(name: name, mark: mark, known: vars.keys.sorted()) }
            case .unterminated(let fragment, let offset):
                throw Unterminated(fragment: fragment, mark: position(offset, in: text, scalarAt: mark, style: style))
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Substitutes inside every scalar of a node tree (keys included), keeping marks, so that
    /// resolution happens after substitution: `replicas: ((count))` becomes a number as Helm would see it.
    public static func substitute(_ node: Node, _ vars: [String: String]) throws -> Node {
        switch node.kind {
        case .scalar(let text, let style, let tag):
            let t = try substitute(text, vars, mark: node.mark, style: style)
            return Node(kind: .scalar(t, style: style, tag: tag), mark: node.mark)
        case .sequence(let items):
            return Node(kind: .sequence(try items.map { try substitute($0, vars) }), mark: node.mark)
        case .mapping(let pairs):
            return Node(
                kind: .mapping(
                    try pairs.map {
                        Node.Pair(key: try substitute($0.key, vars), value: try substitute($0.value, vars))
                    }), mark: node.mark)
        }
    }

    enum Piece: Equatable {
        case literal(String)
        /// `offset`: characters from the start of the text to the `((`.
        case placeholder(String, offset: Int)
        case unterminated(String, offset: Int)
    }

    /// Splits text into literal runs and placeholders. `((` followed by something that is not a
    /// name (`$((i+1))` in a shell command, `(((`) is literal text, as are `((…))` whose inside
    /// is not a name. `((` directly followed by a name, with no `))` before the end of the line
    /// or the next `((`, is unterminated.
    static func pieces(_ text: String) -> [Piece] {
        var out: [Piece] = []
        var literal = ""
        var i = text.startIndex
        while let open = text[i...].range(of: "((") {
            literal += text[i..<open.lowerBound]
            let after = text[open.upperBound...]
            let start = after.drop { $0 == " " }
            guard let first = start.first, first.isLetter || first == "_" else {
                literal += "(("
                i = open.upperBound
                continue
            }
            let close = after.range(of: "))")?.lowerBound
            let stop = [after.range(of: "((")?.lowerBound, after.firstIndex(of: "\n")].compactMap { $0 }.min()
            if let close, stop.map({ close < $0 }) ?? true {
                let name = text[open.upperBound..<close].trimmingCharacters(in: " ")
                if isName(name) {
                    if !literal.isEmpty { out.append(.literal(literal)); literal = "" }
                    out.append(.placeholder(String(name), offset: text.distance(from: text.startIndex, to: open.lowerBound)))
                    i = text.index(close, offsetBy: 2)
                } else {
                    literal += "(("
                    i = open.upperBound
                }
                continue
            }
            // Unterminated only when the name follows `((` directly: `if (( n > 1` in prose or a
            // shell line is not slimctl's.
            guard start.startIndex == after.startIndex else {
                literal += "(("
                i = open.upperBound
                continue
            }
            let nameRun = start.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            let fragment = String(text[open.lowerBound..<nameRun.endIndex])
            if !literal.isEmpty { out.append(.literal(literal)); literal = "" }
            out.append(.unterminated(fragment, offset: text.distance(from: text.startIndex, to: open.lowerBound)))
            literal += text[open.lowerBound..<nameRun.endIndex]
            i = nameRun.endIndex
        }
        literal += text[i...]
        if !literal.isEmpty { out.append(.literal(literal)) }
        return out
    }

    /// Where character `offset` of a scalar's text is in the file. Exact for one-line plain and
    /// quoted scalars (the common case); for block scalars the line is exact and the column
    /// counts from the content's indentation.
    static func position(_ offset: Int, in text: String, scalarAt mark: Mark, style: Node.ScalarStyle) -> Mark {
        guard mark.line > 0 else { return mark }
        let before = text.prefix(offset)
        let lines = before.split(separator: "\n", omittingEmptySubsequences: false)
        let lineIndex = lines.count - 1
        let column = (lines.last?.count ?? 0)
        switch style {
        case .literal, .folded:
            return Mark(file: mark.file, line: mark.line + 1 + lineIndex, column: column + 1)
        case .singleQuoted, .doubleQuoted:
            return lineIndex == 0
                ? Mark(file: mark.file, line: mark.line, column: mark.column + 1 + column)
                : Mark(file: mark.file, line: mark.line + lineIndex, column: column + 1)
        case .plain:
            return lineIndex == 0
                ? Mark(file: mark.file, line: mark.line, column: mark.column + column)
                : Mark(file: mark.file, line: mark.line + lineIndex, column: column + 1)
        }
    }

    static func isName(_ s: Substring) -> Bool {
        guard let f = s.first, f.isLetter || f == "_" else { return false }
        return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
