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
    /// Discovery categories (`kubectl get all`); custom resources take theirs from the CRD.
    public var categories: [String] = []

    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    var verbs: [String] {
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }

    /// The discovery entry in the shape of `APIResource` (metav1).
    var discoveryEntry: Value {
        var m: OrderedDictionary<String, Value> = [
            "name": .string(name), "singularName": .string(singular), "namespaced": .bool(namespaced),
            "kind": .string(kind), "verbs": .list(verbs.map(Value.string))
        ]
        if !shortNames.isEmpty { m["shortNames"] = .list(shortNames.map(Value.string)) }
        if !categories.isEmpty { m["categories"] = .list(categories.map(Value.string)) }
        m["storageVersionHash"] = .string(String(SimID.hash(.string(groupVersion + kind)).prefix(11)))
        return .map(m)
    }
}

/// The API as kube-apiserver 1.33 serves it, for the kinds slimctl and the real charts it
/// installs use. Custom resources are added per cluster as their CRDs become Established, so
/// every look-up takes the served list rather than reading `all`.
enum SimCatalog {
    static let all: [SimResource] = [
        .init(group: "", version: "v1", name: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false, shortNames: ["ns"]),
        .init(group: "", version: "v1", name: "nodes", singular: "node", kind: "Node", namespaced: false, shortNames: ["no"]),
        .init(group: "", version: "v1", name: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: ["po"], categories: ["all"]),
        .init(group: "", version: "v1", name: "services", singular: "service", kind: "Service", namespaced: true, shortNames: ["svc"], categories: ["all"]),
        .init(group: "", version: "v1", name: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true, shortNames: ["cm"]),
        .init(group: "", version: "v1", name: "serviceaccounts", singular: "serviceaccount", kind: "ServiceAccount", namespaced: true, shortNames: ["sa"]),
        .init(group: "", version: "v1", name: "secrets", singular: "secret", kind: "Secret", namespaced: true, shortNames: []),
        .init(group: "", version: "v1", name: "events", singular: "event", kind: "Event", namespaced: true, shortNames: ["ev"]),
        .init(
            group: "", version: "v1", name: "persistentvolumeclaims", singular: "persistentvolumeclaim", kind: "PersistentVolumeClaim", namespaced: true,
            shortNames: ["pvc"]),
        .init(
            group: "", version: "v1", name: "persistentvolumes", singular: "persistentvolume", kind: "PersistentVolume", namespaced: false, shortNames: ["pv"]),
        .init(
            group: "apps", version: "v1", name: "daemonsets", singular: "daemonset", kind: "DaemonSet", namespaced: true, shortNames: ["ds"],
            categories: ["all"]),
        .init(
            group: "apps", version: "v1", name: "statefulsets", singular: "statefulset", kind: "StatefulSet", namespaced: true, shortNames: ["sts"],
            categories: ["all"]),
        .init(
            group: "apps", version: "v1", name: "deployments", singular: "deployment", kind: "Deployment", namespaced: true, shortNames: ["deploy"],
            categories: ["all"]),
        .init(
            group: "apps", version: "v1", name: "replicasets", singular: "replicaset", kind: "ReplicaSet", namespaced: true, shortNames: ["rs"],
            categories: ["all"]),
        .init(
            group: "apps", version: "v1", name: "controllerrevisions", singular: "controllerrevision", kind: "ControllerRevision", namespaced: true,
            shortNames: []),
        .init(
            group: "autoscaling", version: "v2", name: "horizontalpodautoscalers", singular: "horizontalpodautoscaler", kind: "HorizontalPodAutoscaler",
            namespaced: true, shortNames: ["hpa"], categories: ["all"]),
        .init(group: "batch", version: "v1", name: "jobs", singular: "job", kind: "Job", namespaced: true, shortNames: []),
        .init(group: "networking.k8s.io", version: "v1", name: "ingresses", singular: "ingress", kind: "Ingress", namespaced: true, shortNames: ["ing"]),
        .init(
            group: "networking.k8s.io", version: "v1", name: "networkpolicies", singular: "networkpolicy", kind: "NetworkPolicy", namespaced: true,
            shortNames: ["netpol"]),
        .init(
            group: "policy", version: "v1", name: "poddisruptionbudgets", singular: "poddisruptionbudget", kind: "PodDisruptionBudget", namespaced: true,
            shortNames: ["pdb"]),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", name: "clusterrolebindings", singular: "clusterrolebinding", kind: "ClusterRoleBinding",
            namespaced: false, shortNames: []),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", name: "clusterroles", singular: "clusterrole", kind: "ClusterRole", namespaced: false,
            shortNames: []),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", name: "rolebindings", singular: "rolebinding", kind: "RoleBinding", namespaced: true,
            shortNames: []),
        .init(group: "rbac.authorization.k8s.io", version: "v1", name: "roles", singular: "role", kind: "Role", namespaced: true, shortNames: []),
        .init(group: "storage.k8s.io", version: "v1", name: "csidrivers", singular: "csidriver", kind: "CSIDriver", namespaced: false, shortNames: []),
        .init(
            group: "storage.k8s.io", version: "v1", name: "storageclasses", singular: "storageclass", kind: "StorageClass", namespaced: false,
            shortNames: ["sc"]),
        .init(
            group: "admissionregistration.k8s.io", version: "v1", name: "mutatingwebhookconfigurations", singular: "mutatingwebhookconfiguration",
            kind: "MutatingWebhookConfiguration", namespaced: false, shortNames: []),
        .init(
            group: "admissionregistration.k8s.io", version: "v1", name: "validatingwebhookconfigurations", singular: "validatingwebhookconfiguration",
            kind: "ValidatingWebhookConfiguration", namespaced: false, shortNames: []),
        .init(
            group: "apiextensions.k8s.io", version: "v1", name: "customresourcedefinitions", singular: "customresourcedefinition",
            kind: "CustomResourceDefinition", namespaced: false, shortNames: ["crd", "crds"]),
        .init(
            group: "discovery.k8s.io", version: "v1", name: "endpointslices", singular: "endpointslice", kind: "EndpointSlice", namespaced: true, shortNames: []
        )
    ]

    static func resource(_ served: [SimResource], groupVersion: String, name: String) -> SimResource? {
        served.first { $0.groupVersion == groupVersion && $0.name == name }
    }

    static func knownGroupVersion(_ served: [SimResource], _ gv: String) -> Bool { served.contains { $0.groupVersion == gv } }

    /// Group names in serving order, each with its versions (preferred first).
    static func groups(_ served: [SimResource]) -> [(name: String, versions: [String])] {
        var out: [(name: String, versions: [String])] = []
        for r in served where !r.group.isEmpty {
            if let i = out.firstIndex(where: { $0.name == r.group }) {
                if !out[i].versions.contains(r.version) { out[i].versions.append(r.version) }
            } else {
                out.append((r.group, [r.version]))
            }
        }
        return out.map { ($0.name, $0.versions.sorted(by: SimVersions.morePreferred)) }
    }

    static func apiVersions(serverAddress: String) -> Value {
        .map([
            "kind": "APIVersions", "versions": .list(["v1"]),
            "serverAddressByClientCIDRs": .list([.map(["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)])])
        ])
    }

    static func groupValue(_ g: (name: String, versions: [String])) -> Value {
        let gvs = g.versions.map { Value.map(["groupVersion": .string("\(g.name)/\($0)"), "version": .string($0)]) }
        return .map(["name": .string(g.name), "versions": .list(gvs), "preferredVersion": gvs.first ?? .null])
    }

    static func groupList(_ served: [SimResource]) -> Value {
        .map(["kind": "APIGroupList", "apiVersion": "v1", "groups": .list(groups(served).map(groupValue))])
    }

    static func group(_ served: [SimResource], _ name: String) -> Value? {
        guard let g = groups(served).first(where: { $0.name == name }), case .map(var m) = groupValue(g) else { return nil }
        m["kind"] = "APIGroup"
        m["apiVersion"] = "v1"
        return .map(m)
    }

    static func resourceList(_ served: [SimResource], groupVersion: String) -> Value? {
        let rs = served.filter { $0.groupVersion == groupVersion }
        guard !rs.isEmpty else { return nil }
        var entries: [Value] = []
        for r in rs {
            entries.append(r.discoveryEntry)
            if r.group == "apps", ["deployments", "replicasets", "statefulsets"].contains(r.name) {
                entries.append(
                    .map([
                        "name": .string("\(r.name)/scale"), "singularName": "", "namespaced": true, "group": "autoscaling",
                        "version": "v1", "kind": "Scale", "verbs": .list(["get", "patch", "update"])
                    ]))
            }
        }
        if groupVersion == "v1" {
            entries.append(.map(["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": .list(["get"])]))
        }
        return .map(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .list(entries)])
    }
}

/// Kubernetes version priority (`v1` > `v1beta2` > `v1beta1` > `v1alpha1` > anything else),
/// which decides a group's preferred version in discovery.
enum SimVersions {
    static func rank(_ v: String) -> (Int, Int, Int, String) {
        let scanner = v.dropFirst()
        guard v.hasPrefix("v"), let major = Int(scanner.prefix { $0.isNumber }) else { return (0, 0, 0, v) }
        let rest = scanner.drop { $0.isNumber }
        if rest.isEmpty { return (3, major, 0, v) }
        for (stage, weight) in [("beta", 2), ("alpha", 1)] where rest.hasPrefix(stage) {
            if let minor = Int(rest.dropFirst(stage.count)) { return (weight, major, minor, v) }
        }
        return (0, 0, 0, v)
    }

    static func morePreferred(_ a: String, _ b: String) -> Bool {
        let x = rank(a), y = rank(b)
        if (x.0, x.1, x.2) != (y.0, y.1, y.2) { return (x.0, x.1, x.2) > (y.0, y.1, y.2) }
        return x.3 < y.3
    }
}
