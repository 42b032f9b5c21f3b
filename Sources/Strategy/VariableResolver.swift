import YAML

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
    /// A default or preset may use other variables (`default: "((clusterName))-apps"`); they are
    /// resolved here, so no `((…))` reaches a command. Values given with `--var`, remembered or
    /// generated are taken as they are: a secret may well contain `((`.
    public static func resolve(
        _ declared: [Variable], overrides: [String: String], remembered: [String: String],
        presets: [String: String] = [:], generate: (Int) -> String
    ) throws -> Resolved {
        var errors: [StrategyError] = []
        let names = declared.map(\.name)
        for k in overrides.keys.sorted() where !names.contains(k) {
            errors.append(
                StrategyError(
                    "--var \(k)=…: the strategy has no variable `\(k)`", at: nil,
                    hint: Suggest.didYouMean(k, in: names)))
        }
        var values: [String: String] = [:]
        var templated: Set<String> = []
        var generated: [String: String] = [:]
        for v in declared {
            let value: String
            if let o = overrides[v.name] {
                value = o
            } else if let r = remembered[v.name], v.generateLength != nil {
                value = r
            } else if let p = presets[v.name] {
                value = p
                templated.insert(v.name)
            } else if let d = v.defaultValue {
                value = d
                templated.insert(v.name)
            } else if let n = v.generateLength {
                value = generate(n)
                generated[v.name] = value
            } else {
                errors.append(
                    StrategyError(
                        "variable `\(v.name)` has no value", at: v.mark,
                        hint: "pass --var \(v.name)=VALUE or give it a default"))
                continue
            }
            values[v.name] = value
        }
        var references = References(declared: declared, values: values, templated: templated)
        for v in declared { _ = references.expand(v.name, stack: []) }
        errors += references.errors
        if !errors.isEmpty { throw StrategyErrors(errors) }
        values = references.values
        var secrets: [String: String] = [:]
        for v in declared where v.secret { secrets[v.name] = values[v.name] }
        // Only values given by hand are judged: generated ones come from the system's random source.
        let weak = declared.compactMap { v in v.secret ? overrides[v.name].flatMap { SecretStrength.problem(v, value: $0) } : nil }
        if !weak.isEmpty { throw StrategyErrors(weak) }
        return Resolved(values: values, generated: generated, secrets: secrets)
    }
}

/// Expands `((name))` inside defaults and presets, depth first, each variable once; a cycle
/// (`a` uses `b`, `b` uses `a`) is an error naming the whole loop.
struct References {
    let declared: [Variable]
    var values: [String: String]
    let templated: Set<String>
    var errors: [StrategyError] = []
    private var finished: Set<String> = []
    private var failed: Set<String> = []

    init(declared: [Variable], values: [String: String], templated: Set<String>) {
        self.declared = declared
        self.values = values
        self.templated = templated
    }

    /// The final value of `name`, or nil when it (or a variable it uses) has none.
    mutating func expand(_ name: String, stack: [String]) -> String? {
        guard let raw = values[name], !failed.contains(name) else { return nil }
        guard templated.contains(name), !finished.contains(name) else { return raw }
        let mark = declared.first { $0.name == name }?.mark
        if let start = stack.firstIndex(of: name) {
            let loop = stack[start...] + [name]
            errors.append(
                StrategyError(
                    "variables use each other in a cycle: \(loop.map { "`\($0)`" }.joined(separator: " → "))",
                    at: declared.first { $0.name == loop.first }?.mark,
                    hint: "give one of them a value that does not use the others"))
            failed.formUnion(loop)
            return nil
        }
        if let bad = Placeholders.firstUnterminated(in: raw) {
            errors.append(StrategyError("the value of variable `\(name)` has an unterminated placeholder `\(bad.fragment)`: close it with `))`", at: mark))
            failed.insert(name)
            return nil
        }
        var known: [String: String] = [:]
        var ok = true
        for ref in Placeholders.names(in: raw) where known[ref] == nil {
            guard declared.contains(where: { $0.name == ref }) else {
                errors.append(
                    StrategyError(
                        "the value of variable `\(name)` uses `((\(ref)))`, which is not a variable", at: mark,
                        hint: Suggest.didYouMean(ref, in: declared.map(\.name))))
                ok = false
                continue
            }
            if let v = expand(ref, stack: stack + [name]) { known[ref] = v } else { ok = false }
        }
        guard !failed.contains(name) else { return nil }
        guard ok, let text = try? Placeholders.substitute(raw, known, mark: mark ?? .synthetic(name)) else {
            failed.insert(name)
            return nil
        }
        values[name] = text
        finished.insert(name)
        return text
    }
}

/// A secret given by hand must be fit for its use before anything runs. A generated secret
/// (`generate: N`) is a key: SLIM's HMAC needs at least 32 bytes, and a guessable value (few
/// distinct characters) defeats it; any secret must be long enough that masking it in output
/// never masks a common word (which would give it away). The value itself is never printed.
public enum SecretStrength {
    public static let keyLength = 32
    public static let keyDistinct = 10
    public static let minimumLength = 8

    static func problem(_ v: Variable, value: String) -> StrategyError? {
        if v.generateLength != nil {
            if value.count < keyLength {
                return StrategyError(
                    "secret `\(v.name)` is \(value.count) characters; it is a key and needs at least \(keyLength) (SLIM's HMAC minimum)",
                    at: v.mark, hint: "drop --var \(v.name)=… to have one generated, or pass \(keyLength)+ random characters")
            }
            if Set(value).count < keyDistinct {
                return StrategyError(
                    "secret `\(v.name)` has only \(Set(value).count) distinct characters: too guessable for a key",
                    at: v.mark, hint: "drop --var \(v.name)=… to have one generated, or pass a random value")
            }
        } else if value.count < minimumLength {
            return StrategyError(
                "secret `\(v.name)` is shorter than \(minimumLength) characters", at: v.mark,
                hint: "a short secret is guessable, and masking it in output would mask ordinary words")
        }
        return nil
    }
}
