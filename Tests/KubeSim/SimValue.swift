import Foundation
import OrderedCollections
import YAML

/// Small path helpers: the simulator manipulates API objects as `Value` trees, exactly the JSON
/// the real server stores, so what a client reads back is what it would read from kube-apiserver.
extension Value {
    subscript(path path: [String]) -> Value? {
        get { lookup(path) }
        set { setPath(path[...], newValue) }
    }

    mutating func setPath(_ path: ArraySlice<String>, _ newValue: Value?) {
        guard let first = path.first else {
            self = newValue ?? .null
            return
        }
        var map = mapValue ?? [:]
        if path.count == 1 {
            if let v = newValue { map[first] = v } else { map.removeValue(forKey: first) }
        } else {
            var child = map[first] ?? .map([:])
            if case .map = child {} else { child = .map([:]) }
            child.setPath(path.dropFirst(), newValue)
            map[first] = child
        }
        self = .map(map)
    }

    var str: String? { stringValue }
    var stringMap: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in mapValue ?? [:] {
            if let s = v.stringValue { out[k] = s }
        }
        return out
    }
    var list: [Value] { listValue ?? [] }

    static func strings(_ d: [String: String]) -> Value {
        var m = OrderedDictionary<String, Value>()
        for (k, v) in d.sorted(by: { $0.key < $1.key }) { m[k] = .string(v) }
        return .map(m)
    }
}

/// Timestamps in the RFC 3339 forms the API uses (seconds for metadata, nanoseconds for logs).
enum SimTime {
    /// Formatted by hand: the kubelet stand-in stamps every log line it serves, and
    /// `String(format:)` cost more per line than the clients it is measured against.
    static func rfc3339(_ date: Date = Date(), fraction: Bool = false) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        var out: [UInt8] = []
        out.reserveCapacity(30)
        func digits(_ v: Int, _ n: Int) {
            var d = [UInt8](repeating: 48, count: n)
            var x = v
            for i in stride(from: n - 1, through: 0, by: -1) { d[i] = UInt8(48 + x % 10); x /= 10 }
            out += d
        }
        digits(Int(tm.tm_year) + 1900, 4); out.append(45); digits(Int(tm.tm_mon) + 1, 2); out.append(45); digits(Int(tm.tm_mday), 2)
        out.append(84); digits(Int(tm.tm_hour), 2); out.append(58); digits(Int(tm.tm_min), 2); out.append(58); digits(Int(tm.tm_sec), 2)
        if fraction {
            out.append(46)
            digits(min(999_999_999, max(0, Int((date.timeIntervalSince1970 - Double(t)) * 1_000_000_000))), 9)
        }
        out.append(90)
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3339 with an optional fraction (query parameters such as `sinceTime`).
    static func parse(_ text: String) -> Date? {
        var base = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: "."), let z = text.lastIndex(of: "Z"), dot < z {
            fraction = Double("0" + text[dot..<z]) ?? 0
            base = String(text[..<dot]) + "Z"
        }
        return ISO8601DateFormatter().date(from: base).map { $0.addingTimeInterval(fraction) }
    }
}

enum SimID {
    static func uid() -> String { UUID().uuidString.lowercased() }

    /// The five-character suffix the API server's generateName uses (consonants and digits).
    static func suffix(_ n: Int = 5) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// A stable short hash of a value, used for template hashes and revision names.
    static func hash(_ v: Value) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in v.jsonString().utf8 {
            h ^= UInt64(b)
            h = h &* 0x100000001b3
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var out = ""
        for _ in 0..<10 {
            out.append(alphabet[Int(h % UInt64(alphabet.count))])
            h /= UInt64(alphabet.count)
        }
        return out
    }
}

// Literals keep the simulator's object builders readable. Declared here, in test support only,
// so production modules never depend on them.
// (String literals come from the YAML module itself.)
extension Value: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
}
