import Foundation
import Plan
import YAML

extension LocalLayout {
    /// What the slim chart would render for a release, read from its values the way each chart
    /// generation reads them, so the local processes, names and Services match the cluster's.
    public struct SlimRelease: Sendable {
        /// The two chart families: 1.x (`slim.daemonset`, node id from `SLIM_SVC_ID`, a `-local`
        /// Service in DaemonSet mode) and 2.x (`slim.deploymentMode`, `SLIM_NODE_ID`, one Service
        /// that is node-local in DaemonSet mode).
        public enum Shape: String, Sendable { case v1, v2 }
        public enum Workload: String, Sendable { case daemonSet = "DaemonSet", statefulSet = "StatefulSet", deployment = "Deployment" }

        public var release: String
        public var fullname: String
        public var namespace: String
        public var shape: Shape
        public var workload: Workload
        public var replicas: Int
        public var dataPort: Int
        /// The SLIM release that would run (`slim.image.tag`, else the chart's appVersion) and where that came from.
        public var slimVersion: String?
        public var slimVersionOrigin: String
        /// The chart's selector labels: a Service selecting them reaches these SLIM pods.
        public var selectorLabels: [String: String]

        public var daemonSet: Bool { workload == .daemonSet }

        /// The Services the chart itself renders, and how they route.
        public var chartServices: [(name: String, routing: ServiceMap.Routing)] {
            switch shape {
            case .v1: return [(fullname, .anyNode)] + (daemonSet ? [(fullname + "-local", .nodeLocal)] : [])
            case .v2: return [(fullname, daemonSet ? .nodeLocal : .anyNode)]
            }
        }

        /// The environment the chart's pod template gives the SLIM container (the node config
        /// reads its node id from it), for a pod on `node`. `MY_POD_IP` is loopback locally.
        public func environment(pod: String, node: String) -> [String: String] {
            switch shape {
            case .v2: return ["SLIM_NODE_ID": pod, "MY_POD_IP": "127.0.0.1"]
            case .v1: return ["SLIM_SVC_ID": daemonSet ? node : pod, "MY_POD_IP": "127.0.0.1"]
            }
        }

        /// Pod names as the workload controller would give them.
        public func podNames(nodes: [String]) -> [(pod: String, node: String)] {
            switch workload {
            case .daemonSet: return nodes.map { (LocalLayout.podName(fullname, node: $0), $0) }
            case .statefulSet:
                return (0..<replicas).map { ("\(fullname)-\($0)", nodes.isEmpty ? "" : nodes[$0 % nodes.count]) }
            case .deployment:
                return (0..<replicas).map {
                    (LocalLayout.podName("\(fullname)-\(Hash.fnv1a(release).prefix(9))", node: "\($0)"), nodes.isEmpty ? "" : nodes[$0 % nodes.count])
                }
            }
        }
    }

    public static func slimRelease(_ r: RenderedRelease) -> SlimRelease? {
        slimRelease(
            values: r.values, release: r.release, namespace: r.namespace, chartVersion: r.chart.version,
            tagOrigin: r.origin(of: ["slim", "image", "tag"])?.name)
    }

    /// - Parameter tagOrigin: the values layer that set `slim.image.tag`, for messages.
    public static func slimRelease(values v: Value, release: String, namespace: String, chartVersion: String, tagOrigin: String? = nil) -> SlimRelease? {
        guard v.lookup(["slim", "config"]) != nil else { return nil }
        let shape: SlimRelease.Shape
        if v.lookup(["slim", "deploymentMode"]) != nil {
            shape = .v2
        } else if v.lookup(["slim", "daemonset"]) != nil {
            shape = .v1
        } else {
            let parts = chartVersion.split(separator: ".").compactMap { Int($0) }
            shape = (parts.first ?? 0) >= 2 || (parts.count > 1 && parts[0] == 1 && parts[1] >= 5) ? .v2 : .v1
        }
        // Chart defaults when unset: 2.x "Deployment", 1.x `daemonset: false` (StatefulSet).
        let workload: SlimRelease.Workload
        switch shape {
        case .v2: workload = v.lookup(["slim", "deploymentMode"])?.stringValue == "DaemonSet" ? .daemonSet : .deployment
        case .v1: workload = v.lookup(["slim", "daemonset"])?.boolValue == true ? .daemonSet : .statefulSet
        }
        let name = nonEmpty(v["nameOverride"]?.stringValue) ?? "slim"
        let fullname = nonEmpty(v["fullnameOverride"]?.stringValue) ?? (release.contains(name) ? release : "\(release)-\(name)")
        let replicas = Int(v.lookup(["slim", "replicaCount"])?.intValue ?? 1)
        let data = v.lookup(["slim", "service", "data"])
        let port = data?.listValue?.first?["port"]?.intValue ?? data?["port"]?.intValue ?? 46357
        var version: String?
        var origin: String
        if let tag = nonEmpty(v.lookup(["slim", "image", "tag"])?.stringValue ?? v.lookup(["slim", "image", "tag"]).flatMap(AppCommandBuilder.scalarText)) {
            version = tag
            origin = "slim.image.tag of release \(release)" + (tagOrigin.map { ", from \($0)" } ?? "")
        } else {
            version = BindingsPairing.chartAppVersions[chartVersion]
            origin = "appVersion of the slim chart \(chartVersion)"
        }
        return SlimRelease(
            release: release, fullname: String(fullname.prefix(63)), namespace: namespace, shape: shape, workload: workload,
            replicas: max(replicas, 0), dataPort: Int(port), slimVersion: version, slimVersionOrigin: origin,
            selectorLabels: ["app.kubernetes.io/name": name, "app.kubernetes.io/instance": release])
    }

    /// The bindings pairing for the strategy's SLIM release (the primary one when several).
    /// Throws `BindingsPairing.Unsupported` for a release the local target cannot run.
    public static func bindings(_ rendered: Rendered) throws -> BindingsPairing? {
        guard let slim = rendered.releases.compactMap(slimRelease).first else { return nil }
        guard let version = slim.slimVersion else {
            throw BindingsPairing.Unsupported(
                slimRelease: "(unknown)", origin: "release \(slim.release) sets no slim.image.tag and its chart version is not one slimctl knows")
        }
        return try BindingsPairing.forRelease(version, origin: slim.slimVersionOrigin)
    }

    static func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
}
