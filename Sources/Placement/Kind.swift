/// The nodes a kind cluster starts with, so the local target simulates the same cluster the kind
/// target would create, and tests share one definition.

/// A node role as spelled in a kind cluster config (`nodes[].role`).
public enum NodeRole: String, Sendable, Hashable, Codable, CaseIterable {
    case controlPlane = "control-plane"
    case worker
}

extension Placement {
    /// The Ready nodes kind creates for `roles` (config order), listed by name as the API
    /// server lists them.
    ///
    /// Names follow kind's `MakeNodeNamer` (pkg/cluster/internal/providers/common/namer.go):
    /// `<cluster>-<role>` for the first node of a role, then `<cluster>-<role>2`, `3`, ...
    /// Every node carries the kubelet's labels (`kubernetes.io/hostname`, `kubernetes.io/os`,
    /// `kubernetes.io/arch` and their `beta.` twins). Control-plane nodes get what
    /// `kubeadm init`/`join` marks them with: labels `node-role.kubernetes.io/control-plane=""` and
    /// `node.kubernetes.io/exclude-from-external-load-balancers=""`, taint
    /// `node-role.kubernetes.io/control-plane:NoSchedule`, except that kind removes that taint and
    /// that label when the cluster is a single node (kubeadminit/init.go, `len(allNodes) == 1`;
    /// a second control-plane adds a load-balancer container, so it is never "one node").
    /// An empty `roles` is kind's default cluster: one control-plane node. kind itself refuses a
    /// config without a control-plane node; callers validate that.
    public static func kindNodes(clusterName: String, roles: [NodeRole], arch: String = "amd64") -> [NodeInfo] {
        let roles = roles.isEmpty ? [NodeRole.controlPlane] : roles
        let singleNode = roles.count == 1 && roles[0] == .controlPlane
        var counters: [NodeRole: Int] = [:]
        var nodes: [NodeInfo] = []
        for role in roles {
            let count = (counters[role] ?? 0) + 1
            counters[role] = count
            let name = "\(clusterName)-\(role.rawValue)" + (count == 1 ? "" : String(count))
            var node = NodeInfo(
                name: name,
                labels: [
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": arch,
                    "beta.kubernetes.io/os": "linux",
                    "beta.kubernetes.io/arch": arch
                ])
            if role == .controlPlane {
                node.labels[TaintKey.controlPlane] = ""
                if !singleNode {
                    node.labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
                    node.taints = [Taint(key: TaintKey.controlPlane, effect: .noSchedule)]
                }
            }
            nodes.append(node)
        }
        return nodes.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// The pod names a StatefulSet of `replicas` owns: `<name>-<ordinal>` for ordinals
    /// `start ..< start + replicas` (`getPodName` in pkg/controller/statefulset/stateful_set_utils.go;
    /// `start` is `spec.ordinals.start`, 0 unless set).
    public static func statefulSetPodNames(name: String, replicas: Int, start: Int = 0) -> [String] {
        guard replicas > 0 else { return [] }
        return (start..<(start + replicas)).map { "\(name)-\($0)" }
    }
}
