import OrderedCollections
import YAML

/// Nodes as kind registers them, plus the node-lifecycle changes tests make (NotReady, cordon,
/// taints, pressure). Only what the kubelet and the user set is written here; the lifecycle
/// taints are the node lifecycle controller's (SimNodeLifecycle), applied before `setNodes`
/// returns so a test sees the node as the scheduler will.
extension SimCluster {
    public struct NodeSpec: Sendable {
        public var name: String
        public var labels: [String: String]
        /// The taints the user (or kubeadm) set; the lifecycle controller adds its own.
        public var taints: [SimTaint]
        public var ready: Bool
        public var unschedulable: Bool
        /// Condition statuses overriding the kubelet's defaults, e.g. `["Ready": "Unknown"]`
        /// (unreachable) or `["MemoryPressure": "True"]`.
        public var conditions: [String: String]
        public init(
            name: String, labels: [String: String] = [:], taints: [SimTaint] = [], ready: Bool = true, unschedulable: Bool = false,
            conditions: [String: String] = [:]
        ) {
            self.name = name; self.labels = labels; self.taints = taints; self.ready = ready; self.unschedulable = unschedulable
            self.conditions = conditions
        }
    }

    static func nodeObject(_ n: NodeSpec, index: Int) -> Value {
        var labels: [String: String] = [
            "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"
        ]
        for (k, v) in n.labels { labels[k] = v }
        let taints = n.taints.map(\.json)
        let now = SimTime.rfc3339()
        func cond(_ type: String, _ status: String, _ reason: String, _ message: String) -> Value {
            let status = n.conditions[type] ?? status
            return .map([
                "type": .string(type), "status": .string(status), "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(now),
                "reason": .string(reason), "message": .string(message)
            ])
        }
        let readyCondition: Value
        switch n.conditions["Ready"] ?? (n.ready ? "True" : "False") {
        case "True": readyCondition = cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")
        case "Unknown": readyCondition = cond("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
        default: readyCondition = cond("Ready", "False", "KubeletNotReady", "container runtime network not ready")
        }
        var spec: OrderedDictionary<String, Value> = ["podCIDR": .string("10.244.\(index % 250).0/24")]
        if n.unschedulable { spec["unschedulable"] = true }
        if !taints.isEmpty { spec["taints"] = .list(taints) }
        return .map([
            "apiVersion": "v1", "kind": "Node",
            "metadata": .map(["name": .string(n.name), "labels": .strings(labels)]),
            "spec": .map(spec),
            "status": .map([
                "capacity": .map(["cpu": "8", "memory": "16318508Ki", "pods": "110", "ephemeral-storage": "102626232Ki"]),
                "allocatable": .map(["cpu": "8", "memory": "16318508Ki", "pods": "110", "ephemeral-storage": "102626232Ki"]),
                "conditions": .list(
                    (n.conditions["NetworkUnavailable"] == nil
                        ? []
                        : [
                            cond("NetworkUnavailable", "True", "NoRouteCreated", "Node created without a route")
                        ]) + [
                            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                            readyCondition
                        ]),
                "addresses": .list([
                    .map(["type": "InternalIP", "address": .string("172.18.\(index / 250).\(index % 250 + 2)")]),
                    .map(["type": "Hostname", "address": .string(n.name)])
                ]),
                "nodeInfo": .map([
                    "kubeletVersion": .string(SimVersion.gitVersion), "kubeProxyVersion": "", "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "kernelVersion": "6.1.0", "containerRuntimeVersion": "containerd://1.7.18", "operatingSystem": "linux", "architecture": "amd64"
                ])
            ])
        ])
    }

    /// Adds or replaces nodes.
    public func setNodes(_ nodes: [NodeSpec]) {
        withLock {
            let r = Self.res("nodes")
            for (i, n) in nodes.enumerated() {
                if var existing = objects[r]?[""]?[n.name] {
                    let fresh = Self.nodeObject(n, index: i)
                    existing[path: ["spec"]] = fresh["spec"]
                    existing[path: ["status"]] = fresh["status"]
                    existing[path: ["metadata", "labels"]] = fresh[path: ["metadata", "labels"]]
                    updateLocked(r, existing)
                } else {
                    _ = try? createLocked(r, namespace: nil, object: Self.nodeObject(n, index: i), manager: "kubelet")
                }
            }
            nodeLifecycleLocked()
        }
    }

    /// `count` Ready worker nodes named like kind's (`sim-worker`, `sim-worker2`, ...).
    public func addWorkers(_ count: Int, prefix: String = "sim-worker") {
        setNodes((0..<count).map { NodeSpec(name: $0 == 0 ? prefix : "\(prefix)\($0 + 1)") })
    }
}
