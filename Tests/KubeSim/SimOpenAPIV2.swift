import OrderedCollections
import YAML

/// `/openapi/v2`, the single Swagger 2.0 document older clients and client-side validation
/// fall back to. kube-apiserver serves it as JSON or as gnostic protobuf; the simulator only
/// speaks JSON, so a client that accepts nothing but protobuf gets 406 Not Acceptable, the
/// answer kube-openapi gives for a media type it cannot produce.
enum SimOpenAPIV2 {
    static let protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

    /// Whether an Accept header admits JSON (no header admits anything).
    static func acceptsJSON(_ accept: String) -> Bool {
        let types = accept.split(separator: ",").map { $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
        if types.allSatisfy(\.isEmpty) { return true }
        return types.contains { ["application/json", "application/*", "*/*"].contains($0) }
    }

    static func respond(accept: String, served: [SimResource], crdSchema: (SimResource) -> Value?) -> SimResponse {
        guard acceptsJSON(accept) else {
            return .full(code: 406, contentType: "text/plain; charset=utf-8", body: Array("406 Not Acceptable\n".utf8), headers: [])
        }
        return .json(document(served: served, crdSchema: crdSchema))
    }

    static func document(served: [SimResource], crdSchema: (SimResource) -> Value?) -> Value {
        var paths: OrderedDictionary<String, Value> = [:]
        var definitions: OrderedDictionary<String, Value> = [SimOpenAPI.objectMetaName: .map(["type": "object"])]
        let refPrefix = "#/definitions/"
        for r in served {
            let custom = crdSchema(r).map(swagger2)
            let name = SimOpenAPI.schemaName(r, custom: custom != nil)
            definitions[name] = SimOpenAPI.schema(r, crdSchema: custom, refPrefix: refPrefix)
            let prefix = "/" + SimOpenAPI.gvPath(r.groupVersion)
            for (p, v) in SimOpenAPI.paths(for: r, prefix: prefix, ref: .map(["$ref": .string(refPrefix + name)]), v3: false) {
                paths[p] = swagger2Operations(v)
            }
        }
        return .map([
            "swagger": "2.0", "info": .map(["title": "Kubernetes", "version": .string(SimVersion.gitVersion)]),
            "paths": .map(paths), "definitions": .map(definitions)
        ])
    }

    /// Swagger 2.0 parameters carry their type inline, not under `schema`.
    static func swagger2Operations(_ v: Value) -> Value {
        guard case .map(var ops) = v else { return v }
        for (verb, op) in ops {
            guard case .map(var o) = op else { continue }
            o["parameters"] = .list(
                (o["parameters"]?.list ?? []).map { (p: Value) -> Value in
                    guard case .map(var m) = p else { return p }
                    m["type"] = m["schema"]?["type"] ?? "string"
                    m["uniqueItems"] = true
                    m.removeValue(forKey: "schema")
                    return .map(m)
                })
            ops[verb] = .map(o)
        }
        return .map(ops)
    }

    /// What kube-apiserver drops from a CRD schema when publishing v2, which cannot express
    /// them: `nullable`, the combinators, and the type of int-or-string fields.
    static func swagger2(_ schema: Value) -> Value {
        guard case .map(var m) = schema else { return schema }
        for k in ["nullable", "anyOf", "oneOf", "allOf", "not"] { m.removeValue(forKey: k) }
        if m["x-kubernetes-int-or-string"]?.boolValue == true { m.removeValue(forKey: "type") }
        if case .map(var props)? = m["properties"] {
            for (k, v) in props { props[k] = swagger2(v) }
            m["properties"] = .map(props)
        }
        for k in ["items", "additionalProperties"] where m[k]?.mapValue != nil {
            m[k] = m[k].map(swagger2)
        }
        return .map(m)
    }
}
