/// The subset of Go's `strconv` that go-yaml v2 uses to recognise numbers, reproduced so that a
/// scalar is a number here exactly when it is one for Helm (`012` is octal, `08` is a float,
/// `0x_1F` is 31, `1e400` stays a string because it overflows).
enum GoNumbers {
    private static func digitValue(_ c: UInt8) -> UInt64? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt64(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt64(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// `strconv.ParseUint(s, 0, 64)`: no sign; `0x`, `0o`, `0b` prefixes (only with at least one
    /// character after them), a bare leading `0` means octal. Callers strip underscores first.
    static func parseUint(_ s: String) -> UInt64? {
        var b = Array(s.utf8)
        guard !b.isEmpty else { return nil }
        var base: UInt64 = 10
        if b[0] == UInt8(ascii: "0") {
            let second = b.count >= 3 ? b[1] | 0x20 : 0
            switch second {
            case UInt8(ascii: "b"): base = 2; b.removeFirst(2)
            case UInt8(ascii: "o"): base = 8; b.removeFirst(2)
            case UInt8(ascii: "x"): base = 16; b.removeFirst(2)
            default: base = 8; b.removeFirst(1)
            }
        }
        var n: UInt64 = 0
        for c in b {
            guard let d = digitValue(c), d < base else { return nil }
            let (m, o1) = n.multipliedReportingOverflow(by: base)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            n = a
        }
        return n
    }

    /// `strconv.ParseInt(s, 0, 64)`.
    static func parseInt(_ s: String) -> Int64? {
        var body = Substring(s)
        var negative = false
        if let f = body.first, f == "+" || f == "-" {
            negative = f == "-"
            body = body.dropFirst()
        }
        guard let f = body.first, f != "+", f != "-", let u = parseUint(String(body)) else { return nil }
        if negative {
            if u > UInt64(Int64.max) + 1 { return nil }
            return u == UInt64(Int64.max) + 1 ? Int64.min : -Int64(u)
        }
        return u > UInt64(Int64.max) ? nil : Int64(u)
    }

    /// go-yaml's `yamlStyleFloat` regexp `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    /// followed by `ParseFloat`, which fails on overflow (so the scalar stays a string).
    static func parseYAMLStyleFloat(_ s: String) -> Double? {
        let b = Array(s.utf8)
        var i = 0
        func isDigit(_ k: Int) -> Bool { k < b.count && b[k] >= 48 && b[k] <= 57 }
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
        } else {
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                while isDigit(i) { i += 1 }
            }
        }
        if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
        }
        guard i == b.count else { return nil }
        return finiteDouble(s)
    }

    /// `strconv.ParseFloat` on text starting with `.` (go-yaml passes it through unchanged, so Go's
    /// own underscore rule applies: `_` only between two digits).
    static func parseFloatDotted(_ s: String) -> Double? {
        let b = Array(s.utf8)
        guard b.first == UInt8(ascii: ".") else { return nil }
        var i = 1
        func isDigit(_ k: Int) -> Bool { k < b.count && b[k] >= 48 && b[k] <= 57 }
        func digits() -> Bool {
            guard isDigit(i) else { return false }
            while i < b.count, isDigit(i) || b[i] == UInt8(ascii: "_") { i += 1 }
            return true
        }
        guard digits() else { return nil }
        if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() else { return nil }
        }
        guard i == b.count else { return nil }
        // Every '_' must sit between two digits.
        for (k, c) in b.enumerated() where c == UInt8(ascii: "_") {
            guard k > 0, k + 1 < b.count, isDigit(k - 1), isDigit(k + 1) else { return nil }
        }
        return finiteDouble(s.filter { $0 != "_" })
    }

    /// Go reports overflow as an error (the scalar then stays a string); underflow is just 0.
    private static func finiteDouble(_ s: String) -> Double? {
        var t = s
        if t.hasPrefix("+") { t.removeFirst() }
        if t.hasPrefix(".") { t = "0" + t } else if t.hasPrefix("-.") { t = "-0" + t.dropFirst() }
        guard let d = Double(t), d.isFinite else { return nil }
        return d
    }
}

/// go-yaml recognises timestamps before numbers; Helm then hands them on as the original text, so
/// the only thing that matters is *whether* a scalar is one (for `!!timestamp` checks).
enum Timestamp {
    static func matches(_ s: String) -> Bool {
        let b = Array(s.utf8)
        var i = 0
        func isDigit(_ k: Int) -> Bool { k < b.count && b[k] >= 48 && b[k] <= 57 }
        func number(min: Int, max: Int) -> Bool {
            let start = i
            while isDigit(i) && i - start < max { i += 1 }
            return i - start >= min && !isDigit(i)
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, let a = c.asciiValue, b[i] == a else { return false }
            i += 1
            return true
        }
        guard number(min: 4, max: 4), expect("-"), number(min: 1, max: 2), expect("-"), number(min: 1, max: 2) else { return false }
        if i == b.count { return true }
        let sep = b[i]
        guard sep == UInt8(ascii: "T") || sep == UInt8(ascii: "t") || sep == UInt8(ascii: " ") else { return false }
        i += 1
        guard number(min: 1, max: 2), expect(":"), number(min: 1, max: 2), expect(":"), number(min: 1, max: 2) else { return false }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard number(min: 1, max: 9) else { return false }
        }
        if sep == UInt8(ascii: " ") { return i == b.count }
        if expect("Z") { return i == b.count }
        guard i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return false }
        i += 1
        return number(min: 2, max: 2) && expect(":") && number(min: 2, max: 2) && i == b.count
    }
}

/// Go's `base64.StdEncoding.DecodeString`: padding required, CR/LF ignored.
enum Base64 {
    static func decode(_ s: String) -> [UInt8]? {
        let chars = s.utf8.filter { $0 != 10 && $0 != 13 }
        guard chars.count % 4 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case 65...90: return UInt32(c - 65)
            case 97...122: return UInt32(c - 71)
            case 48...57: return UInt32(c + 4)
            case 43: return 62
            case 47: return 63
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            let quad = chars[i..<i + 4]
            let isLast = i + 4 == chars.count
            let pads = quad.reversed().prefix { $0 == 61 }.count
            guard pads <= 2, pads == 0 || isLast else { return nil }
            var acc: UInt32 = 0
            for c in quad.prefix(4 - pads) {
                guard let v = value(c) else { return nil }
                acc = acc << 6 | v
            }
            acc <<= UInt32(6 * pads)
            let bytes = [UInt8(acc >> 16 & 0xFF), UInt8(acc >> 8 & 0xFF), UInt8(acc & 0xFF)]
            out.append(contentsOf: bytes.prefix(3 - pads))
            i += 4
        }
        return out
    }
}
