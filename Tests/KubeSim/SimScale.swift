import OrderedCollections
import YAML

/// The `/scale` subresource of Deployments, ReplicaSets and StatefulSets (`autoscaling/v1`
/// `Scale`), as the apps registry serves it: GET builds a Scale from the workload (spec.replicas,
/// status.replicas and the selector in query-string form); PUT and PATCH (JSON merge, strategic
/// merge, JSON patch) change nothing but the workload's `spec.replicas`, with the workload's
/// resourceVersion as the Scale's, so optimistic concurrency works on either. `kubectl scale`
/// finds it through discovery (`deployments/scale`, group autoscaling, version v1, kind Scale).
extension SimCluster {
    static let scalable: Set<String> = ["deployments", "replicasets", "statefulsets"]
    static let scaleResource = SimResource(
        group: "autoscaling", version: "v1", name: "scale", singular: "scale", kind: "Scale",
        namespaced: true, shortNames: [])

    /// A label selector in the string form `metav1.LabelSelectorAsSelector(...).String()` gives:
    /// requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
    static func selectorString(_ selector: Value?) -> String {
        var reqs: [(key: String, text: String)] = []
        for (k, v) in (selector?["matchLabels"]?.stringMap ?? [:]) { reqs.append((k, "\(k)=\(v)")) }
        for e in selector?["matchExpressions"]?.list ?? [] {
            let key = e["key"]?.str ?? ""
            let values = (e["values"]?.list ?? []).compactMap(\.str).sorted().joined(separator: ",")
            switch e["operator"]?.str ?? "" {
            case "In": reqs.append((key, "\(key) in (\(values))"))
            case "NotIn": reqs.append((key, "\(key) notin (\(values))"))
            case "Exists": reqs.append((key, key))
            case "DoesNotExist": reqs.append((key, "!\(key)"))
            default: continue
            }
        }
        return reqs.sorted { $0.key < $1.key }.map(\.text).joined(separator: ",")
    }

    static func scale(of obj: Value) -> Value {
        var meta: OrderedDictionary<String, Value> = [:]
        for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let v = obj[path: ["metadata", k]] { meta[k] = v }
        }
        return .map([
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .map(meta),
            "spec": .map(["replicas": obj[path: ["spec", "replicas"]] ?? .int(1)]),
            "status": .map([
                "replicas": obj[path: ["status", "replicas"]] ?? .int(0),
                "selector": .string(selectorString(obj[path: ["spec", "selector"]]))
            ])
        ])
    }

    func serveScale(_ req: SimRequest, _ r: SimResource, namespace: String?, name: String) -> SimResponse {
        do {
            switch req.method {
            case "GET":
                return .json(Self.scale(of: try withLock { try getLocked(r, namespace: namespace, name: name) }))
            case "PUT":
                let body = try decodeBody(req)
                return .json(try withLock { try setScaleLocked(r, namespace: namespace, name: name, scale: body) })
            case "PATCH":
                let ct = req.headers["content-type"] ?? ""
                let patch = try decodeBody(req)
                return .json(
                    try withLock { () -> Value in
                        let current = Self.scale(of: try getLocked(r, namespace: namespace, name: name))
                        let patched: Value
                        if ct.hasPrefix("application/json-patch+json") {
                            patched = try SimJSONPatch.apply(patch, to: current)
                        } else if ct.hasPrefix("application/merge-patch+json") {
                            patched = Self.deepMerge(current, patch)
                        } else if ct.hasPrefix("application/strategic-merge-patch+json") {
                            patched = Self.keyedMerge(current, patch)
                        } else {
                            throw SimError.unsupportedMediaType(
                                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                            )
                        }
                        return try setScaleLocked(r, namespace: namespace, name: name, scale: patched)
                    })
            default:
                return .error(.methodNotAllowed())
            }
        } catch let e as SimError {
            return .error(e)
        } catch {
            return .error(.badRequest("\(error)"))
        }
    }

    /// Writes a Scale's `spec.replicas` into its workload, as the scale REST storage does.
    func setScaleLocked(_ r: SimResource, namespace: String?, name: String, scale: Value) throws -> Value {
        let live = try getLocked(r, namespace: namespace, name: name)
        if let kind = scale["kind"]?.str, kind != "Scale" {
            throw SimError.badRequest("the body of the request was not a Scale: kind \(kind)")
        }
        if let rv = scale[path: ["metadata", "resourceVersion"]]?.str, !rv.isEmpty, rv != live[path: ["metadata", "resourceVersion"]]?.str {
            throw SimError.conflict(r, name)
        }
        let replicas = scale[path: ["spec", "replicas"]]?.intValue ?? 0
        if replicas < 0 {
            throw SimError.invalid(
                Self.scaleResource, name, field: "spec.replicas", reason: "FieldValueInvalid",
                detail: "Invalid value: \(replicas): must be greater than or equal to 0")
        }
        guard live[path: ["spec", "replicas"]]?.intValue != replicas else { return Self.scale(of: live) }
        var obj = live
        obj[path: ["spec", "replicas"]] = .int(replicas)
        if let g = live[path: ["metadata", "generation"]]?.intValue { obj[path: ["metadata", "generation"]] = .int(g + 1) }
        return Self.scale(of: putLocked(r, obj, type: "MODIFIED"))
    }
}
