import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Masks secret values wherever text leaves the process (plans, logs, reports, errors). Works on
/// the values themselves, not on key names, so a secret is caught wherever it was interpolated.
public struct Redactor: Sendable {
    public var secrets: [String: String]
    public init(secrets: [String: String]) { self.secrets = secrets }

    public func redact(_ text: String) -> String {
        // `logs -f` runs this for every line of hundreds of pods: a byte search decides first,
        // and only a line that holds a secret pays for sorting and Foundation's replacement.
        guard secrets.values.contains(where: { $0.utf8.count >= 4 && Self.contains(text, $0) }) else { return text }
        var out = text
        for (name, value) in secrets.sorted(by: { $0.value.count > $1.value.count }) where value.utf8.count >= 4 && Self.contains(out, value) {
            out = out.replacingOccurrences(of: value, with: "<secret:\(name)>")
        }
        return out
    }

    /// Substring test on UTF-8 bytes: memchr for the first byte, memcmp for the rest (the
    /// standard library's generic search is many times slower on this path).
    public static func contains(_ haystack: String, _ needle: String) -> Bool {
        var h = haystack, n = needle
        return h.withUTF8 { hb in
            n.withUTF8 { nb in
                guard let hp = hb.baseAddress, let np = nb.baseAddress, nb.count > 0 else { return nb.isEmpty }
                guard hb.count >= nb.count else { return false }
                let first = Int32(nb[0])
                var at = 0
                let last = hb.count - nb.count
                while at <= last {
                    guard let hit = memchr(hp + at, first, last - at + 1) else { return false }
                    let i = hp.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(hp + i, np, nb.count) == 0 { return true }
                    at = i + 1
                }
                return false
            }
        }
    }
}
