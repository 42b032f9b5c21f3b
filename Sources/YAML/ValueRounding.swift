extension Value {
    /// Floats rounded to `places` decimals, for what users read: timings and ages carry no
    /// meaning past the millisecond, and full doubles (`70.10656535625458`, `5.7325e-05`) are
    /// noise in a report. Integers, strings and the structure are unchanged.
    public func roundingFloats(places: Int = 3) -> Value {
        switch self {
        case .float(let d):
            guard d.isFinite else { return self }
            var scale = 1.0
            for _ in 0..<max(0, places) { scale *= 10 }
            return .float((d * scale).rounded() / scale)
        case .list(let l): return .list(l.map { $0.roundingFloats(places: places) })
        case .map(let m): return .map(m.mapValues { $0.roundingFloats(places: places) })
        default: return self
        }
    }
}
