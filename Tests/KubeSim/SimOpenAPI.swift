import OrderedCollections
import YAML

/// The OpenAPI v3 documents kube-apiserver publishes (`/openapi/v3` and one document per group
/// version), with what clients read from them: every resource path, its operations tagged with
/// `x-kubernetes-group-version-kind`, and the `fieldValidation`/`dryRun` query parameters on
/// create, update and patch. kubectl and helm look there to learn that the server validates
/// fields itself, and then send `fieldValidation=Strict` instead of validating client-side.
/// Schemas are skeletons (type object plus the GVK extension): the simulator validates no fields.
enum SimOpenAPI {
    static func gvPath(_ gv: String) -> String { gv.contains("/") ? "apis/\(gv)" : "api/\(gv)" }

    static func hash(_ gv: String) -> String { String(SimID.hash(.string("openapi/" + gv)).prefix(16)).uppercased() }

    /// `GET /openapi/v3`: the discovery of per-group-version documents.
    static func root() -> Value {
        var paths: OrderedDictionary<String, Value> = [:]
        var gvs: [String] = []
        for r in SimCatalog.all where !gvs.contains(r.groupVersion) { gvs.append(r.groupVersion) }
        for gv in gvs {
            paths[gvPath(gv)] = .map(["serverRelativeURL": .string("/openapi/v3/\(gvPath(gv))?hash=\(hash(gv))")])
        }
        return .map(["paths": .map(paths)])
    }

    static func param(_ name: String, _ description: String) -> Value {
        .map(["name": .string(name), "in": "query", "description": .string(description), "schema": .map(["type": "string", "uniqueItems": true])])
    }

    static let fieldValidation = param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.")
    static let dryRun = param("dryRun", "When present, indicates that modifications should not be persisted.")
    static let fieldManager = param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes.")
    static let force = param("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people.")

    /// `GET /openapi/v3/api/v1` and friends; nil for an unknown group version.
    static func document(groupVersion gv: String) -> Value? {
        let resources = SimCatalog.all.filter { $0.groupVersion == gv }
        guard !resources.isEmpty else { return nil }
        let group = resources[0].group, version = resources[0].version
        let prefix = "/" + gvPath(gv)
        var paths: OrderedDictionary<String, Value> = [:]
        var schemas: OrderedDictionary<String, Value> = [:]
        for r in resources {
            let gvk: Value = .list([.map(["group": .string(group), "kind": .string(r.kind), "version": .string(version)])])
            let schemaName = "io.k8s.api.\(group.isEmpty ? "core" : group).\(version).\(r.kind)"
            schemas[schemaName] = .map(["type": "object", "x-kubernetes-group-version-kind": gvk])
            let ref: Value = .map(["$ref": .string("#/components/schemas/\(schemaName)")])
            func op(_ action: String, _ verb: String, params: [Value]) -> Value {
                .map(["operationId": .string("\(verb)\(r.kind)"), "x-kubernetes-action": .string(action),
                      "x-kubernetes-group-version-kind": .map(["group": .string(group), "kind": .string(r.kind), "version": .string(version)]),
                      "parameters": .list(params),
                      "responses": .map(["200": .map(["description": "OK", "content": .map(["application/json": .map(["schema": ref])])])])])
            }
            let collection = r.namespaced ? "\(prefix)/namespaces/{namespace}/\(r.name)" : "\(prefix)/\(r.name)"
            paths[collection] = .map(["get": op("list", "list", params: []),
                                      "post": op("post", "create", params: [dryRun, fieldManager, fieldValidation])])
            paths["\(collection)/{name}"] = .map([
                "get": op("get", "read", params: []),
                "put": op("put", "replace", params: [dryRun, fieldManager, fieldValidation]),
                "patch": op("patch", "patch", params: [dryRun, fieldManager, fieldValidation, force]),
                "delete": op("delete", "delete", params: [dryRun]),
            ])
        }
        return .map(["openapi": "3.0.0", "info": .map(["title": "Kubernetes", "version": "v1.31.0"]),
                     "paths": .map(paths), "components": .map(["schemas": .map(schemas)])])
    }

    /// Routes `/openapi/v3[/…]`. The v2 document (`/openapi/v2`) is not served.
    static func route(_ segments: [String]) -> Value? {
        guard segments.count >= 2, segments[0] == "openapi", segments[1] == "v3" else { return nil }
        if segments.count == 2 { return root() }
        let rest = Array(segments.dropFirst(2))
        if rest.first == "api", rest.count == 2 { return document(groupVersion: rest[1]) }
        if rest.first == "apis", rest.count == 3 { return document(groupVersion: "\(rest[1])/\(rest[2])") }
        return nil
    }
}
