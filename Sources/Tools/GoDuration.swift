/// Durations as kubectl and Go programs spell them, so `--since` and `SLIMCTL_EXEC_TIMEOUT`
/// take what users already type.
public enum GoDuration {
    /// Go's `time.ParseDuration`: a sequence of decimal numbers with units (`300ms`, `30s`,
    /// `1h30m`, `1.5h`), optionally signed; a bare `0` is allowed. Returns seconds.
    public static func parse(_ text: String) -> Double? {
        var s = Substring(text)
        var sign = 1.0
        if s.first == "-" || s.first == "+" { if s.first == "-" { sign = -1 }; s = s.dropFirst() }
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1, let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            // Longest unit first, so `ms` is not read as `m` followed by garbage.
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { s.hasPrefix($0.0) }) else { return nil }
            s = s.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return sign * total
    }

    /// `--since` as the API's `sinceSeconds`: whole seconds, rounded up like kubectl, at least 1.
    public static func sinceSeconds(_ text: String) -> Int? {
        guard let d = parse(text), d > 0 else { return nil }
        return max(1, Int(d.rounded(.up)))
    }
}
