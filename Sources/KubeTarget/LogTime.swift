import Foundation

/// A kubelet log timestamp (RFC 3339 with up to nanoseconds, always UTC `Z`), kept as integers:
/// the kubelet trims trailing zeros of the fraction, so the strings do not sort as text.
public struct LogTimestamp: Sendable, Comparable, Hashable {
    public var seconds: Int
    public var nanos: Int

    public init?(_ text: Substring) {
        guard let t = text.utf8.withContiguousStorageIfAvailable({ Self.parse($0) }) ?? Self.parse(Array(text.utf8)) else { return nil }
        self = t
    }

    init(seconds: Int, nanos: Int) { self.seconds = seconds; self.nanos = nanos }

    /// Reads the bytes in place: this runs for every line `slimctl logs` follows.
    static func parse<C: RandomAccessCollection>(_ u: C) -> LogTimestamp? where C.Element == UInt8, C.Index == Int {
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= u.count else { return nil }
            var v = 0
            for i in r { guard u[i] >= 48, u[i] <= 57 else { return nil }; v = v * 10 + Int(u[i] - 48) }
            return v
        }
        guard u.count >= 20, u[4] == 45, u[7] == 45, u[10] == 84, u[13] == 58, u[16] == 58,
            let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16), let se = num(17..<19)
        else { return nil }
        var i = 19
        var n = 0
        if u[i] == 46 {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 9 { n = n * 10 + Int(u[i] - 48); digits += 1 }
                i += 1
            }
            for _ in digits..<9 { n *= 10 }
        }
        guard i < u.count, u[i] == 90 else { return nil }
        return LogTimestamp(seconds: daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se, nanos: n)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func < (a: LogTimestamp, b: LogTimestamp) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanos < b.nanos
    }

    /// Splits a `timestamps=true` log line into its timestamp and the text after the space.
    public static func split(_ line: String) -> (stamp: Substring, time: LogTimestamp, text: Substring)? {
        // Byte search: Character-wise firstIndex(of:) cost more than the rest of the line's way.
        guard let space = line.utf8.firstIndex(of: 0x20) else { return nil }
        let stamp = line[..<space]
        guard let t = LogTimestamp(stamp) else { return nil }
        return (stamp, t, line[line.utf8.index(after: space)...])
    }
}
