/// Decides each variable's value: `--var` beats a remembered generated value beats the default
/// beats generating a new one. Pure: randomness and storage are the caller's.
public enum VariableResolver {
    public struct Resolved: Sendable {
        public var values: [String: String]
        /// Secret values that were generated now and must be stored so re-runs reuse them.
        public var generated: [String: String]
        /// name → value of every secret variable, for redaction.
        public var secrets: [String: String]
    }

    /// `presets`: values the chosen chart generation gives; they replace defaults, not `--var`.
    public static func resolve(_ declared: [Variable], overrides: [String: String], remembered: [String: String],
                               presets: [String: String] = [:], generate: (Int) -> String) throws -> Resolved {
        var errors: [StrategyError] = []
        let names = declared.map(\.name)
        for k in overrides.keys.sorted() where !names.contains(k) {
            errors.append(StrategyError("--var \(k)=…: the strategy has no variable `\(k)`", at: nil,
                                        hint: Suggest.didYouMean(k, in: names)))
        }
        var values: [String: String] = [:]
        var generated: [String: String] = [:]
        var secrets: [String: String] = [:]
        for v in declared {
            let value: String
            if let o = overrides[v.name] {
                value = o
            } else if let r = remembered[v.name], v.generateLength != nil {
                value = r
            } else if let p = presets[v.name] {
                value = p
            } else if let d = v.defaultValue {
                value = d
            } else if let n = v.generateLength {
                value = generate(n)
                generated[v.name] = value
            } else {
                errors.append(StrategyError("variable `\(v.name)` has no value", at: v.mark,
                                            hint: "pass --var \(v.name)=VALUE or give it a default"))
                continue
            }
            values[v.name] = value
            if v.secret { secrets[v.name] = value }
        }
        if !errors.isEmpty { throw StrategyErrors(errors) }
        return Resolved(values: values, generated: generated, secrets: secrets)
    }
}
