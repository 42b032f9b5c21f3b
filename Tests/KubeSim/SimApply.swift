import OrderedCollections
import YAML

/// Server-side apply, kept to the semantics clients observe: the applied configuration is merged
/// into the live object (maps merge, lists are atomic), each manager owns the leaf fields it
/// applied, a field owned by another manager with a different value is a conflict unless
/// `force`, and fields a manager stops applying are removed when nobody else owns them.
extension SimCluster {
    static func leafPaths(_ v: Value, prefix: [String] = []) -> [[String]] {
        guard case .map(let m) = v, !m.isEmpty else { return [prefix] }
        return m.flatMap { leafPaths($0.value, prefix: prefix + [$0.key]) }
    }

    static let unmanaged: Set<String> = ["apiVersion", "kind"]

    static func ownedPaths(_ patch: Value) -> Set<[String]> {
        var out = Set<[String]>()
        for p in leafPaths(patch) where !p.isEmpty && !unmanaged.contains(p[0]) {
            if p == ["metadata", "name"] || p == ["metadata", "namespace"] { continue }
            out.insert(p)
        }
        return out
    }

    static func deepMerge(_ base: Value, _ patch: Value) -> Value {
        guard case .map(var b) = base, case .map(let p) = patch else { return patch }
        for (k, v) in p {
            if case .null = v { b.removeValue(forKey: k); continue }
            b[k] = b[k].map { deepMerge($0, v) } ?? v
        }
        return .map(b)
    }

    static func fieldString(_ path: [String]) -> String { "." + path.joined(separator: ".") }

    func applyLocked(_ r: SimResource, namespace: String?, name: String, patch: Value, manager: String, force: Bool) throws -> (Value, Bool) {
        guard patch.mapValue != nil else { throw SimError.badRequest("error decoding patch: expected an object") }
        if let pn = patch[path: ["metadata", "name"]]?.str, pn != name {
            throw SimError.badRequest("the name of the object (\(pn)) does not match the name on the URL (\(name))")
        }
        guard patch["apiVersion"]?.str == r.groupVersion, patch["kind"]?.str == r.kind else {
            throw SimError.badRequest("error decoding YAML: apiVersion and kind must be set to \(r.groupVersion) \(r.kind) for apply")
        }
        let owned = Self.ownedPaths(patch)
        let ns = r.namespaced ? namespace : nil
        guard let live = objects[r]?[ns ?? ""]?[name] else {
            var obj = patch
            obj[path: ["metadata", "name"]] = .string(name)
            let created = try createLocked(r, namespace: ns, object: obj, manager: manager, operation: "Apply")
            if let uid = created[path: ["metadata", "uid"]]?.str { managedPaths[uid] = [manager: owned] }
            return (created, true)
        }
        let uid = live[path: ["metadata", "uid"]]?.str ?? ""
        var managers = managedPaths[uid] ?? [:]
        // Conflicts: another manager owns a field we set to a different value.
        var conflicts: [(manager: String, apiVersion: String, field: String)] = []
        for (other, paths) in managers where other != manager {
            for p in paths.intersection(owned).sorted(by: { $0.joined(separator: ".") < $1.joined(separator: ".") })
            where live.lookup(p) != patch.lookup(p) {
                conflicts.append((other, r.groupVersion, Self.fieldString(p)))
            }
        }
        if !conflicts.isEmpty && !force { throw SimError.applyConflict(conflicts) }
        if force {
            for (other, _) in managers where other != manager { managers[other]?.subtract(owned) }
        }
        var obj = Self.deepMerge(live, patch)
        // Fields this manager applied before and no longer does, unowned by others, go away.
        let dropped = (managers[manager] ?? []).subtracting(owned)
        for p in dropped where !managers.contains(where: { $0.key != manager && $0.value.contains(p) }) {
            obj.setPath(p[...], nil)
        }
        managers[manager] = owned
        managedPaths[uid] = managers
        obj[path: ["metadata", "resourceVersion"]] = live[path: ["metadata", "resourceVersion"]]
        try validate(r, obj)
        if obj == live { return (live, false) }
        if obj["spec"] != live["spec"], let g = live[path: ["metadata", "generation"]]?.intValue {
            obj[path: ["metadata", "generation"]] = .int(g + 1)
        }
        var entries = (obj[path: ["metadata", "managedFields"]]?.list ?? []).filter {
            !($0["manager"]?.str == manager && $0["operation"]?.str == "Apply")
        }
        entries.append(Self.managedEntry(manager: manager, operation: "Apply", apiVersion: r.groupVersion))
        obj[path: ["metadata", "managedFields"]] = .list(entries)
        return (putLocked(r, obj, type: "MODIFIED"), false)
    }

    /// JSON merge patch (RFC 7386); strategic merge patch is served the same way, which is
    /// exact for the maps and whole-list replacements clients send in practice.
    func mergePatchLocked(_ r: SimResource, namespace: String?, name: String, patch: Value, manager: String) throws -> Value {
        let live = try getLocked(r, namespace: r.namespaced ? namespace : nil, name: name)
        var obj = Self.deepMerge(live, patch)
        obj[path: ["metadata", "name"]] = live[path: ["metadata", "name"]]
        obj[path: ["metadata", "uid"]] = live[path: ["metadata", "uid"]]
        try validate(r, obj)
        if obj == live { return live }
        if obj["spec"] != live["spec"], let g = live[path: ["metadata", "generation"]]?.intValue {
            obj[path: ["metadata", "generation"]] = .int(g + 1)
        }
        return putLocked(r, obj, type: "MODIFIED")
    }

    /// PUT: optimistic concurrency on resourceVersion, like the real registry.
    func replaceLocked(_ r: SimResource, namespace: String?, name: String, object: Value) throws -> Value {
        let live = try getLocked(r, namespace: r.namespaced ? namespace : nil, name: name)
        if let rv = object[path: ["metadata", "resourceVersion"]]?.str, rv != live[path: ["metadata", "resourceVersion"]]?.str {
            throw SimError.conflict(r, name)
        }
        var obj = object
        for k in ["uid", "creationTimestamp", "namespace", "generation", "managedFields"] {
            obj[path: ["metadata", k]] = live[path: ["metadata", k]]
        }
        try validate(r, obj)
        if obj["spec"] != live["spec"], let g = live[path: ["metadata", "generation"]]?.intValue {
            obj[path: ["metadata", "generation"]] = .int(g + 1)
        }
        return putLocked(r, obj, type: "MODIFIED")
    }
}
