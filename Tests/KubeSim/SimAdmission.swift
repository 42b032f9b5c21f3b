import OrderedCollections
import YAML

/// Defaulting and validation for the kinds beyond workloads, where clients see them: the
/// fields a `get` shows that nobody wrote (a PVC's storage class, a webhook's failure policy),
/// and the 422 answers for objects kube-apiserver refuses.
extension SimCluster {
    func admitValidate(_ r: SimResource, _ obj: Value) throws {
        let name = obj[path: ["metadata", "name"]]?.str ?? ""
        switch r.name {
        case "customresourcedefinitions" where r.group == "apiextensions.k8s.io":
            try validateCRD(obj)
        case "rolebindings", "clusterrolebindings":
            for f in ["apiGroup", "kind", "name"] where (obj[path: ["roleRef", f]]?.str ?? "").isEmpty {
                throw SimError.invalid(r, name, field: "roleRef.\(f)")
            }
            let kind = obj[path: ["roleRef", "kind"]]?.str ?? ""
            let allowed = r.name == "rolebindings" ? ["Role", "ClusterRole"] : ["ClusterRole"]
            if !allowed.contains(kind) {
                throw SimError.invalid(
                    r, name, field: "roleRef.kind", reason: "FieldValueNotSupported",
                    detail: "Unsupported value: \"\(kind)\": supported values: \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
        case "persistentvolumeclaims":
            if obj[path: ["spec", "accessModes"]]?.list.isEmpty ?? true {
                throw SimError.invalid(r, name, field: "spec.accessModes", detail: "Required value: at least 1 access mode is required")
            }
            if obj[path: ["spec", "resources", "requests", "storage"]] == nil && obj[path: ["spec", "volumeName"]] == nil {
                throw SimError.invalid(r, name, field: "spec.resources[storage]", detail: "Required value")
            }
        case "storageclasses" where (obj["provisioner"]?.str ?? "").isEmpty:
            throw SimError.invalid(r, name, field: "provisioner")
        case "endpointslices" where (obj["addressType"]?.str ?? "").isEmpty:
            throw SimError.invalid(r, name, field: "addressType")
        default:
            guard let (_, version) = crdLocked(for: r), let schema = version[path: ["schema", "openAPIV3Schema"]] else { return }
            let failures = SimSchema.validate(SimSchema.prune(obj, schema, root: true), schema, path: "")
                .filter { !["apiVersion", "kind", "metadata"].contains(String($0.field.prefix { $0 != "." && $0 != "[" })) }
            guard let first = failures.first else { return }
            var e = SimError.invalid(r, name, field: first.field, reason: first.reason, detail: first.detail)
            e.status[path: ["details", "causes"]] = .list(
                failures.map {
                    .map(["reason": .string($0.reason), "message": .string($0.detail), "field": .string($0.field)])
                })
            if failures.count > 1 {
                let all = failures.map { "\($0.field): \($0.detail)" }.joined(separator: ", ")
                let qualified = "\(r.kind).\(r.group)"
                e.status[path: ["message"]] = .string("\(qualified) \"\(name)\" is invalid: [\(all)]")
            }
            throw e
        }
    }

    func admitDefaults(_ r: SimResource, _ obj: inout Value) {
        switch r.name {
        case "customresourcedefinitions" where r.group == "apiextensions.k8s.io":
            defaultCRD(&obj)
        case "persistentvolumeclaims":
            defaultClaim(&obj)
        case "storageclasses":
            if obj["reclaimPolicy"] == nil { obj[path: ["reclaimPolicy"]] = "Delete" }
            if obj["volumeBindingMode"] == nil { obj[path: ["volumeBindingMode"]] = "Immediate" }
        case "csidrivers":
            let defaults: [(String, Value)] = [
                ("attachRequired", true), ("podInfoOnMount", false), ("storageCapacity", false),
                ("fsGroupPolicy", "ReadWriteOnceWithFSType"), ("requiresRepublish", false),
                ("seLinuxMount", false), ("volumeLifecycleModes", .list(["Persistent"]))
            ]
            for (k, v) in defaults where obj[path: ["spec", k]] == nil { obj[path: ["spec", k]] = v }
        case "validatingwebhookconfigurations", "mutatingwebhookconfigurations":
            obj[path: ["webhooks"]] = obj["webhooks"].map { hooks in .list(hooks.list.map(Self.defaultWebhook)) }
        case "ingresses":
            if obj["status"] == nil { obj[path: ["status"]] = .map(["loadBalancer": .map([:])]) }
        default:
            // A custom resource with a status subresource ignores the status it is created with.
            if let (_, version) = crdLocked(for: r), version[path: ["subresources", "status"]] != nil { obj[path: ["status"]] = nil }
        }
    }

    static func defaultWebhook(_ hook: Value) -> Value {
        var h = hook
        let defaults: [(String, Value)] = [
            ("failurePolicy", "Fail"), ("matchPolicy", "Equivalent"), ("namespaceSelector", .map([:])),
            ("objectSelector", .map([:])), ("timeoutSeconds", 10)
        ]
        for (k, v) in defaults where h[k] == nil { h[path: [k]] = v }
        h[path: ["rules"]] = h["rules"].map {
            .list(
                $0.list.map { rule in
                    var x = rule
                    if x["scope"] == nil { x[path: ["scope"]] = "*" }
                    return x
                })
        }
        if let port = h[path: ["clientConfig", "service"]], port["port"] == nil { h[path: ["clientConfig", "service", "port"]] = 443 }
        return h
    }

    /// Custom resources are stored as their schema prunes them, whichever verb wrote them.
    func pruneCustomLocked(_ r: SimResource, _ obj: Value) -> Value {
        guard let (_, version) = crdLocked(for: r), let schema = version[path: ["schema", "openAPIV3Schema"]] else { return obj }
        return SimSchema.prune(obj, schema, root: true)
    }
}
