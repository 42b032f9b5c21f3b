/// Helm's values are JSON objects, so every map key ends up a string. sigs.k8s.io/yaml converts
/// resolved keys the way reproduced here: `n:` → "false", `1:` → "1", float keys printed with
/// float32 precision (`123456789.0:` → "1.2345679e+08"); null, uint64-sized and collection keys
/// are errors in Helm and therefore here.
enum KeyText {
    static func string(for key: Node) throws -> String {
        guard case .scalar(let text, let style, let tag) = key.kind else {
            throw YAMLError("a map key must be a scalar, not a \(key.kindName)", mark: key.mark)
        }
        switch try ScalarResolver.resolve(text, style: style, tag: tag, mark: key.mark) {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return GoFloat32.format(Float(d))
        case .merge: return "<<"
        case .null:
            throw YAMLError("a map key cannot be null (`\(text)`); quote it if it is meant as text", mark: key.mark)
        case .uint:
            throw YAMLError("map key `\(text)` is too large for Helm (unsigned 64-bit keys are unsupported); quote it", mark: key.mark)
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)` plus go-yaml's names for the specials.
enum GoFloat32 {
    static func format(_ f: Float) -> String {
        if f.isNaN { return ".nan" }
        if f.isInfinite { return f < 0 ? "-.inf" : ".inf" }
        let negative = f.sign == .minus
        if f == 0 { return negative ? "-0" : "0" }
        // Swift's description is the shortest round-tripping decimal, like Go's; only the
        // layout differs. Split it into digits and a decimal point position.
        var text = "\(abs(f))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = parts.first.map(String.init) ?? ""
        let fracPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = Array(intPart + fracPart)
        var point = intPart.count + exponent
        while let first = digits.first, first == "0", digits.count > 1 { digits.removeFirst(); point -= 1 }
        while let last = digits.last, last == "0", digits.count > 1 { digits.removeLast() }
        let nd = digits.count
        let exp = point - 1
        var out = negative ? "-" : ""
        if exp < -4 || exp >= 6 {
            out.append(digits[0])
            if nd > 1 { out += "." + String(digits[1...]) }
            let e = abs(exp)
            out += (exp < 0 ? "e-" : "e+") + (e < 10 ? "0" : "") + String(e)
        } else if point <= 0 {
            out += "0." + String(repeating: "0", count: -point) + String(digits)
        } else if point >= nd {
            out += String(digits) + String(repeating: "0", count: point - nd)
        } else {
            out += String(digits[..<point]) + "." + String(digits[point...])
        }
        return out
    }
}
