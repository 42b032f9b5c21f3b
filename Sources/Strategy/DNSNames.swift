import YAML

/// Names Kubernetes and kind take only as DNS-1123 labels: namespaces, helm release names, kind
/// cluster names. Checked after variables are substituted, because that is where a bad value
/// comes from (`--var namespace='Bad Name!'`) — and the error names that variable, not just the
/// line of the strategy that used it.
enum DNSNames {
    /// Lowercase letters, digits and `-`, starting and ending with a letter or digit, 1–63 characters.
    static func isLabel(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 63 && s.first != "-" && s.last != "-"
            && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    static let rule = "a DNS-1123 label: lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters"

    /// A label close to `s`, to offer as a fix (`Bad Name!` → `bad-name`); nil when nothing is left.
    static func suggestion(_ s: String) -> String? {
        var out = ""
        for c in s.lowercased() {
            if c.isASCII && (c.isLetter || c.isNumber) { out.append(c) } else if !out.hasSuffix("-") { out.append("-") }
        }
        let trimmed = String(out.drop { $0 == "-" }.prefix(63)).reversed().drop { $0 == "-" }
        let label = String(trimmed.reversed())
        return label.isEmpty ? nil : label
    }

    /// Appends an error when `value` (the substituted text of `node`) is not a label: `field` of
    /// `owner` ("namespace" of "helm step `slim`"); `raw` knows which variables the text used.
    static func check(_ value: String, field: String, of owner: String, node: Node?, raw: RawScalars, fallback: Mark, errors: inout [StrategyError]) {
        guard !isLabel(value) else { return }
        let vars = node.flatMap { raw.variables(at: $0.mark) } ?? []
        var message = "\(field) `\(value)` of \(owner) is not \(rule)"
        var hint: String?
        if !vars.isEmpty {
            let list = vars.map { "`\($0)`" }.joined(separator: ", ")
            message += "; the value comes from variable\(vars.count > 1 ? "s" : "") \(list)"
            if vars.count == 1, let fix = suggestion(value) { hint = "pass --var \(vars[0])=\(fix) (or another valid name)" }
        } else if let fix = suggestion(value) {
            hint = "for example `\(fix)`"
        }
        errors.append(StrategyError(message, at: node?.mark ?? fallback, hint: hint))
    }
}

/// The text of every scalar of a strategy before substitution, by position: substitution keeps
/// marks, so a substituted node can be traced back to the `((variables))` it was written with.
struct RawScalars {
    private var texts: [Mark: String] = [:]

    init(_ root: Node) { collect(root) }

    private mutating func collect(_ n: Node) {
        switch n.kind {
        case .scalar(let s, _, _): texts[n.mark] = s
        case .sequence(let items): for i in items { collect(i) }
        case .mapping(let pairs): for p in pairs { collect(p.key); collect(p.value) }
        }
    }

    func variables(at mark: Mark) -> [String]? {
        guard let t = texts[mark] else { return nil }
        var seen: [String] = []
        for n in Placeholders.names(in: t) where !seen.contains(n) { seen.append(n) }
        return seen
    }
}
