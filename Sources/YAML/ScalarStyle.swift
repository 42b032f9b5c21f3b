/// How a string is written so it reads back as the same string, for Helm and for us: anything the
/// go-yaml v2 resolver would turn into another type, or that YAML syntax would misread, is quoted.
enum StringStyle: Equatable {
    case plain
    case singleQuoted
    case doubleQuoted
    /// A `|` block; `indicator` is set when the first line starts with a space.
    case literal(chomp: String, indicator: Bool)

    static func choose(_ s: String, isKey: Bool, topLevel: Bool) -> StringStyle {
        if s.unicodeScalars.contains("\n") {
            if !isKey, let lit = literal(s, topLevel: topLevel) { return lit }
            return .doubleQuoted
        }
        if s.unicodeScalars.contains(where: { !isPrintable($0) || $0 == "\t" }) { return .doubleQuoted }
        return isPlainSafe(s) ? .plain : .singleQuoted
    }

    /// YAML's printable set minus the characters libyaml treats as line breaks (NEL, LS, PS) and
    /// the BOM, all of which only survive inside double quotes as escapes.
    static func isPrintable(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x20...0x7E: return true
        case 0x85, 0x2028, 0x2029, 0xFEFF: return false
        case 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    private static func literal(_ s: String, topLevel: Bool) -> StringStyle? {
        let u = Array(s.unicodeScalars)
        guard !u.contains(where: { !isPrintable($0) && $0 != "\n" && $0 != "\t" }) else { return nil }
        let trailing = u.reversed().prefix { $0 == "\n" }.count
        let body = u.dropLast(trailing)
        guard !body.isEmpty else { return nil }
        let chomp = trailing == 0 ? "-" : trailing == 1 ? "" : "+"
        // The first line that is not empty sets the indentation libyaml detects; a leading space
        // or tab there would be taken as indentation, so say the indentation explicitly.
        let firstContent = body.split(separator: "\n", omittingEmptySubsequences: true).first
        let needsIndicator = firstContent?.first == " " || firstContent?.first == "\t"
        if needsIndicator && topLevel { return nil }
        return .literal(chomp: chomp, indicator: needsIndicator)
    }

    private static let indicators: Set<Unicode.Scalar> = ["-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`"]

    /// Works on Unicode scalars, as libyaml does: a combining mark after a space must not hide it.
    static func isPlainSafe(_ s: String) -> Bool {
        let u = Array(s.unicodeScalars)
        guard let first = u.first, let last = u.last else { return false }
        if first == " " || last == " " || last == ":" { return false }
        if indicators.contains(first) {
            // `-foo`, `--flag` stay readable; a lone indicator or one before a space does not.
            guard first == "-", u.count > 1, u[1] != " ", !u.starts(with: ["-", "-", "-"]) else { return false }
        }
        if u.starts(with: [".", ".", "."]) || s == "<<" { return false }
        for i in 0..<(u.count - 1) {
            if u[i] == ":" && u[i + 1] == " " { return false }
            if u[i] == " " && u[i + 1] == "#" { return false }
        }
        // Anything go-yaml v2 would resolve to non-string (bool, null, number, merge, timestamp).
        if ScalarResolver.implicit(s, tag: "").tag != ScalarResolver.strTag { return false }
        if looksSexagesimal(s) { return false }
        return true
    }

    /// `1:20` is a string for go-yaml v2 but a number for YAML 1.1 readers; quote it for them.
    private static func looksSexagesimal(_ s: String) -> Bool {
        var body = Substring(s)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        guard let f = body.first, f.isASCII, f.isNumber, body.contains(":") else { return false }
        return body.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == ":" || $0 == "_" || $0 == "." }
    }
}
