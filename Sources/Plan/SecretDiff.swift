import OrderedCollections
import YAML

/// Unified diffs of what was deployed against what would be, with every secret masked on both
/// sides before the texts meet: by key (`password`, …, and every entry of a Secret's `data` and
/// `stringData`) and by value (secret variables such as the generated shared secret, the ones
/// in force now and the ones the deployed side held). A masked secret that differs shows as
/// `<secret:NAME (changed)>` on the new side, so a changed secret is a visible line without its
/// value ever being printed.
public enum SecretDiff {
    /// nil when the documents are the same once masked.
    public static func diff(deployed: [Value], wouldDeploy: [Value], deployedSecrets: [String: String], secrets: [String: String]) -> String? {
        let (oldRedactor, newRedactor) = redactors(deployed: deployedSecrets, now: secrets)
        let old = deployed.map { masked($0, other: nil, path: [], secretObject: isSecret($0)) }
        let new = wouldDeploy.enumerated().map { i, d in
            masked(d, other: i < deployed.count ? deployed[i] : nil, path: [], secretObject: isSecret(d))
        }
        return UnifiedDiff.diff(old: oldRedactor.redact(emit(old)), new: newRedactor.redact(emit(new)))
    }

    static func emit(_ docs: [Value]) -> String {
        docs.count == 1 ? YAML.emit(docs[0]) : YAML.emitAll(docs)
    }

    static func isSecret(_ doc: Value) -> Bool { doc["kind"]?.stringValue == "Secret" && doc["apiVersion"]?.stringValue == "v1" }

    /// Secret variables on each side. Names whose value changed are masked `NAME (changed)` on
    /// the new side; each side also masks the other's values, should one occur where it should not.
    static func redactors(deployed: [String: String], now: [String: String]) -> (Redactor, Redactor) {
        var old = deployed, new: [String: String] = [:]
        for (name, value) in now {
            if let before = deployed[name], before != value {
                new["\(name) (changed)"] = value
                old["\(name) (would deploy)"] = value
                new["\(name) (deployed)"] = before
            } else {
                new[name] = value
                if old[name] == nil { old[name] = value }
            }
        }
        for (name, value) in deployed where now[name] == nil { new["\(name) (deployed)"] = value }
        return (Redactor(secrets: old), Redactor(secrets: new))
    }

    /// The tree with secret-named scalars (and, in a Secret object, every `data`/`stringData`
    /// entry) replaced by `<secret:path>`; `(changed)` when `other` (the deployed side) holds a
    /// different value at the same place.
    static func masked(_ v: Value, other: Value?, path: [String], secretObject: Bool) -> Value {
        switch v {
        case .map(let m):
            var out: OrderedDictionary<String, Value> = [:]
            for (k, x) in m {
                let here = path + [k]
                let secretEntry = secretObject && path.count == 1 && ["data", "stringData"].contains(path[0])
                if secretEntry || SecretValues.isSecretKey(k), let s = SecretValues.scalarText(x), !s.isEmpty {
                    let before = other?[k].flatMap(SecretValues.scalarText)
                    out[k] = .string("<secret:\(here.joined(separator: "."))" + (before != nil && before != s ? " (changed)>" : ">"))
                } else {
                    out[k] = masked(x, other: other?[k], path: here, secretObject: secretObject)
                }
            }
            return .map(out)
        case .list(let l):
            let others = other?.listValue ?? []
            return .list(
                l.enumerated().map { i, x in
                    masked(x, other: i < others.count ? others[i] : nil, path: path.dropLast() + ["\(path.last ?? "")[\(i)]"], secretObject: secretObject)
                })
        default:
            return v
        }
    }
}
