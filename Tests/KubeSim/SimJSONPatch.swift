import OrderedCollections
import YAML

/// JSON Patch (RFC 6902, `application/json-patch+json`): what `kubectl rollout undo` sends to
/// put an old ReplicaSet's template back into a Deployment (`replace /spec/template`, `replace
/// /metadata/annotations`), and what `kubectl patch --type json` sends. All six operations,
/// JSON Pointer paths (RFC 6901, `~0` and `~1` escapes, `-` for the end of a list); a failed
/// `test` or a missing path rejects the whole patch, as the API server does.
enum SimJSONPatch {
    static func apply(_ ops: Value, to document: Value) throws -> Value {
        guard let list = ops.listValue else { throw SimError.badRequest("json patch must be a list of operations") }
        var doc = document
        for op in list {
            let name = op["op"]?.str ?? ""
            guard let path = op["path"]?.str else { throw SimError.badRequest("json patch: operation \(name) needs a path") }
            let tokens = try pointer(path)
            switch name {
            case "add": doc = try set(doc, tokens[...], try value(op), insert: true)
            case "replace":
                _ = try get(doc, tokens[...])
                doc = try set(doc, tokens[...], try value(op), insert: false)
            case "remove": doc = try remove(doc, tokens[...])
            case "move", "copy":
                guard let from = op["from"]?.str else { throw SimError.badRequest("json patch: \(name) needs from") }
                let source = try pointer(from)
                let v = try get(doc, source[...])
                if name == "move" { doc = try remove(doc, source[...]) }
                doc = try set(doc, tokens[...], v, insert: true)
            case "test":
                guard try get(doc, tokens[...]).semanticallyEquals(try value(op)) else {
                    throw SimError.make(
                        422, reason: "Invalid", message: "the server rejected our request due to an error in our request: testing value \(path) failed")
                }
            default:
                throw SimError.badRequest("json patch: unsupported operation \"\(name)\"")
            }
        }
        return doc
    }

    static func value(_ op: Value) throws -> Value {
        guard let v = op["value"] else { throw SimError.badRequest("json patch: operation \(op["op"]?.str ?? "") needs a value") }
        return v
    }

    static func pointer(_ path: String) throws -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw SimError.badRequest("json patch: path \(path) must start with /") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func missing(_ token: String) -> SimError {
        SimError.make(422, reason: "Invalid", message: "the server rejected our request due to an error in our request: doc is missing path: \(token)")
    }

    static func get(_ doc: Value, _ path: ArraySlice<String>) throws -> Value {
        guard let first = path.first else { return doc }
        switch doc {
        case .map(let m):
            guard let child = m[first] else { throw missing(first) }
            return try get(child, path.dropFirst())
        case .list(let items):
            guard let i = Int(first), items.indices.contains(i) else { throw missing(first) }
            return try get(items[i], path.dropFirst())
        default:
            throw missing(first)
        }
    }

    static func set(_ doc: Value, _ path: ArraySlice<String>, _ v: Value, insert: Bool) throws -> Value {
        guard let first = path.first else { return v }
        switch doc {
        case .map(var m):
            if path.count == 1 {
                m[first] = v
            } else {
                guard let child = m[first] else { throw missing(first) }
                m[first] = try set(child, path.dropFirst(), v, insert: insert)
            }
            return .map(m)
        case .list(var items):
            if path.count == 1 {
                if first == "-" && insert { items.append(v); return .list(items) }
                guard let i = Int(first), i >= 0, i <= items.count, insert || i < items.count else { throw missing(first) }
                if insert { items.insert(v, at: i) } else { items[i] = v }
                return .list(items)
            }
            guard let i = Int(first), items.indices.contains(i) else { throw missing(first) }
            items[i] = try set(items[i], path.dropFirst(), v, insert: insert)
            return .list(items)
        default:
            throw missing(first)
        }
    }

    static func remove(_ doc: Value, _ path: ArraySlice<String>) throws -> Value {
        guard let first = path.first else { throw SimError.badRequest("json patch: cannot remove the whole document") }
        switch doc {
        case .map(var m):
            guard let child = m[first] else { throw missing(first) }
            if path.count == 1 { m.removeValue(forKey: first) } else { m[first] = try remove(child, path.dropFirst()) }
            return .map(m)
        case .list(var items):
            guard let i = Int(first), items.indices.contains(i) else { throw missing(first) }
            if path.count == 1 { items.remove(at: i) } else { items[i] = try remove(items[i], path.dropFirst()) }
            return .list(items)
        default:
            throw missing(first)
        }
    }
}

extension SimCluster {
    /// PATCH with a JSON Patch body: applied to the stored object, then validated and stored like
    /// any update (the generation moves when the spec changed).
    func jsonPatchLocked(_ r: SimResource, namespace: String?, name: String, patch: Value) throws -> Value {
        let live = try getLocked(r, namespace: r.namespaced ? namespace : nil, name: name)
        var obj = try SimJSONPatch.apply(patch, to: live)
        for k in ["name", "uid", "namespace", "creationTimestamp", "resourceVersion"] {
            obj[path: ["metadata", k]] = live[path: ["metadata", k]]
        }
        try validate(r, obj)
        if obj == live { return live }
        if obj["spec"] != live["spec"], let g = live[path: ["metadata", "generation"]]?.intValue {
            obj[path: ["metadata", "generation"]] = .int(g + 1)
        }
        return putLocked(r, obj, type: "MODIFIED")
    }
}
