/// Label key and value syntax, as apimachinery validates them (`IsQualifiedName`,
/// `IsValidLabelValue`). Node affinity needs it: `labels.NewRequirement` checks every key and
/// value it is given, and a requirement that fails makes its whole term match no node. The API
/// server does not reject such values in node affinity (kubernetes/kubernetes#62221), so a pod
/// spec can carry them: a Gt/Lt bound of `-1` parses as an integer but is not a label value.
public enum LabelSyntax {
    /// An optional DNS subdomain prefix and `/`, then a name of at most 63 alphanumerics, `-`,
    /// `_` and `.`, starting and ending with an alphanumeric.
    public static func isQualifiedName(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return isName(parts[0])
        case 2: return isSubdomain(parts[0]) && isName(parts[1])
        default: return false
        }
    }

    /// Empty, or a name as in a qualified name.
    public static func isValue(_ s: String) -> Bool { s.isEmpty || isName(Substring(s)) }

    static func isName(_ s: Substring) -> Bool {
        guard let first = s.first, let last = s.last, s.utf8.count <= 63 else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last) && s.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// RFC 1123 subdomain: at most 253 characters of dot-separated lowercase labels.
    static func isSubdomain(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        let lower = { (c: Character) in c.isASCII && (c.isLowercase || c.isNumber) }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            return lower(first) && lower(last) && label.allSatisfy { lower($0) || $0 == "-" }
        }
    }

    static func isAlphanumeric(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }
}
