import Foundation
import YAML

/// The few Helm template forms that appear inside `slim.config` strings, evaluated against the
/// rendered values and the release so the local target runs the config the chart would mount.
/// Anything else is an error naming the key: guessing would make the local run differ from the
/// cluster silently.
enum HelmExpressions {
    /// What `.Release` and the chart's name helpers give for this release.
    struct Context {
        var values: Value
        var releaseName: String
        var namespace: String
        /// `include "slim.fullname" .` and `include "slim.name" .`.
        var fullname: String
        var name: String
    }

    struct Unsupported: Error, CustomStringConvertible {
        var key: String
        var expression: String
        var description: String {
            "\(key): the local target cannot evaluate the Helm expression `\(expression)` (supported: `.Values.a.b`, `(index .Values.list N).field`, `.Release.Name`, `.Release.Namespace`, `include \"slim.fullname\" .`, `include \"slim.name\" .`)"
        }
    }

    static func evaluate(_ text: String, context: Context, key: String) throws -> String {
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw Unsupported(key: key, expression: String(rest[open.lowerBound...]))
            }
            out += rest[..<open.lowerBound]
            var expr = String(rest[open.upperBound..<close.lowerBound])
            expr = expr.trimmingCharacters(in: CharacterSet(charactersIn: "- ").union(.whitespaces))
            guard let v = resolve(expr, context) else { throw Unsupported(key: key, expression: "{{ \(expr) }}") }
            out += v
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    private static func resolve(_ expr: String, _ context: Context) -> String? {
        switch expr {
        case ".Release.Name": return context.releaseName
        case ".Release.Namespace": return context.namespace
        case "include \"slim.fullname\" .": return context.fullname
        case "include \"slim.name\" .": return context.name
        default: break
        }
        let values = context.values
        var base: Value?
        var tail: String
        if expr.hasPrefix("(index ") {
            guard let close = expr.firstIndex(of: ")") else { return nil }
            let inner = expr[expr.index(expr.startIndex, offsetBy: 7)..<close].split(separator: " ")
            guard inner.count == 2, let list = path(String(inner[0]), values)?.listValue, let i = Int(inner[1]), i >= 0, i < list.count else { return nil }
            base = list[i]
            tail = String(expr[expr.index(after: close)...])
        } else if expr.hasPrefix(".Values") {
            base = values
            tail = String(expr.dropFirst(7))
        } else {
            return nil
        }
        guard var cur = base else { return nil }
        for part in tail.split(separator: ".") {
            guard let next = cur[String(part)] else { return nil }
            cur = next
        }
        switch cur {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return String(b)
        default: return nil
        }
    }

    private static func path(_ p: String, _ values: Value) -> Value? {
        guard p.hasPrefix(".Values") else { return nil }
        return values.lookup(p.dropFirst(7).split(separator: ".").map(String.init))
    }
}
