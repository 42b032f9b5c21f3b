import OrderedCollections
import YAML

/// CustomResourceDefinitions as apiextensions-apiserver handles them: a CRD is validated and
/// stored, its controller accepts the names and marks it Established, and from then on the
/// resources of its served versions are in discovery, in the OpenAPI documents (with the CRD's
/// schema) and on the REST paths. Deleting the CRD deletes its objects. Each served version
/// stores its own objects: conversion between versions is not simulated.
extension SimCluster {
    static let crdResource = SimCatalog.all.first { $0.name == "customresourcedefinitions" } ?? namespaceResource

    static func isEstablished(_ crd: Value) -> Bool {
        (crd[path: ["status", "conditions"]]?.list ?? []).contains { $0["type"]?.str == "Established" && $0["status"]?.str == "True" }
    }

    /// The names a CRD asks for, with the defaults the registry fills in.
    static func acceptedNames(_ crd: Value) -> Value {
        let names = crd[path: ["spec", "names"]]?.mapValue ?? [:]
        let kind = names["kind"]?.str ?? ""
        var m: OrderedDictionary<String, Value> = ["plural": names["plural"] ?? "", "singular": names["singular"] ?? .string(kind.lowercased())]
        if let s = names["shortNames"] { m["shortNames"] = s }
        m["kind"] = .string(kind)
        m["listKind"] = names["listKind"] ?? .string(kind + "List")
        if let c = names["categories"] { m["categories"] = c }
        return .map(m)
    }

    /// One resource per served version of an Established CRD.
    static func customResources(_ crd: Value) -> [SimResource] {
        guard isEstablished(crd), let group = crd[path: ["spec", "group"]]?.str else { return [] }
        let names = acceptedNames(crd)
        return (crd[path: ["spec", "versions"]]?.list ?? []).compactMap { v in
            guard v["served"]?.boolValue == true, let version = v["name"]?.str else { return nil }
            return SimResource(
                group: group, version: version, name: names["plural"]?.str ?? "", singular: names["singular"]?.str ?? "",
                kind: names["kind"]?.str ?? "", namespaced: crd[path: ["spec", "scope"]]?.str == "Namespaced",
                shortNames: (names["shortNames"]?.list ?? []).compactMap(\.str),
                categories: (names["categories"]?.list ?? []).compactMap(\.str))
        }
    }

    /// Recomputes the served custom resources after a CRD changed; watches on a resource that
    /// is no longer served end, as the real server closes them.
    func refreshCustomResourcesLocked() {
        let fresh = allLocked(Self.crdResource, namespace: nil).flatMap(Self.customResources)
        guard fresh != customResources else { return }
        let gone = customResources.filter { !fresh.contains($0) }
        customResources = fresh
        for r in gone {
            let ws = watchers.removeValue(forKey: r) ?? [:]
            for w in ws.values { w.sink.finish() }
        }
    }

    /// The CRD (and version) that defines a served custom resource.
    func crdLocked(for r: SimResource) -> (crd: Value, version: Value)? {
        guard customResources.contains(r), let crd = objects[Self.crdResource]?[""]?["\(r.name).\(r.group)"],
            let v = (crd[path: ["spec", "versions"]]?.list ?? []).first(where: { $0["name"]?.str == r.version })
        else { return nil }
        return (crd, v)
    }

    /// Each custom resource's `openAPIV3Schema`, for the OpenAPI documents.
    func customSchemasLocked() -> [SimResource: Value] {
        var out: [SimResource: Value] = [:]
        for r in customResources {
            if let s = crdLocked(for: r)?.version[path: ["schema", "openAPIV3Schema"]] { out[r] = s }
        }
        return out
    }

    /// A CRD's objects go with it (the real server's finalizer deletes them before the CRD).
    func removeCustomObjectsLocked(of crd: Value) {
        let group = crd[path: ["spec", "group"]]?.str ?? ""
        let plural = crd[path: ["spec", "names", "plural"]]?.str ?? ""
        for r in customResources where r.group == group && r.name == plural {
            for o in allLocked(r, namespace: nil) { removeLocked(r, o, propagation: "Background") }
            objects[r] = nil
        }
    }

    // MARK: Controller

    /// What the apiextensions controllers write once they have looked at a CRD: names
    /// accepted, then Established.
    func reconcileCRDs() {
        for crd in allLocked(Self.crdResource, namespace: nil) {
            let old = crd[path: ["status", "conditions"]]?.list ?? []
            func condition(_ type: String, _ reason: String, _ message: String) -> Value {
                let prev = old.first { $0["type"]?.str == type && $0["status"]?.str == "True" }
                return .map([
                    "type": .string(type), "status": "True",
                    "lastTransitionTime": prev?["lastTransitionTime"] ?? .string(SimTime.rfc3339()),
                    "reason": .string(reason), "message": .string(message)
                ])
            }
            var status = crd["status"]?.mapValue ?? [:]
            status["acceptedNames"] = Self.acceptedNames(crd)
            status["conditions"] = .list([
                condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                condition("Established", "InitialNamesAccepted", "the initial names have been accepted")
            ])
            var stored = (status["storedVersions"]?.list ?? []).compactMap(\.str)
            if let storage = Self.storageVersion(crd), !stored.contains(storage) { stored.append(storage) }
            status["storedVersions"] = .list(stored.map(Value.string))
            writeStatus(Self.crdResource, crd, .map(status))
        }
    }

    static func storageVersion(_ crd: Value) -> String? {
        (crd[path: ["spec", "versions"]]?.list ?? []).first { $0["storage"]?.boolValue == true }?["name"]?.str
    }

    // MARK: Admission

    func validateCRD(_ crd: Value) throws {
        let r = Self.crdResource
        let name = crd[path: ["metadata", "name"]]?.str ?? ""
        let group = crd[path: ["spec", "group"]]?.str ?? ""
        let plural = crd[path: ["spec", "names", "plural"]]?.str ?? ""
        if group.isEmpty { throw SimError.invalid(r, name, field: "spec.group") }
        if plural.isEmpty { throw SimError.invalid(r, name, field: "spec.names.plural") }
        if (crd[path: ["spec", "names", "kind"]]?.str ?? "").isEmpty { throw SimError.invalid(r, name, field: "spec.names.kind") }
        if name != "\(plural).\(group)" {
            throw SimError.invalid(
                r, name, field: "metadata.name", reason: "FieldValueInvalid",
                detail: "Invalid value: \"\(name)\": must be spec.names.plural+\".\"+spec.group")
        }
        let scope = crd[path: ["spec", "scope"]]?.str ?? ""
        guard scope == "Namespaced" || scope == "Cluster" else {
            throw SimError.invalid(
                r, name, field: "spec.scope", reason: "FieldValueNotSupported",
                detail: "Unsupported value: \"\(scope)\": supported values: \"Cluster\", \"Namespaced\"")
        }
        let versions = crd[path: ["spec", "versions"]]?.list ?? []
        if versions.isEmpty {
            throw SimError.invalid(r, name, field: "spec.versions", detail: "Required value: must have exactly one version marked as storage version")
        }
        if versions.filter({ $0["storage"]?.boolValue == true }).count != 1 {
            throw SimError.invalid(
                r, name, field: "spec.versions", reason: "FieldValueInvalid",
                detail:
                    "Invalid value: \(Value.list(versions.map { $0["name"] ?? .null }).jsonString()): must have exactly one version marked as storage version")
        }
        for (i, v) in versions.enumerated() where v[path: ["schema", "openAPIV3Schema"]] == nil {
            throw SimError.invalid(r, name, field: "spec.versions[\(i)].schema.openAPIV3Schema", detail: "Required value: schemas are required")
        }
    }

    /// What the registry sets on a new CRD: the names' defaults and the stored version.
    func defaultCRD(_ crd: inout Value) {
        let names = Self.acceptedNames(crd)
        crd[path: ["spec", "names", "singular"]] = names["singular"]
        crd[path: ["spec", "names", "listKind"]] = names["listKind"]
        if crd[path: ["spec", "conversion"]] == nil { crd[path: ["spec", "conversion"]] = .map(["strategy": "None"]) }
        crd[path: ["status"]] = .map([
            "acceptedNames": .map(["plural": "", "kind": ""]), "conditions": .list([]),
            "storedVersions": .list(Self.storageVersion(crd).map { [.string($0)] } ?? [])
        ])
    }
}
