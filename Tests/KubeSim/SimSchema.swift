import OrderedCollections
import YAML

/// The structural schema checks apiextensions-apiserver runs on custom resources: types,
/// required fields and enums are validated (422 Invalid, with one cause per error), and
/// fields the schema does not declare are pruned unless `x-kubernetes-preserve-unknown-fields`
/// keeps them. Formats, patterns, bounds and CEL rules are not checked.
enum SimSchema {
    struct Failure {
        var field: String
        var reason: String
        var detail: String
    }

    static func typeName(_ v: Value) -> String {
        switch v {
        case .map: return "object"
        case .list: return "array"
        case .string: return "string"
        case .int: return "integer"
        case .float(let d): return d == d.rounded() ? "integer" : "number"
        case .bool: return "boolean"
        default: return "null"
        }
    }

    static func typeMatches(_ v: Value, _ type: String, _ schema: Value) -> Bool {
        if schema["x-kubernetes-int-or-string"]?.boolValue == true { return typeName(v) == "integer" || typeName(v) == "string" }
        if v.isNull { return schema["nullable"]?.boolValue == true }
        let actual = typeName(v)
        return actual == type || (type == "number" && actual == "integer")
    }

    /// Every failure of `v` against `schema`, in document order; `path` is the field path.
    static func validate(_ v: Value, _ schema: Value, path: String) -> [Failure] {
        if schema["x-kubernetes-int-or-string"]?.boolValue != true, let type = schema["type"]?.str, !typeMatches(v, type, schema) {
            return [
                Failure(
                    field: path, reason: "FieldValueTypeInvalid",
                    detail: "Invalid value: \"\(typeName(v))\": \(path) in body must be of type \(type): \"\(typeName(v))\"")
            ]
        }
        var out: [Failure] = []
        if let allowed = schema["enum"]?.list, !allowed.isEmpty, !allowed.contains(v) {
            let list = allowed.map { $0.str.map { "\"\($0)\"" } ?? $0.jsonString() }.joined(separator: ", ")
            out.append(Failure(field: path, reason: "FieldValueNotSupported", detail: "Unsupported value: \(v.jsonString()): supported values: \(list)"))
        }
        switch v {
        case .map(let m):
            for req in (schema["required"]?.list ?? []).compactMap(\.str) where m[req] == nil {
                out.append(Failure(field: join(path, req), reason: "FieldValueRequired", detail: "Required value"))
            }
            let props = schema["properties"]?.mapValue ?? [:]
            for (k, child) in m {
                if let s = props[k] {
                    out += validate(child, s, path: join(path, k))
                } else if let extra = schema["additionalProperties"], extra.mapValue != nil {
                    out += validate(child, extra, path: join(path, k))
                }
            }
        case .list(let items):
            if let s = schema["items"] {
                for (i, el) in items.enumerated() { out += validate(el, s, path: "\(path)[\(i)]") }
            }
        default: break
        }
        return out
    }

    /// Fields of `v` the schema does not declare, as strict field validation names them.
    static func unknownFields(_ v: Value, _ schema: Value, path: String = "", root: Bool = true) -> [String] {
        switch v {
        case .map(let m):
            if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true { return [] }
            let props = schema["properties"]?.mapValue ?? [:]
            let extra = schema["additionalProperties"]
            return m.flatMap { k, child -> [String] in
                if root && ["apiVersion", "kind", "metadata"].contains(k) { return [] }
                if let s = props[k] { return unknownFields(child, s, path: join(path, k), root: false) }
                if let extra, extra.mapValue != nil { return unknownFields(child, extra, path: join(path, k), root: false) }
                return extra?.boolValue == true ? [] : [join(path, k)]
            }
        case .list(let items):
            guard let s = schema["items"] else { return [] }
            return items.enumerated().flatMap { unknownFields($1, s, path: "\(path)[\($0)]", root: false) }
        default:
            return []
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Drops what the schema does not declare; the type meta and metadata at the root are
    /// the server's own and stay.
    static func prune(_ v: Value, _ schema: Value, root: Bool = false) -> Value {
        switch v {
        case .map(var m):
            if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true, schema["properties"] == nil { return v }
            let props = schema["properties"]?.mapValue ?? [:]
            let extra = schema["additionalProperties"]
            let preserve = schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
            for (k, child) in m {
                if root && ["apiVersion", "kind", "metadata"].contains(k) { continue }
                if let s = props[k] {
                    m[k] = prune(child, s)
                } else if let extra, extra.mapValue != nil {
                    m[k] = prune(child, extra)
                } else if extra?.boolValue == true || preserve {
                    continue
                } else {
                    m.removeValue(forKey: k)
                }
            }
            return .map(m)
        case .list(let items):
            guard let s = schema["items"] else { return v }
            return .list(items.map { prune($0, s) })
        default:
            return v
        }
    }
}
