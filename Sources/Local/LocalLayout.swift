import Foundation
import Placement
import Plan
import Strategy
import YAML

/// Where things run on the local target, computed with the same rules Kubernetes uses: the
/// strategy's kind nodes, DaemonSet placement for DaemonSets, ordinals for StatefulSets.
public enum LocalLayout {
    /// The simulated nodes, as kind would create them, plus the strategy's extra labels and taints.
    public static func nodes(_ cluster: ClusterLayout) -> [NodeInfo] {
        let roles = cluster.nodes.map { $0.role == .controlPlane ? NodeRole.controlPlane : NodeRole.worker }
        var base = Dictionary(uniqueKeysWithValues: Placement.kindNodes(clusterName: cluster.name, roles: roles).map { ($0.name, $0) })
        var out: [NodeInfo] = []
        for (spec, named) in zip(cluster.nodes, LocalNames.nodes(cluster)) {
            guard var node = base.removeValue(forKey: named.name) else { continue }
            for (k, v) in spec.labels { node.labels[k] = v }
            for t in spec.taints {
                node.taints.append(Taint(key: t.key, value: t.value, effect: TaintEffect(rawValue: t.effect) ?? .noSchedule))
            }
            out.append(node)
        }
        return out
    }

    /// A pod template's placement fields (`nodeSelector`, `tolerations`, required node affinity).
    public static func placementSpec(_ podSpec: Value?) -> PodPlacementSpec {
        var spec = PodPlacementSpec()
        guard let podSpec else { return spec }
        if case .map(let sel)? = podSpec["nodeSelector"] {
            for (k, v) in sel { spec.nodeSelector[k] = v.stringValue ?? "" }
        }
        if let tol = podSpec["tolerations"], case .list = tol, let data = tol.jsonString().data(using: .utf8) {
            spec.tolerations = (try? JSONDecoder().decode([Toleration].self, from: data)) ?? []
        }
        if let req = podSpec["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"],
            let data = req.jsonString().data(using: .utf8)
        {
            spec.requiredAffinity = try? JSONDecoder().decode(NodeAffinity.self, from: data)
        }
        spec.hostNetwork = podSpec["hostNetwork"]?.boolValue ?? false
        return spec
    }

    /// The chart-level placement values of the SLIM chart (`nodeSelector`, `tolerations`, `affinity`),
    /// which it copies into the pod template.
    public static func slimPlacement(values: Value) -> PodPlacementSpec {
        placementSpec(
            .map([
                "nodeSelector": values["nodeSelector"] ?? .emptyMap,
                "tolerations": values["tolerations"] ?? .list([]),
                "affinity": values["affinity"] ?? .emptyMap
            ]))
    }

    /// Kubernetes-looking pod suffix, stable per (workload, node) so re-runs give the same names.
    public static func podName(_ workload: String, node: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var h = UInt64(Hash.fnv1a(workload + "/" + node), radix: 16) ?? 0
        var s = ""
        for _ in 0..<5 { s.append(alphabet[Int(h % UInt64(alphabet.count))]); h /= UInt64(alphabet.count) }
        return "\(workload)-\(s)"
    }
}
