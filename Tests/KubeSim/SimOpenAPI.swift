import OrderedCollections
import YAML

/// The OpenAPI v3 documents kube-apiserver publishes (`/openapi/v3` and one document per group
/// version), with what clients read from them: every resource path, its operations tagged with
/// `x-kubernetes-group-version-kind`, and the `fieldValidation`/`dryRun` query parameters on
/// create, update and patch. kubectl and helm look there to learn that the server validates
/// fields itself, and then send `fieldValidation=Strict` instead of validating client-side.
/// Built-in schemas are skeletons (type object plus the GVK extension): kube-apiserver's own
/// are megabytes and the simulator validates no built-in fields. Custom resources carry the
/// CRD's `openAPIV3Schema`, as the real server publishes it.
enum SimOpenAPI {
    static func gvPath(_ gv: String) -> String { gv.contains("/") ? "apis/\(gv)" : "api/\(gv)" }

    static func hash(_ doc: Value) -> String { String(SimID.hash(doc).prefix(16)).uppercased() }

    static func param(_ name: String, _ description: String) -> Value {
        .map(["name": .string(name), "in": "query", "description": .string(description), "schema": .map(["type": "string", "uniqueItems": true])])
    }

    static let fieldValidation = param(
        "fieldValidation",
        "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict."
    )
    static let dryRun = param("dryRun", "When present, indicates that modifications should not be persisted.")
    static let fieldManager = param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes.")
    static let force = param("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people.")

    static let objectMetaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

    /// The definition name kube-apiserver gives a kind: Go package path for built-ins,
    /// reversed group for custom resources (`io.spiffe.spire.v1alpha1.ClusterSPIFFEID`).
    static func schemaName(_ r: SimResource, custom: Bool) -> String {
        if custom { return r.group.split(separator: ".").reversed().joined(separator: ".") + ".\(r.version).\(r.kind)" }
        let pkg = r.group.isEmpty ? "core" : String(r.group.split(separator: ".").first ?? "")
        return "io.k8s.api.\(pkg).\(r.version).\(r.kind)"
    }

    static func gvkList(_ r: SimResource) -> Value {
        .list([.map(["group": .string(r.group), "kind": .string(r.kind), "version": .string(r.version)])])
    }

    /// A kind's schema: the CRD's, with the type meta and `metadata` every object has, or the
    /// skeleton of a built-in.
    static func schema(_ r: SimResource, crdSchema: Value?, refPrefix: String) -> Value {
        guard case .map(var m)? = crdSchema else {
            return .map(["type": "object", "x-kubernetes-group-version-kind": gvkList(r)])
        }
        var props = m["properties"]?.mapValue ?? [:]
        props["apiVersion"] = .map(["type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."])
        props["kind"] = .map(["type": "string", "description": "Kind is a string value representing the REST resource this object represents."])
        props["metadata"] = .map(["$ref": .string(refPrefix + objectMetaName)])
        m["properties"] = .map(props)
        m["type"] = "object"
        m["x-kubernetes-group-version-kind"] = gvkList(r)
        return .map(m)
    }

    static func paths(for r: SimResource, prefix: String, ref: Value, v3: Bool) -> [(String, Value)] {
        let gvk: Value = .map(["group": .string(r.group), "kind": .string(r.kind), "version": .string(r.version)])
        func op(_ action: String, _ verb: String, params: [Value]) -> Value {
            let response: Value =
                v3
                ? .map(["description": "OK", "content": .map(["application/json": .map(["schema": ref])])])
                : .map(["description": "OK", "schema": ref])
            return .map([
                "operationId": .string("\(verb)\(r.kind)"), "x-kubernetes-action": .string(action),
                "x-kubernetes-group-version-kind": gvk, "parameters": .list(params),
                "responses": .map(["200": response])
            ])
        }
        let collection = r.namespaced ? "\(prefix)/namespaces/{namespace}/\(r.name)" : "\(prefix)/\(r.name)"
        return [
            (
                collection,
                .map([
                    "get": op("list", "list", params: []),
                    "post": op("post", "create", params: [dryRun, fieldManager, fieldValidation])
                ])
            ),
            (
                "\(collection)/{name}",
                .map([
                    "get": op("get", "read", params: []),
                    "put": op("put", "replace", params: [dryRun, fieldManager, fieldValidation]),
                    "patch": op("patch", "patch", params: [dryRun, fieldManager, fieldValidation, force]),
                    "delete": op("delete", "delete", params: [dryRun])
                ])
            )
        ]
    }

    /// `GET /openapi/v3/api/v1` and friends; nil for a group version not served.
    static func document(groupVersion gv: String, served: [SimResource], crdSchema: (SimResource) -> Value?) -> Value? {
        let resources = served.filter { $0.groupVersion == gv }
        guard !resources.isEmpty else { return nil }
        let refPrefix = "#/components/schemas/"
        var paths: OrderedDictionary<String, Value> = [:]
        var schemas: OrderedDictionary<String, Value> = [:]
        for r in resources {
            let custom = crdSchema(r)
            let name = schemaName(r, custom: custom != nil)
            schemas[name] = schema(r, crdSchema: custom, refPrefix: refPrefix)
            if custom != nil { schemas[objectMetaName] = .map(["type": "object"]) }
            for (p, v) in Self.paths(for: r, prefix: "/" + gvPath(gv), ref: .map(["$ref": .string(refPrefix + name)]), v3: true) { paths[p] = v }
        }
        return .map([
            "openapi": "3.0.0", "info": .map(["title": "Kubernetes", "version": .string(SimVersion.gitVersion)]),
            "paths": .map(paths), "components": .map(["schemas": .map(schemas)])
        ])
    }

    /// `GET /openapi/v3`: the discovery of per-group-version documents, each URL carrying the
    /// hash of its content so clients refetch after a CRD changes it.
    static func root(served: [SimResource], crdSchema: (SimResource) -> Value?) -> Value {
        var paths: OrderedDictionary<String, Value> = [:]
        var gvs: [String] = []
        for r in served where !gvs.contains(r.groupVersion) { gvs.append(r.groupVersion) }
        for gv in gvs {
            let doc = document(groupVersion: gv, served: served, crdSchema: crdSchema) ?? .null
            paths[gvPath(gv)] = .map(["serverRelativeURL": .string("/openapi/v3/\(gvPath(gv))?hash=\(hash(doc))")])
        }
        return .map(["paths": .map(paths)])
    }
}

extension SimCluster {
    /// Routes `/openapi/v2` and `/openapi/v3[/…]`.
    func openAPI(_ segments: [String], accept: String) -> SimResponse {
        let (served, schemas) = withLock { (servedLocked, customSchemasLocked()) }
        let crdSchema = { (r: SimResource) in schemas[r] }
        guard segments.count >= 2 else { return notFoundPage() }
        if segments == ["openapi", "v2"] { return SimOpenAPIV2.respond(accept: accept, served: served, crdSchema: crdSchema) }
        guard segments[1] == "v3" else { return notFoundPage() }
        if segments.count == 2 { return .json(SimOpenAPI.root(served: served, crdSchema: crdSchema)) }
        let rest = Array(segments.dropFirst(2))
        var gv: String?
        if rest.first == "api", rest.count == 2 { gv = rest[1] }
        if rest.first == "apis", rest.count == 3 { gv = "\(rest[1])/\(rest[2])" }
        guard let gv, let doc = SimOpenAPI.document(groupVersion: gv, served: served, crdSchema: crdSchema) else { return notFoundPage() }
        return .json(doc)
    }
}
