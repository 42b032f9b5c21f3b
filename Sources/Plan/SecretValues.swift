import OrderedCollections
import YAML

/// Values whose key says they are secret (`password`, `apiToken`, `client_secret`, …). A user's
/// `--set db.password=…` must be as secret as the strategy's own secret variables: masked in every
/// output and in `plan`, and written only to 0600 files. Keys that name where a secret lives
/// (`passwordFile`, `tokenPath`, `existingSecret`, `secretName`) are not secrets themselves.
public enum SecretValues {
    static let words = ["password", "passwd", "secret", "token", "apikey", "privatekey", "credential", "passphrase", "accesskey"]
    static let references = ["file", "path", "name", "ref", "existing", "dir", "mount", "enabled", "type", "key", "source"]

    public static func isSecretKey(_ key: String) -> Bool {
        let k = key.lowercased().filter { $0.isLetter || $0.isNumber }
        guard words.contains(where: { k.contains($0) }) else { return false }
        if k.hasPrefix("existing") { return false }
        // `tokenFile`, `secretName`, `passwordRef`: a reference, unless the word ends the key.
        return !references.contains { k.hasSuffix($0) && !words.contains(where: { w in k.hasSuffix(w) }) }
    }

    /// Every string (or number) under a secret-named key, with its dotted path.
    public static func find(in value: Value, path: [String] = []) -> [(path: String, value: String)] {
        switch value {
        case .map(let m):
            return m.flatMap { (k, v) -> [(path: String, value: String)] in
                if isSecretKey(k), let s = scalarText(v), !s.isEmpty { return [((path + [k]).joined(separator: "."), s)] }
                return find(in: v, path: path + [k])
            }
        case .list(let l):
            return l.enumerated().flatMap {
                find(in: $0.element, path: path.isEmpty ? ["[\($0.offset)]"] : path.dropLast() + ["\(path.last ?? "")[\($0.offset)]"])
            }
        default:
            return []
        }
    }

    /// The same tree with every secret-named scalar replaced by `<secret:path>`.
    public static func masked(_ value: Value, path: [String] = []) -> Value {
        switch value {
        case .map(let m):
            var out: OrderedDictionary<String, Value> = [:]
            for (k, v) in m {
                out[k] =
                    isSecretKey(k) && scalarText(v).map { !$0.isEmpty } == true
                    ? .string("<secret:\((path + [k]).joined(separator: "."))>") : masked(v, path: path + [k])
            }
            return .map(out)
        case .list(let l):
            return .list(l.map { masked($0, path: path) })
        default:
            return value
        }
    }

    static func scalarText(_ v: Value) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        default: return nil
        }
    }

    /// Shorter values are not masked by search-and-replace in free text (a password `slim`
    /// would mask every "slim" and so give itself away); they are masked by key where values
    /// are printed, and their files are 0600 all the same.
    public static let minimumMaskedLength = 8
}
