import Foundation
import OrderedCollections
import YAML

/// The controller manager's loop: node lifecycle, the workload controllers (DaemonSet,
/// StatefulSet, Deployment, ReplicaSet, Job), then the scheduler and the kubelet. They run on
/// the event loop shortly after any write, coalesced, like informer-driven controllers: every
/// pass reads the current state and makes only the changes needed, so passes converge.
/// StatefulSets and Jobs are here; the others have a file each.
extension SimCluster {
    func scheduleReconcile() {
        guard !reconcileScheduled else { return }
        reconcileScheduled = true
        loop.scheduleTask(in: .milliseconds(2)) { [self] in
            withLock {
                reconcileScheduled = false
                reconcileLocked()
            }
        }
    }

    func reconcileLocked() {
        nodeLifecycleLocked()
        podGarbageCollectLocked()
        let nodes = allLocked(Self.res("nodes"), namespace: nil).map(SchedNode.init)
        var byOwner: [String: [Value]] = [:]
        for pod in allLocked(Self.res("pods"), namespace: nil) {
            if let uid = Self.controllerUID(pod) { byOwner[uid, default: []].append(pod) }
        }
        for ds in allLocked(Self.res("daemonsets"), namespace: nil) {
            reconcileDaemonSet(ds, nodes: nodes, pods: byOwner[Self.uid(ds)] ?? [])
        }
        for sts in allLocked(Self.res("statefulsets"), namespace: nil) {
            reconcileStatefulSet(sts, pods: byOwner[Self.uid(sts)] ?? [])
        }
        var replicaSetsByOwner: [String: [Value]] = [:]
        for rs in allLocked(Self.res("replicasets"), namespace: nil) {
            if let uid = Self.controllerUID(rs) { replicaSetsByOwner[uid, default: []].append(rs) }
        }
        for d in allLocked(Self.res("deployments"), namespace: nil) {
            reconcileDeployment(d, replicaSets: replicaSetsByOwner[Self.uid(d)] ?? [], podsByOwner: byOwner)
        }
        for rs in allLocked(Self.res("replicasets"), namespace: nil) {
            reconcileReplicaSet(rs, pods: byOwner[Self.uid(rs)] ?? [])
        }
        for j in allLocked(Self.res("jobs"), namespace: nil) {
            reconcileJob(j, pods: byOwner[Self.uid(j)] ?? [])
        }
        schedulePending(nodes: nodes)
        kubeletSync()
        reconcileStorage()
        reconcileCRDs()
        reconcileEndpointSlices()
    }

    // MARK: Helpers

    static func isReady(_ pod: Value) -> Bool {
        guard pod[path: ["metadata", "deletionTimestamp"]] == nil else { return false }
        return (pod[path: ["status", "conditions"]]?.list ?? []).contains { $0["type"]?.str == "Ready" && $0["status"]?.str == "True" }
    }

    static func isTerminating(_ pod: Value) -> Bool { pod[path: ["metadata", "deletionTimestamp"]] != nil }

    func ownerRef(_ owner: Value, kind: String) -> Value {
        .map([
            "apiVersion": "apps/v1", "kind": .string(kind), "name": owner[path: ["metadata", "name"]] ?? .null,
            "uid": owner[path: ["metadata", "uid"]] ?? .null, "controller": true, "blockOwnerDeletion": true
        ])
    }

    /// A pod from a workload's template, owned by it.
    func podFrom(_ owner: Value, kind: String, name: String, extraLabels: [String: String]) -> Value {
        let template = owner[path: ["spec", "template"]] ?? .map([:])
        var pod: Value = .map([
            "apiVersion": "v1", "kind": "Pod", "metadata": template["metadata"] ?? .map([:]),
            "spec": template["spec"] ?? .map([:])
        ])
        pod[path: ["metadata", "name"]] = .string(name)
        var labels = pod[path: ["metadata", "labels"]]?.mapValue ?? [:]
        for (k, v) in extraLabels.sorted(by: { $0.key < $1.key }) { labels[k] = .string(v) }
        pod[path: ["metadata", "labels"]] = .map(labels)
        pod[path: ["metadata", "ownerReferences"]] = .list([ownerRef(owner, kind: kind)])
        return pod
    }

    func createPod(_ pod: Value, namespace: String, owner: Value, ownerKind: String) {
        do {
            let created = try createLocked(Self.res("pods"), namespace: namespace, object: pod, manager: "\(ownerKind.lowercased())-controller")
            // The StatefulSet controller words it its own way; the others say "Created pod: x".
            let podName = created[path: ["metadata", "name"]]?.str ?? ""
            recordEvent(
                about: owner, kind: ownerKind, reason: "SuccessfulCreate",
                message: ownerKind == "StatefulSet"
                    ? "create Pod \(podName) in StatefulSet \(owner[path: ["metadata", "name"]]?.str ?? "") successful"
                    : "Created pod: \(podName)",
                component: "\(ownerKind.lowercased())-controller")
        } catch {}
    }

    func deletePod(_ pod: Value) {
        _ = try? deleteLocked(
            Self.res("pods"), namespace: pod[path: ["metadata", "namespace"]]?.str,
            name: pod[path: ["metadata", "name"]]?.str ?? "", propagation: nil, gracePeriod: nil)
    }

    func writeStatus(_ r: SimResource, _ obj: Value, _ status: Value) {
        guard obj["status"] != status else { return }
        var o = obj
        o[path: ["status"]] = status
        updateLocked(r, o)
    }

    // MARK: StatefulSet

    func reconcileStatefulSet(_ sts: Value, pods: [Value]) {
        let ns = sts[path: ["metadata", "namespace"]]?.str ?? "default"
        let name = sts[path: ["metadata", "name"]]?.str ?? ""
        let replicas = Int(sts[path: ["spec", "replicas"]]?.intValue ?? 1)
        let gen = sts[path: ["metadata", "generation"]]?.intValue ?? 1
        let updateRevision = "\(name)-\(SimID.hash(sts[path: ["spec", "template"]] ?? .null))"
        let parallel = sts[path: ["spec", "podManagementPolicy"]]?.str == "Parallel"
        var byOrdinal: [Int: Value] = [:]
        for p in pods {
            if let n = p[path: ["metadata", "name"]]?.str, let ord = Int(n.dropFirst(name.count + 1)) { byOrdinal[ord] = p }
        }
        for i in 0..<replicas {
            if let p = byOrdinal[i] {
                if !parallel && !Self.isReady(p) { break }
                continue
            }
            var pod = podFrom(
                sts, kind: "StatefulSet", name: "\(name)-\(i)",
                extraLabels: [
                    "controller-revision-hash": updateRevision, "statefulset.kubernetes.io/pod-name": "\(name)-\(i)",
                    "apps.kubernetes.io/pod-index": String(i)
                ])
            pod[path: ["spec", "hostname"]] = .string("\(name)-\(i)")
            let claims = claimTemplateVolumes(sts, podName: "\(name)-\(i)", namespace: ns)
            if !claims.isEmpty {
                let names = Set(claims.compactMap { $0["name"]?.str })
                let own = (pod[path: ["spec", "volumes"]]?.list ?? []).filter { !names.contains($0["name"]?.str ?? "") }
                pod[path: ["spec", "volumes"]] = .list(own + claims)
            }
            if let svc = sts[path: ["spec", "serviceName"]]?.str, !svc.isEmpty { pod[path: ["spec", "subdomain"]] = .string(svc) }
            createPod(pod, namespace: ns, owner: sts, ownerKind: "StatefulSet")
            if !parallel { break }
        }
        let live = byOrdinal.filter { !Self.isTerminating($0.value) }
        let allReady = (0..<replicas).allSatisfy { byOrdinal[$0].map(Self.isReady) ?? false }
        // Scale down from the highest ordinal, one at a time.
        if let top = live.keys.filter({ $0 >= replicas }).max(), let p = live[top],
            parallel || !byOrdinal.values.contains(where: Self.isTerminating)
        {
            deletePod(p)
        } else if allReady, !byOrdinal.values.contains(where: Self.isTerminating) {
            // RollingUpdate: replace the highest-ordinal pod on an old revision.
            let outdated = live.filter { $0.key < replicas && $0.value[path: ["metadata", "labels", "controller-revision-hash"]]?.str != updateRevision }
            if let top = outdated.keys.max(), let p = outdated[top] { deletePod(p) }
        }
        let present = live.values
        let readyCount = present.filter(Self.isReady).count
        let updatedCount = present.filter { $0[path: ["metadata", "labels", "controller-revision-hash"]]?.str == updateRevision }.count
        var currentRevision = sts[path: ["status", "currentRevision"]]?.str ?? updateRevision
        if updatedCount == replicas && readyCount == replicas { currentRevision = updateRevision }
        let currentCount = present.filter { $0[path: ["metadata", "labels", "controller-revision-hash"]]?.str == currentRevision }.count
        let status: Value = .map([
            "observedGeneration": .int(gen), "replicas": .int(Int64(present.count)), "readyReplicas": .int(Int64(readyCount)),
            "currentReplicas": .int(Int64(currentCount)), "updatedReplicas": .int(Int64(updatedCount)),
            "currentRevision": .string(currentRevision), "updateRevision": .string(updateRevision),
            "collisionCount": 0, "availableReplicas": .int(Int64(readyCount))
        ])
        if let latest = objects[Self.res("statefulsets")]?[ns]?[name] { writeStatus(Self.res("statefulsets"), latest, status) }
    }

    // MARK: Job

    func reconcileJob(_ job: Value, pods: [Value]) {
        let ns = job[path: ["metadata", "namespace"]]?.str ?? "default"
        let name = job[path: ["metadata", "name"]]?.str ?? ""
        if pods.isEmpty, job[path: ["status", "succeeded"]] == nil {
            var pod = podFrom(job, kind: "Job", name: "\(name)-\(SimID.suffix())", extraLabels: ["job-name": name, "batch.kubernetes.io/job-name": name])
            pod[path: ["metadata", "ownerReferences"]] = .list([
                .map([
                    "apiVersion": "batch/v1", "kind": "Job", "name": .string(name),
                    "uid": job[path: ["metadata", "uid"]] ?? .null, "controller": true, "blockOwnerDeletion": true
                ])
            ])
            createPod(pod, namespace: ns, owner: job, ownerKind: "Job")
        }
        let succeeded = pods.filter { $0[path: ["status", "phase"]]?.str == "Succeeded" }.count
        let failed = pods.filter { $0[path: ["status", "phase"]]?.str == "Failed" }.count
        let active = pods.filter { !Self.isTerminating($0) && !["Succeeded", "Failed"].contains($0[path: ["status", "phase"]]?.str ?? "") }.count
        var status: OrderedDictionary<String, Value> = ["active": .int(Int64(active)), "succeeded": .int(Int64(succeeded)), "failed": .int(Int64(failed))]
        if succeeded > 0 {
            status["conditions"] =
                job[path: ["status", "conditions"]] ?? .list([.map(["type": "Complete", "status": "True", "lastTransitionTime": .string(SimTime.rfc3339())])])
            status["completionTime"] = job[path: ["status", "completionTime"]] ?? .string(SimTime.rfc3339())
        }
        status["startTime"] = job[path: ["status", "startTime"]] ?? .string(SimTime.rfc3339())
        if let latest = objects[Self.res("jobs")]?[ns]?[name] { writeStatus(Self.res("jobs"), latest, .map(status)) }
    }

    // MARK: Events

    func recordEvent(about obj: Value, kind: String, reason: String, message: String, component: String, type: String = "Normal") {
        guard options.recordEvents else { return }
        let ns = obj[path: ["metadata", "namespace"]]?.str ?? "default"
        let name = obj[path: ["metadata", "name"]]?.str ?? ""
        let now = SimTime.rfc3339()
        // The event recorder's correlator: a repeat of the same event about the same object
        // bumps `count` and `lastTimestamp` of the one already recorded.
        let key = [ns, obj[path: ["metadata", "uid"]]?.str ?? name, reason, message, component, type].joined(separator: "\u{1}")
        if let existing = eventKeys[key], var e = objects[Self.res("events")]?[ns]?[existing] {
            e[path: ["count"]] = .int((e["count"]?.intValue ?? 1) + 1)
            e[path: ["lastTimestamp"]] = .string(now)
            updateLocked(Self.res("events"), e)
            return
        }
        let eventName = "\(name).\(String(UInt64.random(in: 0..<UInt64.max), radix: 16))"
        eventKeys[key] = eventName
        let event: Value = .map([
            "apiVersion": "v1", "kind": "Event",
            "metadata": .map(["name": .string(eventName), "namespace": .string(ns)]),
            "involvedObject": .map([
                "kind": .string(kind), "namespace": .string(ns), "name": .string(name),
                "uid": obj[path: ["metadata", "uid"]] ?? .null,
                "apiVersion": obj["apiVersion"] ?? .null,
                "resourceVersion": obj[path: ["metadata", "resourceVersion"]] ?? .null
            ]),
            "reason": .string(reason), "message": .string(message),
            "source": .map(["component": .string(component)]),
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1, "type": .string(type),
            "eventTime": .null, "reportingComponent": .string(component), "reportingInstance": ""
        ])
        _ = try? createLocked(Self.res("events"), namespace: ns, object: event, manager: component)
    }
}
