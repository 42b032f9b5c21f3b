import Foundation
import YAML

/// The pod garbage collector's orphan rule (kube-controller-manager `podgc`): a pod bound to a
/// node that no longer exists is deleted at once (grace period 0: there is no kubelet left to
/// stop it gracefully), after a `DisruptionTarget` condition says why. The real controller
/// waits a quarantine (40 s) in case the node comes back; here the deletion is immediate.
extension SimCluster {
    func podGarbageCollectLocked() {
        guard !dryRunning, nodesWrittenAt != podGCAt else { return }
        podGCAt = nodesWrittenAt
        let nodes = Set(allLocked(Self.res("nodes"), namespace: nil).compactMap { $0[path: ["metadata", "name"]]?.str })
        for pod in allLocked(Self.res("pods"), namespace: nil) {
            guard let node = pod[path: ["spec", "nodeName"]]?.str, !node.isEmpty, !nodes.contains(node) else { continue }
            recordEvent(
                about: pod, kind: "Pod", reason: "DeletingOrphanedPod",
                message: "Deleting orphaned pod: its node \(node) does not exist", component: "pod-garbage-collector", type: "Warning")
            removeLocked(Self.res("pods"), pod, propagation: nil)
        }
    }
}
