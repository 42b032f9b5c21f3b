import OrderedCollections
import YAML

extension Values {
    /// 2^53: above it not every integer has a float64.
    static let exactFloat64Limit: Int64 = 1 << 53

    /// Helm reads values files through JSON into float64, so an integer in a file beyond 2^53 is
    /// rounded (`9007199254740993` becomes `9007199254740992`). `--set` integers stay int64.
    static func roundedLikeFloat64(_ value: Value) -> Value {
        switch value {
        case .int(let i) where i > exactFloat64Limit || i < -exactFloat64Limit:
            let d = Double(i)
            return d >= 9.223372036854775807e18 ? .float(d) : .int(Int64(d))
        case .list(let items):
            return .list(items.map(roundedLikeFloat64))
        case .map(let m):
            return .map(m.mapValues(roundedLikeFloat64))
        default:
            return value
        }
    }

    /// Paths of integers that a values file cannot carry exactly: Helm would read them back as
    /// float64 and round them. Such values (only `--set` can make them) must reach Helm as `--set`,
    /// or as strings, to keep their last digits.
    public static func integersLosingPrecisionInFile(_ value: Value) -> [String] {
        var out: [String] = []
        func walk(_ v: Value, _ path: String) {
            switch v {
            case .int(let i) where i > exactFloat64Limit || i < -exactFloat64Limit:
                if roundedLikeFloat64(v) != v { out.append(path) }
            case .list(let items):
                for (n, item) in items.enumerated() { walk(item, "\(path)[\(n)]") }
            case .map(let m):
                for (k, item) in m { walk(item, path.isEmpty ? k : "\(path).\(k)") }
            default:
                break
            }
        }
        walk(value, "")
        return out
    }
}
