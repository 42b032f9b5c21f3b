import Foundation
import OrderedCollections
import YAML

/// The DaemonSet controller, written from the documented behaviour of kube-controller-manager's
/// (pkg/controller/daemon) so the simulated cluster decides placement on its own and a bug in
/// slimctl's prediction shows up as a difference:
///
/// - Per node: `shouldRun` (create a pod if none) when the template's `nodeName` is unset or is
///   this node, the node passes `nodeSelector` and required affinity, and no NoSchedule or
///   NoExecute taint is left untolerated by the template's tolerations plus the controller's
///   own (SimTolerations.daemonPodTolerations); `shouldContinueRunning` (keep a pod) when only
///   NoSchedule taints block. Node readiness and `spec.unschedulable` act only through the
///   node lifecycle taints. PreferNoSchedule never blocks.
/// - Pods are created pinned by required node affinity (`matchFields metadata.name In [node]`,
///   replacing any template terms) and bound by the scheduler; pods stuck for a node that no
///   longer exists are deleted; Failed or Succeeded pods are deleted for re-creation.
/// - Revisions are ControllerRevisions (`<ds>-<hash>`, numbered; a rollback to an old template
///   renumbers its revision), pods carry `controller-revision-hash` and
///   `pod-template-generation`; at most `revisionHistoryLimit` unused old revisions are kept.
/// - RollingUpdate: without surge, old pods are deleted while fewer than `maxUnavailable`
///   nodes are unavailable (unavailable old pods first); with `maxSurge`, a new pod is created
///   beside the old one on up to `maxSurge` nodes at a time and the old pod deleted once the
///   new one is available (SimDaemonSetRollingUpdate). OnDelete: pods are replaced only when
///   deleted.
/// - Status as `updateDaemonSetStatus` computes it, from the oldest pod on each node.
///
/// Differences: nodes are visited in name order (the controller iterates a map, in random
/// order); orphan pods are not adopted; no slow-start batching or failed-pod back-off.
extension SimCluster {
    static let revisionHashLabel = "controller-revision-hash"
    static let templateGenerationLabel = "pod-template-generation"
    static let templateGenerationAnnotation = "deprecated.daemonset.template.generation"

    /// What the controller derives from one DaemonSet for all of its per-node decisions.
    struct DaemonPlan {
        var nodeName: String?
        var affinity: SimNodeAffinity
        var tolerations: [SimToleration]
        var tolerationValues: [Value]

        init(_ ds: Value) {
            let spec = ds[path: ["spec", "template", "spec"]] ?? .map([:])
            nodeName = spec["nodeName"]?.str.flatMap { $0.isEmpty ? nil : $0 }
            affinity = SimNodeAffinity(podSpec: spec)
            tolerationValues = SimTolerations.daemonPodTolerations(spec["tolerations"]?.list ?? [], hostNetwork: spec["hostNetwork"]?.boolValue ?? false)
            tolerations = tolerationValues.map(SimToleration.init)
        }

        /// `NodeShouldRunDaemonPod`: (shouldRun, shouldContinueRunning).
        func decide(_ node: SchedNode) -> (run: Bool, keep: Bool) {
            if let nodeName, nodeName != node.name { return (false, false) }
            guard affinity.matches(nodeName: node.name, labels: node.labels) else { return (false, false) }
            if SimTolerations.firstUntolerated(node.taints, tolerations, effects: [.noSchedule, .noExecute]) == nil { return (true, true) }
            return (false, SimTolerations.firstUntolerated(node.taints, tolerations, effects: [.noExecute]) == nil)
        }
    }

    /// The node a daemon pod is for: `spec.nodeName` once bound, else its affinity pin.
    static func targetNode(_ pod: Value) -> String? {
        if let n = pod[path: ["spec", "nodeName"]]?.str, !n.isEmpty { return n }
        return pinnedNodes(pod["spec"] ?? .map([:]))?.first
    }

    static func isTerminal(_ pod: Value) -> Bool { ["Succeeded", "Failed"].contains(pod[path: ["status", "phase"]]?.str ?? "") }

    /// Scheduled pods first, then oldest first (`podByCreationTimestampAndPhase`).
    static func daemonPodOrder(_ a: Value, _ b: Value) -> Bool {
        let sa = !(a[path: ["spec", "nodeName"]]?.str ?? "").isEmpty, sb = !(b[path: ["spec", "nodeName"]]?.str ?? "").isEmpty
        if sa != sb { return sa }
        return creationOrder(a, b)
    }

    func reconcileDaemonSet(_ ds: Value, nodes: [SchedNode], pods: [Value]) {
        guard !(ds[path: ["spec", "selector"]]?.mapValue ?? [:]).isEmpty else { return }
        let plan = DaemonPlan(ds)
        let (hash, old) = daemonSetHistory(ds)
        var byNode = Self.podsByNode(pods)
        let decisions = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, plan.decide($0)) })
        let minReady = Int(ds[path: ["spec", "minReadySeconds"]]?.intValue ?? 0)
        var recheck: Double?
        let available = { (p: Value) in Self.podAvailable(p, minReadySeconds: minReady) { recheck = min(recheck ?? $0, $0) } }

        // manage(): create where a pod should run and none is, delete where none should be.
        let surge = Self.surgeCount(ds, desired: 1) > 0
        var create: [String] = []
        var delete: [Value] = []
        for node in nodes {
            guard let d = decisions[node.name] else { continue }
            let here = byNode[node.name] ?? []
            if d.run && here.isEmpty {
                create.append(node.name)
            } else if d.keep {
                var running: [Value] = []
                for p in here where !Self.isTerminating(p) {
                    if Self.isTerminal(p) { delete.append(p); failedDaemonPodEvent(ds, p, node: node.name) } else { running.append(p) }
                }
                running.sort(by: Self.daemonPodOrder)
                if !surge {
                    delete += running.dropFirst()
                } else if running.count <= 1 {
                    if running.isEmpty && d.run { create.append(node.name) }
                } else {
                    var oldestNew: Value?, oldestOld: Value?
                    for p in running {
                        if p[path: ["metadata", "labels", Self.revisionHashLabel]]?.str == hash {
                            if oldestNew == nil { oldestNew = p; continue }
                        } else if oldestOld == nil {
                            oldestOld = p; continue
                        }
                        delete.append(p)
                    }
                    if let n = oldestNew, let o = oldestOld, !Self.podReady(o) || available(n) { delete.append(o) }
                }
            } else if !here.isEmpty {
                delete += here.filter { !Self.isTerminating($0) }
            }
        }
        // Pods pinned to nodes that are gone never get bound: delete them.
        let known = Set(nodes.map(\.name))
        for (node, ps) in byNode where !known.contains(node) {
            delete += ps.filter { ($0[path: ["spec", "nodeName"]]?.str ?? "").isEmpty && !Self.isTerminating($0) }
        }
        var changed = !create.isEmpty || !delete.isEmpty
        syncDaemonNodes(ds, plan: plan, hash: hash, create: create, delete: delete)

        // Rolling update once the creations and deletions above are observed (the controller's
        // expectations): the next pass, which they trigger.
        if !changed, ds[path: ["spec", "updateStrategy", "type"]]?.str ?? "RollingUpdate" == "RollingUpdate" {
            let desired = nodes.filter { decisions[$0.name]?.run == true }.count
            let (toDelete, toCreate) = rollingUpdatePlan(
                ds, hash: hash, nodes: nodes, decisions: decisions, byNode: byNode, desired: desired, available: available)
            syncDaemonNodes(ds, plan: plan, hash: hash, create: toCreate, delete: toDelete)
            changed = !toDelete.isEmpty || !toCreate.isEmpty
        }
        cleanupDaemonHistory(ds, old: old, pods: pods)

        if changed { byNode = Self.podsByNode(livePods(ownedBy: ds)) }
        writeDaemonSetStatus(ds, nodes: nodes, decisions: decisions, byNode: byNode, hash: hash, available: available)
        if let recheck { requeue(key: "minready/\(Self.uid(ds))", after: recheck) }
    }

    static func podsByNode(_ pods: [Value]) -> [String: [Value]] {
        var out: [String: [Value]] = [:]
        for p in pods where !(isTerminating(p) && isTerminal(p)) {
            if let n = targetNode(p) { out[n, default: []].append(p) }
        }
        return out
    }

    /// The pods an owner controls now (unsorted: callers order what they need).
    func livePods(ownedBy owner: Value) -> [Value] {
        let uid = Self.uid(owner)
        let ns = owner[path: ["metadata", "namespace"]]?.str ?? ""
        return (objects[Self.res("pods")]?[ns]?.values).map { $0.filter { Self.controllerUID($0) == uid } } ?? []
    }

    func failedDaemonPodEvent(_ ds: Value, _ pod: Value, node: String) {
        let ns = pod[path: ["metadata", "namespace"]]?.str ?? ""
        let failed = pod[path: ["status", "phase"]]?.str == "Failed"
        recordEvent(
            about: ds, kind: "DaemonSet", reason: failed ? "FailedDaemonPod" : "SucceededDaemonPod",
            message:
                "Found \(failed ? "failed" : "succeeded") daemon pod \(ns)/\(Self.name(pod)) on node \(node), will try to \(failed ? "kill" : "delete") it",
            component: "daemonset-controller", type: failed ? "Warning" : "Normal")
    }

    /// `util.SurgeCount` / `UnavailableCount`: percentages of the desired count, rounded up.
    static func surgeCount(_ ds: Value, desired: Int) -> Int {
        guard ds[path: ["spec", "updateStrategy", "type"]]?.str ?? "RollingUpdate" == "RollingUpdate" else { return 0 }
        return scaled(ds[path: ["spec", "updateStrategy", "rollingUpdate", "maxSurge"]], total: desired, roundUp: true, default: 0) ?? 0
    }

    static func unavailableCount(_ ds: Value, desired: Int) -> Int {
        guard ds[path: ["spec", "updateStrategy", "type"]]?.str ?? "RollingUpdate" == "RollingUpdate" else { return 0 }
        return scaled(ds[path: ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"]], total: desired, roundUp: true, default: 1) ?? 1
    }

    /// Creates pods for `create` (pinned by affinity) and deletes `delete`.
    func syncDaemonNodes(_ ds: Value, plan: DaemonPlan, hash: String, create: [String], delete: [Value]) {
        let ns = ds[path: ["metadata", "namespace"]]?.str ?? "default"
        let generation = ds[path: ["metadata", "annotations", Self.templateGenerationAnnotation]]?.str
        for node in create {
            var labels = ["controller-revision-hash": hash]
            if let generation { labels[Self.templateGenerationLabel] = generation }
            var pod = podFrom(ds, kind: "DaemonSet", name: "", extraLabels: labels)
            pod[path: ["metadata", "name"]] = nil
            pod[path: ["metadata", "generateName"]] = .string("\(Self.name(ds))-")
            pod[path: ["spec", "tolerations"]] = .list(plan.tolerationValues)
            pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]] = .map([
                "nodeSelectorTerms": .list([.map(["matchFields": .list([.map(["key": "metadata.name", "operator": "In", "values": .list([.string(node)])])])])])
            ])
            createPod(pod, namespace: ns, owner: ds, ownerKind: "DaemonSet")
        }
        for pod in delete where !Self.isTerminating(pod) {
            deletePod(pod)
            recordEvent(about: ds, kind: "DaemonSet", reason: "SuccessfulDelete", message: "Deleted pod: \(Self.name(pod))", component: "daemonset-controller")
        }
    }

    func writeDaemonSetStatus(
        _ ds: Value, nodes: [SchedNode], decisions: [String: (run: Bool, keep: Bool)], byNode: [String: [Value]],
        hash: String, available: (Value) -> Bool
    ) {
        let generation = ds[path: ["metadata", "annotations", Self.templateGenerationAnnotation]]?.str
        var desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, availableCount = 0
        for node in nodes {
            let pods = (byNode[node.name] ?? []).sorted(by: Self.daemonPodOrder)
            guard decisions[node.name]?.run == true else {
                if !pods.isEmpty { misscheduled += 1 }
                continue
            }
            desired += 1
            guard let pod = pods.first else { continue }
            current += 1
            if Self.podReady(pod) {
                ready += 1
                if available(pod) { availableCount += 1 }
            }
            let labels = pod[path: ["metadata", "labels"]]
            if labels?[Self.revisionHashLabel]?.str == hash || (generation != nil && labels?[Self.templateGenerationLabel]?.str == generation) {
                updated += 1
            }
        }
        var status: OrderedDictionary<String, Value> = [
            "currentNumberScheduled": .int(Int64(current)), "numberMisscheduled": .int(Int64(misscheduled)),
            "desiredNumberScheduled": .int(Int64(desired)), "numberReady": .int(Int64(ready)),
            "observedGeneration": ds[path: ["metadata", "generation"]] ?? 1
        ]
        if updated > 0 { status["updatedNumberScheduled"] = .int(Int64(updated)) }
        if availableCount > 0 { status["numberAvailable"] = .int(Int64(availableCount)) }
        if desired - availableCount > 0 { status["numberUnavailable"] = .int(Int64(desired - availableCount)) }
        if let c = ds[path: ["status", "collisionCount"]] { status["collisionCount"] = c }
        let ns = ds[path: ["metadata", "namespace"]]?.str ?? ""
        if let latest = objects[Self.res("daemonsets")]?[ns]?[Self.name(ds)] { writeStatus(Self.res("daemonsets"), latest, .map(status)) }
    }
}
