import OrderedCollections
import YAML

/// One API resource the simulator serves, with the fields discovery publishes.
public struct SimResource: Sendable, Hashable {
    public let group: String
    public let version: String
    public let name: String
    public let singular: String
    public let kind: String
    public let namespaced: Bool
    public let shortNames: [String]

    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    var verbs: [String] {
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }

    /// The discovery entry in the shape of `APIResource` (metav1).
    var discoveryEntry: Value {
        var m: OrderedDictionary<String, Value> = [
            "name": .string(name), "singularName": .string(singular), "namespaced": .bool(namespaced),
            "kind": .string(kind), "verbs": .list(verbs.map(Value.string)),
        ]
        if !shortNames.isEmpty { m["shortNames"] = .list(shortNames.map(Value.string)) }
        if name == "pods" || name == "deployments" || name == "daemonsets" || name == "statefulsets" {
            m["categories"] = .list([.string("all")])
        }
        m["storageVersionHash"] = .string(String(SimID.hash(.string(groupVersion + kind)).prefix(11)))
        return .map(m)
    }
}

enum SimCatalog {
    static let all: [SimResource] = [
        .init(group: "", version: "v1", name: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false, shortNames: ["ns"]),
        .init(group: "", version: "v1", name: "nodes", singular: "node", kind: "Node", namespaced: false, shortNames: ["no"]),
        .init(group: "", version: "v1", name: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: ["po"]),
        .init(group: "", version: "v1", name: "services", singular: "service", kind: "Service", namespaced: true, shortNames: ["svc"]),
        .init(group: "", version: "v1", name: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true, shortNames: ["cm"]),
        .init(group: "", version: "v1", name: "serviceaccounts", singular: "serviceaccount", kind: "ServiceAccount", namespaced: true, shortNames: ["sa"]),
        .init(group: "", version: "v1", name: "secrets", singular: "secret", kind: "Secret", namespaced: true, shortNames: []),
        .init(group: "", version: "v1", name: "events", singular: "event", kind: "Event", namespaced: true, shortNames: ["ev"]),
        .init(group: "apps", version: "v1", name: "daemonsets", singular: "daemonset", kind: "DaemonSet", namespaced: true, shortNames: ["ds"]),
        .init(group: "apps", version: "v1", name: "statefulsets", singular: "statefulset", kind: "StatefulSet", namespaced: true, shortNames: ["sts"]),
        .init(group: "apps", version: "v1", name: "deployments", singular: "deployment", kind: "Deployment", namespaced: true, shortNames: ["deploy"]),
        .init(group: "apps", version: "v1", name: "controllerrevisions", singular: "controllerrevision", kind: "ControllerRevision", namespaced: true, shortNames: []),
        .init(group: "batch", version: "v1", name: "jobs", singular: "job", kind: "Job", namespaced: true, shortNames: []),
    ]

    static let groups: [(name: String, version: String)] = [("apps", "v1"), ("batch", "v1")]

    static func resource(groupVersion: String, name: String) -> SimResource? {
        all.first { $0.groupVersion == groupVersion && $0.name == name }
    }

    static func resource(apiVersion: String, kind: String) -> SimResource? {
        all.first { $0.groupVersion == apiVersion && $0.kind == kind }
    }

    static func knownGroupVersion(_ gv: String) -> Bool { all.contains { $0.groupVersion == gv } }

    static func apiVersions(serverAddress: String) -> Value {
        .map([
            "kind": "APIVersions", "versions": .list(["v1"]),
            "serverAddressByClientCIDRs": .list([.map(["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)])]),
        ])
    }

    static func groupList() -> Value {
        let groups = Self.groups.map { g -> Value in
            let gv = Value.map(["groupVersion": .string("\(g.name)/\(g.version)"), "version": .string(g.version)])
            return .map(["name": .string(g.name), "versions": .list([gv]), "preferredVersion": gv])
        }
        return .map(["kind": "APIGroupList", "apiVersion": "v1", "groups": .list(groups)])
    }

    static func group(_ name: String) -> Value? {
        guard let g = groups.first(where: { $0.name == name }) else { return nil }
        let gv = Value.map(["groupVersion": .string("\(g.name)/\(g.version)"), "version": .string(g.version)])
        return .map(["kind": "APIGroup", "apiVersion": "v1", "name": .string(g.name), "versions": .list([gv]), "preferredVersion": gv])
    }

    static func resourceList(groupVersion: String) -> Value? {
        let rs = all.filter { $0.groupVersion == groupVersion }
        guard !rs.isEmpty else { return nil }
        var entries = rs.map(\.discoveryEntry)
        if groupVersion == "v1" {
            entries.append(.map(["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": .list(["get"])]))
        }
        return .map(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .list(entries)])
    }
}
