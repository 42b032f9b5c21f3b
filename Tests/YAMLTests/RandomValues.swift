import OrderedCollections
import YAML

/// SplitMix64: tiny, seeded, identical on every platform, so a failing case can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random `Value`s whose strings come from pieces that stress quoting: YAML indicators, words
/// the YAML 1.1 resolver turns into other types, control characters, line breaks libyaml knows
/// (NEL, LS), combining marks, Helm template braces.
struct ValueGenerator {
    var rng: SeededRandom
    /// Printable pieces with many line breaks, so that literal block scalars get exercised too.
    var multiline = false

    static let multilinePieces: [String] = ["a", "b", " ", "  ", "\n", "\n", "\n\n", "\t", "#", "- ", ": ", "é", "|", ">", "'", "\"", "---", "..."]

    static let pieces: [String] = [
        "a", "b", "Z", " ", "  ", "\n", "\t", ":", ": ", "#", " #", "-", "- ", "?", "'", "\"", "\\", "{", "}", "[", "]",
        ",", "&", "*", "!", "|", ">", "%", "@", "`", "0", "1", "9", "x", ".", "_", "+", "e", "é", "日本", "\u{0}",
        "\u{7}", "\u{1B}", "\u{7F}", "\u{85}", "\u{A0}", "\u{2028}", "\u{FEFF}", "\r", "\r\n", "y", "n", "N", "~",
        "<<", "---", "...", "0x", "0o", "0b", "true", "Yes", "off", "null", "NULL", ".inf", ".nan", "\u{301}", "😀",
        "$", "=", "{{ .Values.x }}", "1e3", "012", "1_0", "2001-12-14", "1:20", "\u{FFFE}", "\u{E000}"
    ]

    mutating func string() -> String {
        let n = Int.random(in: 0...6, using: &rng)
        var s = ""
        let from = multiline ? Self.multilinePieces : Self.pieces
        for _ in 0..<n { s += from.randomElement(using: &rng) ?? "" }
        return s
    }

    mutating func float() -> Double {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            return [0.0, -0.0, 1.0, 0.1, 1e20, 1e-7, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 1e16, -2.5].randomElement(using: &rng) ?? 0
        case 1: return Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random(using: &rng) ? 1 : -1)
        case 2: return Double(Int.random(in: -1000...1000, using: &rng))
        default: return Double.random(in: -1e6...1e6, using: &rng)
        }
    }

    mutating func int() -> Int64 {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return [Int64.max, Int64.min, 0, -1, 1, 8, 10].randomElement(using: &rng) ?? 0
        case 1: return Int64(bitPattern: rng.next())
        default: return Int64.random(in: -100_000...100_000, using: &rng)
        }
    }

    mutating func scalar() -> Value {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(int())
        case 3: return .float(float())
        default: return .string(string())
        }
    }

    mutating func value(depth: Int = 0) -> Value {
        let roll = Int.random(in: 0..<10, using: &rng)
        if depth >= 4 || roll < 5 { return scalar() }
        let n = Int.random(in: 0...4, using: &rng)
        if roll < 7 {
            return .list((0..<n).map { _ in value(depth: depth + 1) })
        }
        var m = OrderedDictionary<String, Value>()
        for _ in 0..<n { m[string()] = value(depth: depth + 1) }
        return .map(m)
    }
}

/// Values compared exactly, except that -0.0 and 0.0 must also agree in sign.
func identical(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.float(let x), .float(let y)): return x.bitPattern == y.bitPattern
    case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
    case (.map(let x), .map(let y)):
        return x.keys.elements == y.keys.elements && zip(x.values, y.values).allSatisfy { identical($0, $1) }
    default: return a == b
    }
}
