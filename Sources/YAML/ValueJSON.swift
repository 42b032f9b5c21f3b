import OrderedCollections

/// A JSON syntax error with the byte offset where parsing stopped, so a bad API response can be
/// reported precisely instead of as "invalid data".
public struct JSONError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension Value {
    /// Parses JSON keeping object key order: Kubernetes objects read back in the order the server
    /// wrote them, which keeps emitted YAML and diffs stable.
    public init(json text: String) throws {
        var text = text
        self = try text.withUTF8 {
            var r = JSONReader(buf: $0); return try r.parseTop()
        }
    }

    public init(jsonBytes bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBufferPointer {
            var r = JSONReader(buf: $0); return try r.parseTop()
        }
    }

    /// Compact JSON (`pretty` indents by two spaces). Integers stay integers; non-finite floats,
    /// which JSON cannot carry, become null.
    public func jsonString(pretty: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(256)
        JSONWriter.write(self, into: &out, pretty: pretty, indent: 0)
        return out
    }

    public var jsonBytes: [UInt8] { Array(jsonString().utf8) }
}

private struct JSONReader {
    let buf: UnsafeBufferPointer<UInt8>
    var pos = 0

    init(buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    func fail(_ message: String) -> JSONError { JSONError(message: message, offset: pos) }

    mutating func skipWS() {
        while pos < buf.count {
            let c = buf[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    mutating func parseTop() throws -> Value {
        skipWS()
        let v = try parseValue(depth: 0)
        skipWS()
        if pos != buf.count { throw fail("unexpected trailing data") }
        return v
    }

    mutating func parseValue(depth: Int) throws -> Value {
        guard depth < 512 else { throw fail("nesting too deep") }
        guard pos < buf.count else { throw fail("unexpected end of input") }
        switch buf[pos] {
        case UInt8(ascii: "{"):
            pos += 1
            var map = OrderedDictionary<String, Value>()
            skipWS()
            if pos < buf.count, buf[pos] == UInt8(ascii: "}") { pos += 1; return .map(map) }
            while true {
                skipWS()
                guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw fail("expected object key") }
                let key = try parseString()
                skipWS()
                guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                pos += 1
                skipWS()
                map[key] = try parseValue(depth: depth + 1)
                skipWS()
                guard pos < buf.count else { throw fail("unterminated object") }
                if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if buf[pos] == UInt8(ascii: "}") { pos += 1; return .map(map) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            pos += 1
            var list: [Value] = []
            skipWS()
            if pos < buf.count, buf[pos] == UInt8(ascii: "]") { pos += 1; return .list(list) }
            while true {
                skipWS()
                list.append(try parseValue(depth: depth + 1))
                skipWS()
                guard pos < buf.count else { throw fail("unterminated array") }
                if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if buf[pos] == UInt8(ascii: "]") { pos += 1; return .list(list) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try parseNumber()
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard pos + n <= buf.count else { throw fail("unexpected end of input") }
        for i in 0..<n where buf[pos + i] != word.utf8Start[i] { throw fail("invalid literal") }
        pos += n
    }

    mutating func parseNumber() throws -> Value {
        let start = pos
        var isFloat = false
        if pos < buf.count, buf[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < buf.count, buf[pos] >= 0x30, buf[pos] <= 0x39 else { throw fail("unexpected character") }
        while pos < buf.count {
            let c = buf[pos]
            if c >= 0x30 && c <= 0x39 { pos += 1; continue }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
            {
                isFloat = true; pos += 1; continue
            }
            break
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        if !isFloat, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw JSONError(message: "invalid number \(text)", offset: start) }
        return .float(d)
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= buf.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    mutating func parseString() throws -> String {
        pos += 1  // opening quote
        let start = pos
        // Fast path: no escapes.
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
                pos += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            pos += 1
        }
        var bytes = Array(buf[start..<pos])
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") { pos += 1; return String(decoding: bytes, as: UTF8.self) }
            if c != UInt8(ascii: "\\") { bytes.append(c); pos += 1; continue }
            pos += 1
            guard pos < buf.count else { break }
            let e = buf[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00, pos + 1 < buf.count,
                    buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u")
                {
                    pos += 2
                    let low = try hex4()
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                }
                let us = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                bytes.append(contentsOf: Array(String(Character(us)).utf8))
            default: throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }
}

private enum JSONWriter {
    static func write(_ v: Value, into out: inout String, pretty: Bool, indent: Int) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d):
            if !d.isFinite { out += "null" } else if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)) } else { out += "\(d)" }
        case .string(let s): writeString(s, into: &out)
        case .list(let l):
            if l.isEmpty { out += "[]"; return }
            out += "["
            for (i, e) in l.enumerated() {
                if i > 0 { out += "," }
                if pretty { newline(&out, indent + 1) }
                write(e, into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out += "]"
        case .map(let m):
            if m.isEmpty { out += "{}"; return }
            out += "{"
            var first = true
            for (k, e) in m {
                if !first { out += "," }
                first = false
                if pretty { newline(&out, indent + 1) }
                writeString(k, into: &out)
                out += pretty ? ": " : ":"
                write(e, into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out += "}"
        }
    }

    static func newline(_ out: inout String, _ indent: Int) {
        out += "\n"
        out += String(repeating: "  ", count: indent)
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C { needsEscape = true; break }
        if !needsEscape { out += s; out += "\""; return }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
