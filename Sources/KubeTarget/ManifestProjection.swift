import Foundation
import OrderedCollections
import YAML

/// A live object seen only through the fields its manifest sets, so that `slimctl diff` shows
/// what a deploy would change and not what the API server filled in (defaults, status, uid,
/// managedFields, helm's own annotations). Pure: the objects come in as values.
public enum ManifestProjection {
    /// Fields the server fills or rewrites, left out on both sides.
    static let serverFilled: [[String]] = [
        ["metadata", "uid"], ["metadata", "resourceVersion"], ["metadata", "creationTimestamp"], ["metadata", "managedFields"],
        ["metadata", "generation"], ["metadata", "selfLink"], ["metadata", "deletionTimestamp"], ["status"]
    ]

    /// The rendered manifest and the live object, each reduced to what is compared. A Secret's
    /// `stringData` (write-only) is compared with the live `data`, decoded.
    public static func compared(rendered: Value, live: Value?) -> (rendered: Value, live: Value?) {
        let manifest = normalized(dropServerFilled(rendered)) ?? .map([:])
        guard var live else { return (manifest, nil) }
        live = secretStringData(live, manifest: manifest)
        return (manifest, normalized(project(dropServerFilled(live), onto: manifest)) ?? .map([:]))
    }

    /// `live` with only the map keys `manifest` has, at every depth. Lists of maps that all
    /// carry a `name` (containers, env, ports, volumes) are merged by name on the server, so
    /// only the elements the manifest names are compared (an injected sidecar is someone
    /// else's); other lists are replaced whole by an apply, so they are compared by place,
    /// elements the manifest does not have included.
    public static func project(_ live: Value, onto manifest: Value) -> Value {
        switch (live, manifest) {
        case (.map(let l), .map(let m)):
            var out: OrderedDictionary<String, Value> = [:]
            for (k, mv) in m { if let lv = l[k] { out[k] = project(lv, onto: mv) } }
            return .map(out)
        case (.list(let l), .list(let m)):
            if let byName = matchByName(l, m) { return .list(byName) }
            return .list(l.enumerated().map { i, x in i < m.count ? project(x, onto: m[i]) : x })
        default:
            return live
        }
    }

    /// The live elements the manifest names, in its order.
    static func matchByName(_ live: [Value], _ manifest: [Value]) -> [Value]? {
        let names = manifest.map { $0["name"]?.stringValue }
        let liveNames = live.map { $0["name"]?.stringValue }
        guard !manifest.isEmpty, !names.contains(nil), !liveNames.contains(nil) else { return nil }
        var out: [Value] = []
        for (i, n) in names.enumerated() {
            if let j = liveNames.firstIndex(of: n) { out.append(project(live[j], onto: manifest[i])) }
        }
        return out
    }

    static func dropServerFilled(_ v: Value) -> Value {
        var out = v
        for path in serverFilled { out = removing(path, from: out) }
        return out
    }

    static func removing(_ path: [String], from v: Value) -> Value {
        guard case .map(var m) = v, let first = path.first else { return v }
        if path.count == 1 { m[first] = nil } else if let inner = m[first] { m[first] = removing(Array(path.dropFirst()), from: inner) }
        return .map(m)
    }

    /// Nulls, empty maps and empty lists dropped: the API server does not keep them, so
    /// `resources: {}` in a chart is not a difference from a live object without it.
    static func normalized(_ v: Value) -> Value? {
        switch v {
        case .null: return nil
        case .map(let m):
            var out: OrderedDictionary<String, Value> = [:]
            for (k, x) in m { if let n = normalized(x) { out[k] = n } }
            return out.isEmpty ? nil : .map(out)
        case .list(let l):
            let out = l.map { normalized($0) ?? .map([:]) }
            return out.isEmpty ? nil : .list(out)
        default:
            return v
        }
    }

    /// A live Secret whose manifest uses `stringData`: those keys are read back from `data`.
    static func secretStringData(_ live: Value, manifest: Value) -> Value {
        guard live["kind"]?.stringValue == "Secret", case .map(let wanted)? = manifest["stringData"],
            case .map(var l) = live
        else { return live }
        var decoded: OrderedDictionary<String, Value> = [:]
        let data = live["data"]?.mapValue ?? [:]
        for k in wanted.keys {
            if let b64 = data[k]?.stringValue, let d = Data(base64Encoded: b64) { decoded[k] = .string(String(decoding: d, as: UTF8.self)) }
        }
        l["stringData"] = .map(decoded)
        return .map(l)
    }
}
