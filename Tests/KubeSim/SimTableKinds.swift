import Foundation
import YAML

/// The printer columns of the storage, RBAC, discovery and apiextensions kinds, so `kubectl
/// get pvc,sa,role,rolebinding,endpointslices` shows what it shows against a real cluster.
extension SimTable {
    static func kindColumns(_ r: SimResource) -> [Value]? {
        let name = col("Name", format: "name", "Name must be unique within a namespace.")
        let ageCol = col("Age", "CreationTimestamp is a timestamp representing the server time when this object was created.")
        switch r.name {
        case "persistentvolumeclaims":
            return [
                name, col("Status"), col("Volume"), col("Capacity"), col("Access Modes"), col("StorageClass"),
                col("VolumeAttributesClass"), ageCol, col("VolumeMode", priority: 1)
            ]
        case "persistentvolumes":
            return [
                name, col("Capacity"), col("Access Modes"), col("Reclaim Policy"), col("Status"), col("Claim"), col("StorageClass"),
                col("VolumeAttributesClass"), col("Reason"), ageCol, col("VolumeMode", priority: 1)
            ]
        case "serviceaccounts":
            return [name, col("Secrets", "integer"), ageCol]
        case "roles", "clusterroles", "customresourcedefinitions":
            return [name, col("Created At", format: "date-time")]
        case "rolebindings", "clusterrolebindings":
            return [name, col("Role"), ageCol, col("Users", priority: 1), col("Groups", priority: 1), col("ServiceAccounts", priority: 1)]
        case "endpointslices":
            return [name, col("AddressType"), col("Ports"), col("Endpoints"), ageCol]
        case "storageclasses":
            return [name, col("Provisioner"), col("ReclaimPolicy"), col("VolumeBindingMode"), col("AllowVolumeExpansion"), ageCol]
        case "replicasets":
            return [
                name, col("Desired", "integer", "Number of desired pods"), col("Current", "integer", "Number of actual replicas"),
                col("Ready", "integer", "The number of ready replicas for this replica set."), ageCol,
                col("Containers", priority: 1, "Names of each container in the template."),
                col("Images", priority: 1, "Images referenced by each container in the template."),
                col("Selector", priority: 1, "Selector is a label query over pods that should match the replica count.")
            ]
        case "controllerrevisions":
            return [name, col("Controller"), col("Revision", "integer"), ageCol]
        default:
            return nil
        }
    }

    static func accessModes(_ v: Value?) -> String {
        let short = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        return (v?.list ?? []).compactMap { $0.str.map { short[$0] ?? $0 } }.joined(separator: ",")
    }

    static func kindCells(_ r: SimResource, _ o: Value) -> [Value]? {
        let name = o[path: ["metadata", "name"]] ?? ""
        let created = o[path: ["metadata", "creationTimestamp"]] ?? ""
        let ageText = Value.string(age(o[path: ["metadata", "creationTimestamp"]]?.str))
        func s(_ path: [String], _ fallback: String = "") -> Value { .string(o[path: path]?.str ?? fallback) }
        switch r.name {
        case "persistentvolumeclaims":
            let bound = o[path: ["status", "phase"]]?.str == "Bound"
            return [
                name, s(["status", "phase"]), s(["spec", "volumeName"]), bound ? s(["status", "capacity", "storage"]) : "",
                .string(bound ? accessModes(o[path: ["status", "accessModes"]]) : ""), s(["spec", "storageClassName"]), "<unset>", ageText,
                s(["spec", "volumeMode"])
            ]
        case "persistentvolumes":
            let claim = o[path: ["spec", "claimRef"]].map { "\($0["namespace"]?.str ?? "")/\($0["name"]?.str ?? "")" } ?? ""
            return [
                name, s(["spec", "capacity", "storage"]), .string(accessModes(o[path: ["spec", "accessModes"]])),
                s(["spec", "persistentVolumeReclaimPolicy"]), s(["status", "phase"]), .string(claim), s(["spec", "storageClassName"]),
                "<unset>", s(["status", "reason"]), ageText, s(["spec", "volumeMode"])
            ]
        case "serviceaccounts":
            return [name, .int(Int64(o["secrets"]?.list.count ?? 0)), ageText]
        case "roles", "clusterroles", "customresourcedefinitions":
            return [name, created]
        case "rolebindings", "clusterrolebindings":
            let subjects = o["subjects"]?.list ?? []
            func of(_ kind: String) -> Value {
                .string(
                    subjects.filter { $0["kind"]?.str == kind }.map { s in
                        kind == "ServiceAccount" ? "\(s["namespace"]?.str ?? "")/\(s["name"]?.str ?? "")" : (s["name"]?.str ?? "")
                    }.joined(separator: ", "))
            }
            return [
                name, .string("\(o[path: ["roleRef", "kind"]]?.str ?? "")/\(o[path: ["roleRef", "name"]]?.str ?? "")"), ageText,
                of("User"), of("Group"), of("ServiceAccount")
            ]
        case "endpointslices":
            let ports = (o["ports"]?.list ?? []).compactMap { $0["port"]?.intValue.map(String.init) }
            let addrs = (o["endpoints"]?.list ?? []).flatMap { ($0["addresses"]?.list ?? []).compactMap(\.str) }
            let shown = addrs.prefix(3).joined(separator: ",") + (addrs.count > 3 ? " + \(addrs.count - 3) more..." : "")
            return [
                name, s(["addressType"]), .string(ports.isEmpty ? "<unset>" : ports.joined(separator: ",")),
                .string(addrs.isEmpty ? "<unset>" : shown), ageText
            ]
        case "replicasets":
            let containers = o[path: ["spec", "template", "spec", "containers"]]?.list ?? []
            let selector = (o[path: ["spec", "selector", "matchLabels"]]?.stringMap ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return [
                name, .int(o[path: ["spec", "replicas"]]?.intValue ?? 1), .int(o[path: ["status", "replicas"]]?.intValue ?? 0),
                .int(o[path: ["status", "readyReplicas"]]?.intValue ?? 0), ageText,
                .string(containers.compactMap { $0["name"]?.str }.joined(separator: ",")),
                .string(containers.compactMap { $0["image"]?.str }.joined(separator: ",")), .string(selector.joined(separator: ","))
            ]
        case "controllerrevisions":
            let owner = (o[path: ["metadata", "ownerReferences"]]?.list ?? []).first { $0["controller"]?.boolValue == true }
            let controller =
                owner.map { ref -> String in
                    let group = (ref["apiVersion"]?.str ?? "").split(separator: "/").dropLast().first.map { ".\($0)" } ?? ""
                    return "\((ref["kind"]?.str ?? "").lowercased())\(group)/\(ref["name"]?.str ?? "")"
                } ?? "<none>"
            return [name, .string(controller), .int(o["revision"]?.intValue ?? 0), ageText]
        case "storageclasses":
            let def = o[path: ["metadata", "annotations", "storageclass.kubernetes.io/is-default-class"]]?.str == "true"
            return [
                .string((name.str ?? "") + (def ? " (default)" : "")), s(["provisioner"]), s(["reclaimPolicy"], "Delete"),
                s(["volumeBindingMode"], "Immediate"), .bool(o["allowVolumeExpansion"]?.boolValue ?? false), ageText
            ]
        default:
            return nil
        }
    }
}
