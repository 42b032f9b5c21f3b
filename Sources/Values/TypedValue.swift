import YAML

extension Values {
    /// Helm's `typedVal` for `--set`: `true`/`false`/`null` in any letter case, `0`, and base-10
    /// int64 not starting with `0` (a sign is allowed: `-12`, `+5`) are typed; everything else is a
    /// string. So `1.5`, `010`, `1e3`, `0x1F`, `yes` and out-of-range integers stay strings, unlike in
    /// a YAML file.
    public static func typedScalar(_ text: String) -> Value {
        // Go's strings.EqualFold; U+017F (long s) is the one non-ASCII letter that folds into these words.
        let folded = String(text.lowercased().map { $0 == "\u{017F}" ? "s" : $0 })
        switch folded {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        case "0": return .int(0)
        default: break
        }
        if let first = text.utf8.first, first != UInt8(ascii: "0"), let i = Int64(text, radix: 10) {
            return .int(i)
        }
        return .string(text)
    }
}
