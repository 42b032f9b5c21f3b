import OrderedCollections
import YAML

/// A JSON reader for `--set-json`, which needs what Go's `json.Decoder` gives Helm: one value read
/// from the front of the remaining text, and where it ended, so `a={"b":1},c=[2]` works.
///
/// Numbers become what Helm holds after decoding them as float64: integral values are `.int`
/// (already rounded to float64 precision), the rest `.float`.
struct JSONReader {
    struct Failure: Error {
        var message: String
        /// 0-based offset into the scalars given to the reader.
        var offset: Int
    }

    private let s: ArraySlice<Unicode.Scalar>
    private var i: Int

    init(_ scalars: ArraySlice<Unicode.Scalar>) {
        s = scalars
        i = scalars.startIndex
    }

    /// Reads one value after optional whitespace; returns it and the scalars consumed.
    static func readPrefix(_ scalars: ArraySlice<Unicode.Scalar>) throws(Failure) -> (Value, consumed: Int) {
        var r = JSONReader(scalars)
        r.skipSpace()
        let v = try r.value(depth: 0)
        return (v, r.i - scalars.startIndex)
    }

    /// Reads a whole text that must be exactly one value (whitespace around it allowed).
    static func readWhole(_ text: String) throws(Failure) -> Value {
        let scalars = Array(text.unicodeScalars)
        var r = JSONReader(scalars[...])
        r.skipSpace()
        let v = try r.value(depth: 0)
        r.skipSpace()
        if r.i < scalars.count {
            throw Failure(message: "unexpected \(describe(scalars[r.i])) after the JSON value", offset: r.i)
        }
        return v
    }

    private static func describe(_ c: Unicode.Scalar) -> String { "'\(Character(c))'" }

    private func fail(_ message: String) -> Failure { Failure(message: message, offset: i - s.startIndex) }

    private var peek: Unicode.Scalar? { i < s.endIndex ? s[i] : nil }

    private mutating func skipSpace() {
        while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1 }
    }

    private mutating func value(depth: Int) throws(Failure) -> Value {
        guard depth < 10_000 else { throw fail("JSON nested too deeply") }
        guard let c = peek else { throw fail("expected a JSON value, found the end of the argument") }
        switch c {
        case "{": return try object(depth: depth)
        case "[": return try array(depth: depth)
        case "\"": return .string(try string())
        case "t": try word("true"); return .bool(true)
        case "f": try word("false"); return .bool(false)
        case "n": try word("null"); return .null
        case "-", "0"..."9": return try number()
        default: throw fail("expected a JSON value, found \(Self.describe(c))")
        }
    }

    private mutating func word(_ w: String) throws(Failure) {
        for expected in w.unicodeScalars {
            guard let c = peek, c == expected else {
                throw fail("invalid JSON literal: expected \"\(w)\"")
            }
            i += 1
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> Value {
        i += 1
        var out: OrderedDictionary<String, Value> = [:]
        skipSpace()
        if peek == "}" { i += 1; return .map(out) }
        while true {
            skipSpace()
            guard peek == "\"" else { throw fail("expected a quoted object key") }
            let key = try string()
            skipSpace()
            guard peek == ":" else { throw fail("expected ':' after object key") }
            i += 1
            skipSpace()
            out[key] = try value(depth: depth + 1)
            skipSpace()
            switch peek {
            case ",": i += 1
            case "}": i += 1; return .map(out)
            default: throw fail("expected ',' or '}' in object")
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> Value {
        i += 1
        var out: [Value] = []
        skipSpace()
        if peek == "]" { i += 1; return .list(out) }
        while true {
            skipSpace()
            out.append(try value(depth: depth + 1))
            skipSpace()
            switch peek {
            case ",": i += 1
            case "]": i += 1; return .list(out)
            default: throw fail("expected ',' or ']' in array")
            }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let c = peek, let d = Character(c).hexDigitValue else { throw fail("invalid \\u escape") }
            v = v * 16 + UInt32(d)
            i += 1
        }
        return v
    }

    private mutating func string() throws(Failure) -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek else { throw fail("unterminated JSON string") }
            i += 1
            switch c {
            case "\"":
                return String(out)
            case "\\":
                guard let e = peek else { throw fail("unterminated JSON string") }
                i += 1
                switch e {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "/": out.append("/")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), peek == "\\" {
                        let save = i
                        i += 1
                        if peek == "u" {
                            i += 1
                            let low = try hex4()
                            if (0xDC00..<0xE000).contains(low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                i = save
                            }
                        } else {
                            i = save
                        }
                    }
                    out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    i -= 1
                    throw fail("invalid escape '\\\(Character(e))' in JSON string")
                }
            case "\u{00}"..."\u{1F}":
                i -= 1
                throw fail("control character in JSON string (escape it)")
            default:
                out.append(c)
            }
        }
    }

    private mutating func digits() -> Int {
        var n = 0
        while let c = peek, ("0"..."9").contains(c) { i += 1; n += 1 }
        return n
    }

    private mutating func number() throws(Failure) -> Value {
        let start = i
        var integral = true
        if peek == "-" { i += 1 }
        if peek == "0" {
            i += 1
        } else if digits() == 0 {
            throw fail("invalid JSON number")
        }
        if peek == "." {
            integral = false
            i += 1
            guard digits() > 0 else { throw fail("invalid JSON number: digits expected after '.'") }
        }
        if peek == "e" || peek == "E" {
            integral = false
            i += 1
            if peek == "+" || peek == "-" { i += 1 }
            guard digits() > 0 else { throw fail("invalid JSON number: digits expected in exponent") }
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: s[start..<i])
        guard let d = Double(String(text)), d.isFinite else {
            throw Failure(message: "JSON number \(String(text)) does not fit a 64-bit float", offset: start - s.startIndex)
        }
        if integral, d == d.rounded(), abs(d) < 9.2e18 {
            return .int(Int64(d))
        }
        return .float(d)
    }
}
