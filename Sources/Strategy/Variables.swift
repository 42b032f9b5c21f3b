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

    /// Names referenced in a string, in order of appearance.
    public static func names(in text: String) -> [String] {
        var out: [String] = []
        scan(text) { out.append($0); return "" }
        return out
    }

    /// Replaces every `((name))`; an unknown name is an error at `mark`.
    public static func substitute(_ text: String, _ vars: [String: String], mark: Mark) throws -> String {
        guard text.contains("((") else { return text }
        var failure: Unknown?
        let out = scan(text) { name in
            if let v = vars[name] { return v }
            if failure == nil { failure = Unknown(name: name, mark: mark, known: vars.keys.sorted()) }
            return ""
        }
        if let failure { throw failure }
        return out
    }

    /// Substitutes inside every scalar of a node tree (keys included), keeping marks, so that
    /// resolution happens after substitution: `replicas: ((count))` becomes a number as Helm would see it.
    public static func substitute(_ node: Node, _ vars: [String: String]) throws -> Node {
        switch node.kind {
        case .scalar(let text, let style, let tag):
            let t = try substitute(text, vars, mark: node.mark)
            return Node(kind: .scalar(t, style: style, tag: tag), mark: node.mark)
        case .sequence(let items):
            return Node(kind: .sequence(try items.map { try substitute($0, vars) }), mark: node.mark)
        case .mapping(let pairs):
            return Node(kind: .mapping(try pairs.map {
                Node.Pair(key: try substitute($0.key, vars), value: try substitute($0.value, vars))
            }), mark: node.mark)
        }
    }

    @discardableResult
    private static func scan(_ text: String, _ replace: (String) -> String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "((") {
            guard let close = rest[open.upperBound...].range(of: "))") else { break }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: " ")
            guard isName(name) else {
                out += rest[..<open.upperBound]
                rest = rest[open.upperBound...]
                continue
            }
            out += rest[..<open.lowerBound]
            out += replace(String(name))
            rest = rest[close.upperBound...]
        }
        out += rest
        return out
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
