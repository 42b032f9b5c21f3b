import OrderedCollections

/// Deterministic block-style writer: key order preserved, two-space indent, lists at the same
/// column as their key (as Helm's `toYaml` writes them), `{}`/`[]` for empty collections.
/// Every string is written so that `load(emit(v)) == v` and Helm reads the same value.
struct Emitter {
    var out = ""
    private static let maxImplicitKey = 1000

    mutating func document(_ v: Value) {
        switch v {
        case .map(let m) where !m.isEmpty:
            mapping(m, indent: 0, firstInline: false)
        case .list(let l) where !l.isEmpty:
            sequence(l, indent: 0, firstInline: false)
        case .string(let s):
            if case .literal(let chomp, _) = StringStyle.choose(s, isKey: false, topLevel: true) {
                out += "|" + chomp + "\n"
                literalLines(s, indent: 2)
            } else {
                out += Self.inline(v) + "\n"
            }
        default:
            out += Self.inline(v) + "\n"
        }
    }

    private mutating func mapping(_ m: OrderedDictionary<String, Value>, indent: Int, firstInline: Bool) {
        let pad = String(repeating: " ", count: indent)
        var first = firstInline
        for (k, v) in m {
            if !first { out += pad }
            first = false
            let key = Self.string(k, isKey: true)
            if key.count > Self.maxImplicitKey {
                out += "? " + key + "\n" + pad + ":"
            } else {
                out += key + ":"
            }
            value(v, indent: indent, listIndent: indent)
        }
    }

    private mutating func sequence(_ l: [Value], indent: Int, firstInline: Bool) {
        let pad = String(repeating: " ", count: indent)
        var first = firstInline
        for v in l {
            if !first { out += pad }
            first = false
            out += "-"
            value(v, indent: indent, listIndent: indent + 2, inList: true)
        }
    }

    /// Writes what follows `key:` or `-`. `listIndent` is where a nested list's dashes go.
    private mutating func value(_ v: Value, indent: Int, listIndent: Int, inList: Bool = false) {
        switch v {
        case .map(let m) where !m.isEmpty:
            if inList {
                out += " "
                mapping(m, indent: indent + 2, firstInline: true)
            } else {
                out += "\n"
                mapping(m, indent: indent + 2, firstInline: false)
            }
        case .list(let l) where !l.isEmpty:
            if inList {
                out += " "
                sequence(l, indent: indent + 2, firstInline: true)
            } else {
                out += "\n"
                sequence(l, indent: listIndent, firstInline: false)
            }
        case .string(let s):
            if case .literal(let chomp, let indicator) = StringStyle.choose(s, isKey: false, topLevel: false) {
                out += " |" + (indicator ? "2" : "") + chomp + "\n"
                literalLines(s, indent: indent + 2)
            } else {
                out += " " + Self.inline(v) + "\n"
            }
        default:
            out += " " + Self.inline(v) + "\n"
        }
    }

    private mutating func literalLines(_ s: String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        let u = Array(s.unicodeScalars)
        let trailing = u.reversed().prefix { $0 == "\n" }.count
        for line in u.dropLast(trailing).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { out += "\n"; continue }
            out += pad
            out.unicodeScalars.append(contentsOf: line)
            out += "\n"
        }
        // Kept trailing newlines (`|+`) beyond the one ending the last line.
        if trailing > 1 { out += String(repeating: "\n", count: trailing - 1) }
    }

    /// One-line form of a scalar or empty collection.
    static func inline(_ v: Value) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return float(d)
        case .string(let s): return string(s, isKey: false)
        case .list: return "[]"
        case .map: return "{}"
        }
    }

    /// Swift's shortest round-trip form; it always has a `.` or an exponent, so it reads back
    /// as a float (`1.0`, `1e+20`), never as an int.
    static func float(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        return "\(d)"
    }

    static func string(_ s: String, isKey: Bool) -> String {
        switch StringStyle.choose(s, isKey: isKey, topLevel: false) {
        case .plain: return s
        case .singleQuoted:
            var r = "'"
            for u in s.unicodeScalars {
                if u == "'" { r += "''" } else { r.unicodeScalars.append(u) }
            }
            return r + "'"
        case .doubleQuoted, .literal: return doubleQuoted(s)
        }
    }

    static func doubleQuoted(_ s: String) -> String {
        var r = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            case "\t": r += "\\t"
            case "\r": r += "\\r"
            case "\0": r += "\\0"
            default:
                if StringStyle.isPrintable(u) {
                    r.unicodeScalars.append(u)
                } else if u.value <= 0xFF {
                    r += "\\x" + hex(u.value, width: 2)
                } else if u.value <= 0xFFFF {
                    r += "\\u" + hex(u.value, width: 4)
                } else {
                    r += "\\U" + hex(u.value, width: 8)
                }
            }
        }
        return r + "\""
    }

    private static func hex(_ v: UInt32, width: Int) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }
}
