import OrderedCollections
import YAML

extension Values {
    /// Helm's `MergeMaps`, used between `-f` files, between documents of one file, and for a
    /// whole-object `--set-json`: maps merge key by key, anything else in `overlay` (a list, a
    /// scalar, an explicit `null`) replaces what `base` had. Nulls are kept here on purpose: they are
    /// only acted on when the result meets the chart defaults (see `coalesce`).
    public static func merge(_ base: Value, _ overlay: Value) -> Value {
        guard case .map(let b) = base, case .map(let o) = overlay else { return overlay }
        return .map(mergeMaps(b, o))
    }

    static func mergeMaps(
        _ base: OrderedDictionary<String, Value>,
        _ overlay: OrderedDictionary<String, Value>
    ) -> OrderedDictionary<String, Value> {
        var out = base
        for (key, value) in overlay {
            if case .map(let inner) = value, case .map(let existing)? = out[key] {
                out[key] = .map(mergeMaps(existing, inner))
            } else {
                out[key] = value
            }
        }
        return out
    }
}
