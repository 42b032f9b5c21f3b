import Strategy

/// `-f`/`--set*` arguments may start with `RELEASE:` to address a release other than the
/// primary one. A typo in that prefix (`--set slim-contrl:a=1`) must not quietly become a
/// top-level key `slim-contrl:a` of the primary release, so a prefix that looks like a release
/// name but is not one of the strategy's releases is an error.
public enum ReleasePrefix {
    public struct Unknown: Error, Sendable, CustomStringConvertible {
        /// The argument as typed, with its flag: `--set nope:a=1`.
        public var argument: String
        public var prefix: String
        public var releases: [String]
        public var strategy: String

        public var description: String {
            var s = "\(argument): strategy `\(strategy)` has no release `\(prefix)` (its releases: \(releases.joined(separator: ", ")))"
            if let c = Suggest.closest(prefix, in: releases) { s += "; did you mean `\(c):`?" }
            return s
        }
    }

    /// Splits `release:body`. `nil` release: the argument has no release prefix and belongs to
    /// the primary release. A prefix is a DNS label before the first `:` with no `=` or `.`
    /// before that colon, so `a.b=http://x` and `./dir:x.yaml` are never read as one.
    public static func split(_ raw: String, flag: String, releases: [String], strategy: String) throws -> (release: String?, body: String) {
        guard let colon = raw.firstIndex(of: ":") else { return (nil, raw) }
        let head = String(raw[..<colon])
        guard looksLikeRelease(head) else { return (nil, raw) }
        guard releases.contains(head) else {
            throw Unknown(argument: "\(flag) \(raw)", prefix: head, releases: releases, strategy: strategy)
        }
        return (head, String(raw[raw.index(after: colon)...]))
    }

    /// A DNS-1123 label, as release names are: lowercase letters, digits and `-`, at most 63.
    static func looksLikeRelease(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 63 && s.first != "-" && s.last != "-"
            && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }
}
