import OrderedCollections
import Strategy
import YAML

/// The kind cluster config for a strategy's node layout. Extra taints go through kubeadm patches
/// because kind's node schema has labels but no taints.
public enum KindConfig {
    public static func render(_ cluster: ClusterLayout) -> String {
        var nodes: [Value] = []
        for n in cluster.nodes {
            var m: OrderedDictionary<String, Value> = ["role": .string(n.role.rawValue)]
            if !n.labels.isEmpty {
                m["labels"] = .map(OrderedDictionary(uniqueKeysWithValues: n.labels.sorted { $0.key < $1.key }.map { ($0.key, Value.string($0.value)) }))
            }
            if !n.taints.isEmpty {
                let kind = n.role == .controlPlane ? "InitConfiguration" : "JoinConfiguration"
                let taints = n.taints.map { t -> Value in
                    var tm: OrderedDictionary<String, Value> = ["key": .string(t.key), "effect": .string(t.effect)]
                    if !t.value.isEmpty { tm["value"] = .string(t.value) }
                    return .map(tm)
                }
                let patch: Value = .map(["kind": .string(kind), "nodeRegistration": .map(["taints": .list(taints)])])
                m["kubeadmConfigPatches"] = .list([.string(YAML.emit(patch))])
            }
            nodes.append(.map(m))
        }
        let config: Value = .map([
            "kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4",
            "name": .string(cluster.name), "nodes": .list(nodes)
        ])
        return "# kind cluster for slimctl (cluster \(cluster.name))\n" + YAML.emit(config)
    }
}
