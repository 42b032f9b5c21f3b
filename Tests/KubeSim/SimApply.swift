import OrderedCollections
import YAML

/// Server-side apply, kept to the semantics clients observe: the applied configuration is merged
/// into the live object (maps merge; the built-in associative lists merge by their keys, other
/// lists are atomic), each manager owns the fields it applied, a field owned by another manager
/// with a different value is a conflict unless `force`, and fields or list elements a manager
/// stops applying are removed when nobody else owns them. Ownership is reported in
/// `managedFields[].fieldsV1` in the real server's notation (`f:name`, `k:{"name":"main"}`, `.`).
extension SimCluster {
    /// Keys of the associative lists (`x-kubernetes-list-type: map` in kube-apiserver's
    /// OpenAPI schema) that clients apply: containers by name, ports by port and protocol, and
    /// so on. Other lists (args, command, tolerations) are atomic. `sample` tells container
    /// ports (containerPort) from Service ports (port).
    static func listMapKeys(field: String?, sample: Value?) -> [String]? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets": return ["name"]
        case "volumeMounts": return ["mountPath"]
        case "volumeDevices": return ["devicePath"]
        case "ownerReferences": return ["uid"]
        case "ports": return sample?["containerPort"] != nil ? ["containerPort", "protocol"] : ["port", "protocol"]
        default: return nil
        }
    }

    /// The keys of a list of objects at `field`, nil when the list is atomic.
    static func keys(_ field: String?, _ items: [Value]) -> [String]? {
        guard !items.isEmpty, items.allSatisfy({ $0.mapValue != nil }) else { return nil }
        return listMapKeys(field: field, sample: items.first)
    }

    /// `k:{"containerPort":80,"protocol":"TCP"}`: how fieldsV1 names one element. A missing
    /// protocol is its default, TCP, as the server defaults it before comparing.
    static func elementSegment(_ keys: [String], _ element: Value) -> String {
        "k:{"
            + keys.map { k in
                let v = element[k] ?? (k == "protocol" ? .string("TCP") : .null)
                return "\"\(k)\":\(v.jsonString())"
            }.joined(separator: ",") + "}"
    }

    static func isElement(_ segment: String) -> Bool { segment.hasPrefix("k:{") }

    /// Paths of everything `v` sets: leaves, and for associative lists each element itself
    /// (its path ends in the element segment) followed by its fields.
    static func leafPaths(_ v: Value, prefix: [String] = []) -> [[String]] {
        switch v {
        case .map(let m) where !m.isEmpty:
            return m.flatMap { leafPaths($0.value, prefix: prefix + [$0.key]) }
        case .list(let items):
            guard let keys = keys(prefix.last, items) else { return [prefix] }
            return items.flatMap { el -> [[String]] in
                let p = prefix + [elementSegment(keys, el)]
                return [p] + leafPaths(el, prefix: p)
            }
        default:
            return [prefix]
        }
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

    /// Looks a path up, element segments included.
    static func value(_ v: Value, at path: ArraySlice<String>, field: String? = nil) -> Value? {
        guard let first = path.first else { return v }
        if isElement(first) {
            guard case .list(let items) = v, let keys = keys(field, items),
                let el = items.first(where: { elementSegment(keys, $0) == first })
            else { return nil }
            return value(el, at: path.dropFirst())
        }
        guard let child = v[first] else { return nil }
        return value(child, at: path.dropFirst(), field: first)
    }

    /// Removes the field or list element at a path, element segments included.
    static func remove(_ v: inout Value, at path: ArraySlice<String>, field: String? = nil) {
        guard let first = path.first else { return }
        if isElement(first) {
            guard case .list(var items) = v, let keys = keys(field, items),
                let i = items.firstIndex(where: { elementSegment(keys, $0) == first })
            else { return }
            if path.count == 1 { items.remove(at: i) } else { remove(&items[i], at: path.dropFirst()) }
            v = .list(items)
            return
        }
        guard case .map(var m) = v, var child = m[first] else { return }
        if path.count == 1 {
            m.removeValue(forKey: first)
        } else {
            remove(&child, at: path.dropFirst(), field: first)
            m[first] = child
        }
        v = .map(m)
    }

    /// JSON merge patch (RFC 7386): maps merge, `null` removes, lists are replaced.
    static func deepMerge(_ base: Value, _ patch: Value) -> Value {
        guard case .map(var b) = base, case .map(let p) = patch else { return patch }
        for (k, v) in p {
            if case .null = v { b.removeValue(forKey: k); continue }
            b[k] = b[k].map { deepMerge($0, v) } ?? v
        }
        return .map(b)
    }

    /// Apply and strategic merge: as JSON merge patch, except that associative lists merge
    /// element by element on their keys (new elements are appended).
    static func keyedMerge(_ base: Value, _ patch: Value, field: String? = nil) -> Value {
        switch (base, patch) {
        case (.map(var b), .map(let p)):
            for (k, v) in p {
                if case .null = v { b.removeValue(forKey: k); continue }
                b[k] = b[k].map { keyedMerge($0, v, field: k) } ?? v
            }
            return .map(b)
        case (.list(var b), .list(let p)):
            guard let keys = keys(field, p), b.allSatisfy({ $0.mapValue != nil }) else { return patch }
            for el in p {
                let seg = elementSegment(keys, el)
                if let i = b.firstIndex(where: { elementSegment(keys, $0) == seg }) {
                    b[i] = keyedMerge(b[i], el)
                } else {
                    b.append(el)
                }
            }
            return .list(b)
        default:
            return patch
        }
    }

    /// How conflict messages name a field: `.spec.template.spec.containers[name="slim"].image`.
    static func fieldString(_ path: [String]) -> String {
        path.map { seg -> String in
            guard isElement(seg), let keys = try? Value(json: String(seg.dropFirst(2))), let m = keys.mapValue else { return "." + seg }
            return "[" + m.map { "\($0.key)=\($0.value.jsonString())" }.joined(separator: ",") + "]"
        }.joined()
    }

    /// `fieldsV1` of a set of owned paths, as kube-apiserver writes it.
    static func fieldsV1(_ paths: Set<[String]>) -> Value {
        var root = Value.map([:])
        for p in paths {
            let segments = p.map { isElement($0) ? $0 : "f:" + $0 }
            var cur = root
            insert(&cur, segments[...], element: isElement(p.last ?? ""))
            root = cur
        }
        return root
    }

    private static func insert(_ node: inout Value, _ segments: ArraySlice<String>, element: Bool) {
        guard let first = segments.first else { return }
        var m = node.mapValue ?? [:]
        var child = m[first] ?? .map([:])
        if segments.count == 1 {
            if element {
                var cm = child.mapValue ?? [:]
                cm["."] = .map([:])
                child = .map(cm)
            }
        } else {
            insert(&child, segments.dropFirst(), element: element)
        }
        m[first] = child
        node = .map(m)
    }

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
            let created = try createLocked(r, namespace: ns, object: obj, manager: manager, operation: "Apply", fields: Self.fieldsV1(owned))
            if let uid = created[path: ["metadata", "uid"]]?.str { managedPaths[uid] = [manager: owned] }
            return (created, true)
        }
        let uid = live[path: ["metadata", "uid"]]?.str ?? ""
        var managers = managedPaths[uid] ?? [:]
        // Conflicts: another manager owns a field we set to a different value.
        var conflicts: [(manager: String, apiVersion: String, field: String)] = []
        for (other, paths) in managers where other != manager {
            for p in paths.intersection(owned).sorted(by: { $0.joined(separator: ".") < $1.joined(separator: ".") })
            where !Self.isElement(p.last ?? "") && Self.value(live, at: p[...]) != Self.value(patch, at: p[...]) {
                conflicts.append((other, r.groupVersion, Self.fieldString(p)))
            }
        }
        if !conflicts.isEmpty && !force { throw SimError.applyConflict(conflicts) }
        if force {
            for (other, _) in managers where other != manager { managers[other]?.subtract(owned) }
        }
        var obj = Self.keyedMerge(live, patch)
        // Fields and elements this manager applied before and no longer does go away unless
        // another manager owns them (or, for an element, anything in it). Deepest first.
        let dropped = (managers[manager] ?? []).subtracting(owned)
        for p in dropped.sorted(by: { $0.count > $1.count })
        where !managers.contains(where: { $0.key != manager && $0.value.contains { $0.starts(with: p) } }) {
            Self.remove(&obj, at: p[...])
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
        entries.append(Self.managedEntry(manager: manager, operation: "Apply", apiVersion: r.groupVersion, fields: Self.fieldsV1(owned)))
        obj[path: ["metadata", "managedFields"]] = .list(entries)
        return (putLocked(r, obj, type: "MODIFIED"), false)
    }

    /// JSON merge patch (RFC 7386), or strategic merge patch, which merges the associative
    /// lists by the same keys (their patchMergeKey); `$patch` directives are not supported.
    func mergePatchLocked(_ r: SimResource, namespace: String?, name: String, patch: Value, manager: String, strategic: Bool = false) throws -> Value {
        let live = try getLocked(r, namespace: r.namespaced ? namespace : nil, name: name)
        var obj = strategic ? Self.keyedMerge(live, patch) : Self.deepMerge(live, patch)
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
