import OrderedCollections
import YAML

extension Values {
    /// What a chart without subcharts sees as `.Values`: Helm's `CoalesceValues` of the user's
    /// values over the chart's `values.yaml`.
    ///
    /// - User values win; maps merge deeply; lists and scalars replace.
    /// - A user `null` removes the chart default for that key (at any depth). A user `null` for a key
    ///   the chart does not define stays a `null`.
    /// - A `null` in the chart defaults that the user does not touch stays a `null`.
    /// - When one side is a map and the other is not, the user's value is kept as it is.
    ///
    /// Keys come out in the chart's order, then keys only the user gave, so rendered files read
    /// like the chart's `values.yaml`.
    public static func coalesce(chartDefaults: Value, user: Value) -> Value {
        let defaults = chartDefaults.mapValue ?? [:]
        let given = user.mapValue ?? [:]
        var out: OrderedDictionary<String, Value> = [:]
        for (key, def) in defaults {
            guard let value = given[key] else {
                out[key] = def
                continue
            }
            switch (value, def) {
            case (.null, _):
                continue  // the user removes the chart default
            case (.map(let dst), .map(let src)):
                out[key] = .map(coalesceTables(dst, src))
            default:
                out[key] = value
            }
        }
        for (key, value) in given where defaults[key] == nil {
            out[key] = value
        }
        return .map(out)
    }

    /// Helm's `coalesceTablesFullKey` with merge off, below the top level: `dst` (the user's) wins,
    /// and a user null deletes the key only where the default was non-null.
    static func coalesceTables(
        _ dst: OrderedDictionary<String, Value>,
        _ src: OrderedDictionary<String, Value>
    ) -> OrderedDictionary<String, Value> {
        var out: OrderedDictionary<String, Value> = [:]
        for (key, def) in src {
            guard let value = dst[key] else {
                out[key] = def
                continue
            }
            switch (value, def) {
            case (.null, .null):
                out[key] = .null
            case (.null, _):
                continue
            case (.map(let d), .map(let s)):
                out[key] = .map(coalesceTables(d, s))
            default:
                out[key] = value
            }
        }
        for (key, value) in dst where src[key] == nil {
            out[key] = value
        }
        return out
    }
}
