import Foundation
import OrderedCollections
import YAML

/// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns
/// kube-apiserver's printers produce, which is what `kubectl get` shows.
enum SimTable {
    static func age(_ ts: String?) -> String {
        guard let ts, let d = ISO8601DateFormatter().date(from: ts) else { return "<unknown>" }
        let s = max(0, Int(Date().timeIntervalSince(d)))
        if s < 120 { return "\(s)s" }
        if s < 600 { return "\(s / 60)m\(s % 60 == 0 ? "" : "\(s % 60)s")" }
        if s < 3 * 3600 { return "\(s / 60)m" }
        if s < 48 * 3600 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }

    static func col(_ name: String, _ type: String = "string", priority: Int = 0, format: String = "", _ description: String = "") -> Value {
        .map(["name": .string(name), "type": .string(type), "format": .string(format), "description": .string(description), "priority": .int(Int64(priority))])
    }

    static func columns(_ r: SimResource) -> [Value] {
        let name = col("Name", format: "name", "Name must be unique within a namespace.")
        let ageCol = col("Age", "CreationTimestamp is a timestamp representing the server time when this object was created.")
        switch r.name {
        case "pods":
            return [
                name, col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
                col("Status", "The aggregate status of the containers in this pod."),
                col("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
                ageCol,
                col("IP", priority: 1, "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
                col("Node", priority: 1, "NodeName is a request to schedule this pod onto a specific node."),
                col("Nominated Node", priority: 1, "nominatedNodeName is set only when this pod preempts other pods on the node."),
                col("Readiness Gates", priority: 1, "If specified, all readiness gates will be evaluated for pod readiness.")
            ]
        case "nodes":
            return [
                name, col("Status", "The status of the node"), col("Roles", "The roles of the node"), ageCol,
                col("Version", "Kubelet Version reported by the node."),
                col("Internal-IP", priority: 1), col("External-IP", priority: 1), col("OS-Image", priority: 1), col("Kernel-Version", priority: 1),
                col("Container-Runtime", priority: 1)
            ]
        case "deployments":
            return [name, col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"), ageCol]
        case "daemonsets":
            return [
                name, col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), col("Up-to-date", "integer"), col("Available", "integer"),
                col("Node Selector"), ageCol
            ]
        case "statefulsets":
            return [name, col("Ready"), ageCol]
        case "services":
            return [name, col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), ageCol]
        case "namespaces":
            return [name, col("Status"), ageCol]
        default:
            return kindColumns(r) ?? [name, ageCol]
        }
    }

    static func i(_ v: Value?) -> Value { .int(v?.intValue ?? 0) }

    static func cells(_ r: SimResource, _ o: Value) -> [Value] {
        let name = o[path: ["metadata", "name"]] ?? ""
        let ageText = Value.string(age(o[path: ["metadata", "creationTimestamp"]]?.str))
        switch r.name {
        case "pods":
            let statuses = o[path: ["status", "containerStatuses"]]?.list ?? []
            let total = o[path: ["spec", "containers"]]?.list.count ?? 0
            let ready = statuses.filter { $0["ready"]?.boolValue == true }.count
            let restarts = statuses.reduce(Int64(0)) { $0 + ($1["restartCount"]?.intValue ?? 0) }
            var reason = o[path: ["status", "phase"]]?.str ?? "Pending"
            for c in statuses {
                if let w = c[path: ["state", "waiting", "reason"]]?.str {
                    reason = w
                } else if let t = c[path: ["state", "terminated", "reason"]]?.str {
                    reason = t
                }
            }
            if o[path: ["metadata", "deletionTimestamp"]] != nil { reason = "Terminating" }
            return [
                name, .string("\(ready)/\(total)"), .string(reason), .string(String(restarts)), ageText,
                o[path: ["status", "podIP"]] ?? "<none>", o[path: ["spec", "nodeName"]] ?? "<none>", "<none>", "<none>"
            ]
        case "nodes":
            let ready = (o[path: ["status", "conditions"]]?.list ?? []).first { $0["type"]?.str == "Ready" }?["status"]?.str == "True"
            var status = ready ? "Ready" : "NotReady"
            if o[path: ["spec", "unschedulable"]]?.boolValue == true { status += ",SchedulingDisabled" }
            let roles = (o[path: ["metadata", "labels"]]?.mapValue ?? [:]).keys
                .filter { $0.hasPrefix("node-role.kubernetes.io/") }.map { String($0.dropFirst("node-role.kubernetes.io/".count)) }
            let ip = (o[path: ["status", "addresses"]]?.list ?? []).first { $0["type"]?.str == "InternalIP" }?["address"] ?? "<none>"
            return [
                name, .string(status), .string(roles.isEmpty ? "<none>" : roles.joined(separator: ",")), ageText,
                o[path: ["status", "nodeInfo", "kubeletVersion"]] ?? "", ip, "<none>",
                o[path: ["status", "nodeInfo", "osImage"]] ?? "", o[path: ["status", "nodeInfo", "kernelVersion"]] ?? "",
                o[path: ["status", "nodeInfo", "containerRuntimeVersion"]] ?? ""
            ]
        case "deployments":
            return [
                name, .string("\(o[path: ["status", "readyReplicas"]]?.intValue ?? 0)/\(o[path: ["spec", "replicas"]]?.intValue ?? 0)"),
                i(o[path: ["status", "updatedReplicas"]]), i(o[path: ["status", "availableReplicas"]]), ageText
            ]
        case "daemonsets":
            let sel = (o[path: ["spec", "template", "spec", "nodeSelector"]]?.stringMap ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return [
                name, i(o[path: ["status", "desiredNumberScheduled"]]), i(o[path: ["status", "currentNumberScheduled"]]), i(o[path: ["status", "numberReady"]]),
                i(o[path: ["status", "updatedNumberScheduled"]]), i(o[path: ["status", "numberAvailable"]]),
                .string(sel.isEmpty ? "<none>" : sel.joined(separator: ",")), ageText
            ]
        case "statefulsets":
            return [name, .string("\(o[path: ["status", "readyReplicas"]]?.intValue ?? 0)/\(o[path: ["spec", "replicas"]]?.intValue ?? 0)"), ageText]
        case "services":
            let ports = (o[path: ["spec", "ports"]]?.list ?? []).map { "\($0["port"]?.intValue ?? 0)/\($0["protocol"]?.str ?? "TCP")" }
            return [
                name, o[path: ["spec", "type"]] ?? "ClusterIP", o[path: ["spec", "clusterIP"]] ?? "<none>", "<none>",
                .string(ports.isEmpty ? "<none>" : ports.joined(separator: ",")), ageText
            ]
        case "namespaces":
            return [name, o[path: ["status", "phase"]] ?? "Active", ageText]
        default:
            return kindCells(r, o) ?? [name, ageText]
        }
    }

    static func table(_ r: SimResource, _ items: [Value], includeObject: String?) -> Value {
        let rows = items.map { o -> Value in
            let object: Value
            switch includeObject {
            case "None": object = .null
            case "Object": object = o
            default:
                object = .map(["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"] ?? .map([:])])
            }
            var row: OrderedDictionary<String, Value> = ["cells": .list(cells(r, o))]
            if !object.isNull { row["object"] = object }
            return .map(row)
        }
        return .map([
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .map([:]),
            "columnDefinitions": .list(columns(r)), "rows": .list(rows)
        ])
    }
}
