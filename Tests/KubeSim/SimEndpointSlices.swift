import OrderedCollections
import YAML

/// The EndpointSlice controller: for each Service with a selector, slices owned by the Service
/// list the selected pods that have an IP, with their readiness, node, target and the ports the
/// Service's targetPorts resolve to in each pod (named ports by container port name). Like the
/// real controller it keeps endpoints in the slice they are in, fills slices up to 100
/// endpoints before opening another, groups pods whose ports resolve differently into
/// separate slices, and leaves one empty placeholder slice for a Service without endpoints.
/// Only namespaces where a pod, Service or slice changed are looked at again.
extension SimCluster {
    static let serviceNameLabel = "kubernetes.io/service-name"
    static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    static let sliceController = "endpointslice-controller.k8s.io"
    static let maxEndpointsPerSlice = 100

    func noteEndpointsChange(_ r: SimResource, _ obj: Value) {
        guard r.group.isEmpty ? (r.name == "pods" || r.name == "services") : r.name == "endpointslices" else { return }
        endpointsDirty.insert(obj[path: ["metadata", "namespace"]]?.str ?? "")
    }

    func reconcileEndpointSlices() {
        let dirty = endpointsDirty
        endpointsDirty = []
        for ns in dirty.sorted() {
            let pods = allLocked(Self.res("pods"), namespace: ns)
            let slices = allLocked(Self.res("endpointslices"), namespace: ns)
            for svc in allLocked(Self.res("services"), namespace: ns) {
                guard let selector = svc[path: ["spec", "selector"]]?.stringMap, !selector.isEmpty,
                    svc[path: ["spec", "type"]]?.str != "ExternalName"
                else { continue }
                let match = LabelSelector(matchLabels: selector)
                let selected = pods.filter { match.matches($0[path: ["metadata", "labels"]]?.stringMap ?? [:]) }
                let owned = slices.filter {
                    $0[path: ["metadata", "labels", Self.managedByLabel]]?.str == Self.sliceController
                        && ($0[path: ["metadata", "ownerReferences"]]?.list ?? []).contains { $0["uid"] == svc[path: ["metadata", "uid"]] }
                }
                syncSlices(svc, pods: selected, existing: owned)
            }
        }
    }

    /// The endpoint a pod contributes, nil while it has no IP or has finished.
    static func endpoint(_ pod: Value, service svc: Value) -> Value? {
        guard let ip = pod[path: ["status", "podIP"]]?.str, !ip.isEmpty,
            !["Succeeded", "Failed"].contains(pod[path: ["status", "phase"]]?.str ?? "")
        else { return nil }
        let terminating = isTerminating(pod)
        let podReady = (pod[path: ["status", "conditions"]]?.list ?? []).contains { $0["type"]?.str == "Ready" && $0["status"]?.str == "True" }
        let publishNotReady = svc[path: ["spec", "publishNotReadyAddresses"]]?.boolValue == true
        var e: OrderedDictionary<String, Value> = [
            "addresses": .list([.string(ip)]),
            "conditions": .map([
                "ready": .bool(publishNotReady || (podReady && !terminating)), "serving": .bool(publishNotReady || podReady),
                "terminating": .bool(terminating)
            ])
        ]
        if let host = pod[path: ["spec", "hostname"]]?.str, pod[path: ["spec", "subdomain"]] == svc[path: ["metadata", "name"]] {
            e["hostname"] = .string(host)
        }
        if let node = pod[path: ["spec", "nodeName"]]?.str { e["nodeName"] = .string(node) }
        e["targetRef"] = .map([
            "kind": "Pod", "namespace": pod[path: ["metadata", "namespace"]] ?? "", "name": pod[path: ["metadata", "name"]] ?? "",
            "uid": pod[path: ["metadata", "uid"]] ?? ""
        ])
        return .map(e)
    }

    /// The Service's ports as this pod serves them; a named targetPort the pod lacks is left out.
    static func ports(_ svc: Value, pod: Value) -> Value {
        let containerPorts = (pod[path: ["spec", "containers"]]?.list ?? []).flatMap { $0["ports"]?.list ?? [] }
        return .list(
            (svc[path: ["spec", "ports"]]?.list ?? []).compactMap { sp -> Value? in
                let proto = sp["protocol"]?.str ?? "TCP"
                let number: Int64?
                switch sp["targetPort"] ?? sp["port"] {
                case .string(let name)?:
                    number = containerPorts.first { $0["name"]?.str == name && ($0["protocol"]?.str ?? "TCP") == proto }?["containerPort"]?.intValue
                case let v?: number = v.intValue
                case nil: number = nil
                }
                guard let number else { return nil }
                var p: OrderedDictionary<String, Value> = ["name": sp["name"] ?? "", "port": .int(number), "protocol": .string(proto)]
                if let app = sp["appProtocol"] { p["appProtocol"] = app }
                return .map(p)
            })
    }

    func syncSlices(_ svc: Value, pods: [Value], existing: [Value]) {
        let ns = svc[path: ["metadata", "namespace"]]?.str ?? ""
        // Desired endpoints by pod uid, grouped by the ports they resolve to.
        var desired: [String: (endpoint: Value, ports: Value)] = [:]
        var order: [String] = []
        for pod in pods {
            guard let e = Self.endpoint(pod, service: svc), let uid = pod[path: ["metadata", "uid"]]?.str else { continue }
            desired[uid] = (e, Self.ports(svc, pod: pod))
            order.append(uid)
        }
        var placed = Set<String>()
        var slices: [(name: String?, ports: Value, endpoints: [Value])] = []
        for s in existing {
            let ports = s["ports"] ?? .list([])
            let kept = (s["endpoints"]?.list ?? []).compactMap { e -> Value? in
                guard let uid = e[path: ["targetRef", "uid"]]?.str, let d = desired[uid], d.ports == ports, !placed.contains(uid) else { return nil }
                placed.insert(uid)
                return d.endpoint
            }
            slices.append((s[path: ["metadata", "name"]]?.str, ports, kept))
        }
        for uid in order where !placed.contains(uid) {
            guard let d = desired[uid] else { continue }
            if let i = slices.firstIndex(where: {
                $0.ports == d.ports && $0.endpoints.count < Self.maxEndpointsPerSlice && !($0.endpoints.isEmpty && $0.ports.list.isEmpty)
            }) {
                slices[i].endpoints.append(d.endpoint)
            } else if let i = slices.firstIndex(where: { $0.endpoints.isEmpty }) {
                slices[i].ports = d.ports
                slices[i].endpoints = [d.endpoint]
            } else {
                slices.append((nil, d.ports, [d.endpoint]))
            }
        }
        // Empty slices go, except one placeholder when nothing is left.
        let nonEmpty = slices.filter { !$0.endpoints.isEmpty }
        var keep = nonEmpty
        if nonEmpty.isEmpty { keep = [(slices.first?.name, .list([]), [])] }
        let keptNames = Set(keep.compactMap(\.name))
        for s in existing where !keptNames.contains(s[path: ["metadata", "name"]]?.str ?? "") {
            removeLocked(Self.res("endpointslices"), s, propagation: nil)
        }
        for s in keep { writeSlice(svc, namespace: ns, name: s.name, ports: s.ports, endpoints: s.endpoints, existing: existing) }
    }

    func writeSlice(_ svc: Value, namespace ns: String, name: String?, ports: Value, endpoints: [Value], existing: [Value]) {
        let r = Self.res("endpointslices")
        let svcName = svc[path: ["metadata", "name"]]?.str ?? ""
        var labels = svc[path: ["metadata", "labels"]]?.mapValue ?? [:]
        labels[Self.serviceNameLabel] = .string(svcName)
        labels[Self.managedByLabel] = .string(Self.sliceController)
        if svc[path: ["spec", "clusterIP"]]?.str == "None" { labels["service.kubernetes.io/headless"] = "" }
        if let name, var live = existing.first(where: { $0[path: ["metadata", "name"]]?.str == name }) {
            var changed = live
            changed[path: ["metadata", "labels"]] = .map(labels)
            changed[path: ["endpoints"]] = .list(endpoints)
            changed[path: ["ports"]] = ports.list.isEmpty ? nil : ports
            guard changed != live else { return }
            live = changed
            updateLocked(r, live)
            return
        }
        var slice: OrderedDictionary<String, Value> = [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": .map([
                "generateName": .string(svcName + "-"), "namespace": .string(ns), "labels": .map(labels),
                "ownerReferences": .list([
                    .map([
                        "apiVersion": "v1", "kind": "Service", "name": .string(svcName),
                        "uid": svc[path: ["metadata", "uid"]] ?? "", "controller": true, "blockOwnerDeletion": true
                    ])
                ])
            ]),
            "addressType": .string((svc[path: ["spec", "ipFamilies"]]?.list.first?.str == "IPv6") ? "IPv6" : "IPv4"),
            "endpoints": .list(endpoints)
        ]
        if !ports.list.isEmpty { slice["ports"] = ports }
        _ = try? createLocked(r, namespace: ns, object: .map(slice), manager: Self.sliceController)
    }
}
