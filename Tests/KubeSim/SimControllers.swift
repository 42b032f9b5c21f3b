import Foundation
import OrderedCollections
import Placement
import YAML

/// The controllers (DaemonSet, StatefulSet, Deployment, Job) and the scheduler. They run on
/// the event loop shortly after any write, coalesced, like informer-driven controllers: every
/// pass reads the current state and makes only the changes needed, so passes converge.
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
        let nodes = allLocked(Self.res("nodes"), namespace: nil)
        let nodeInfos = nodes.map(Self.nodeInfo)
        var podsByOwner: [String: [Value]] = [:]
        for pod in allLocked(Self.res("pods"), namespace: nil) {
            for ref in pod[path: ["metadata", "ownerReferences"]]?.list ?? [] where ref["controller"]?.boolValue == true {
                if let uid = ref["uid"]?.str { podsByOwner[uid, default: []].append(pod) }
            }
        }
        for ds in allLocked(Self.res("daemonsets"), namespace: nil) {
            reconcileDaemonSet(ds, nodes: nodeInfos, pods: podsByOwner[ds[path: ["metadata", "uid"]]?.str ?? ""] ?? [])
        }
        for sts in allLocked(Self.res("statefulsets"), namespace: nil) {
            reconcileStatefulSet(sts, pods: podsByOwner[sts[path: ["metadata", "uid"]]?.str ?? ""] ?? [])
        }
        for d in allLocked(Self.res("deployments"), namespace: nil) {
            reconcileDeployment(d, pods: podsByOwner[d[path: ["metadata", "uid"]]?.str ?? ""] ?? [])
        }
        for j in allLocked(Self.res("jobs"), namespace: nil) {
            reconcileJob(j, pods: podsByOwner[j[path: ["metadata", "uid"]]?.str ?? ""] ?? [])
        }
        schedulePending(nodes: nodeInfos)
        kubeletSync()
        reconcileStorage()
        reconcileCRDs()
        reconcileEndpointSlices()
    }

    // MARK: Helpers

    static func nodeInfo(_ node: Value) -> NodeInfo {
        var conditions: [String: String] = [:]
        for c in node[path: ["status", "conditions"]]?.list ?? [] {
            if let t = c["type"]?.str, let s = c["status"]?.str { conditions[t] = s }
        }
        let taints = (node[path: ["spec", "taints"]]?.list ?? []).compactMap { t -> Taint? in
            guard let key = t["key"]?.str, let effect = TaintEffect(rawValue: t["effect"]?.str ?? "") else { return nil }
            return Taint(key: key, value: t["value"]?.str ?? "", effect: effect)
        }
        return NodeInfo(name: node[path: ["metadata", "name"]]?.str ?? "", labels: node[path: ["metadata", "labels"]]?.stringMap ?? [:],
                        taints: taints, unschedulable: node[path: ["spec", "unschedulable"]]?.boolValue ?? false,
                        ready: conditions["Ready"] == "True", conditions: conditions)
    }

    static func placementSpec(_ podSpec: Value) -> PodPlacementSpec {
        let decoder = JSONDecoder()
        let tolerations = (podSpec["tolerations"]?.list ?? []).compactMap { try? decoder.decode(Toleration.self, from: Data($0.jsonBytes)) }
        let affinity = podSpec[path: ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]]
            .flatMap { try? decoder.decode(NodeAffinity.self, from: Data($0.jsonBytes)) }
        return PodPlacementSpec(nodeSelector: podSpec["nodeSelector"]?.stringMap ?? [:], requiredAffinity: affinity,
                                tolerations: tolerations, hostNetwork: podSpec["hostNetwork"]?.boolValue ?? false,
                                nodeName: podSpec["nodeName"]?.str)
    }

    static func isReady(_ pod: Value) -> Bool {
        guard pod[path: ["metadata", "deletionTimestamp"]] == nil else { return false }
        return (pod[path: ["status", "conditions"]]?.list ?? []).contains { $0["type"]?.str == "Ready" && $0["status"]?.str == "True" }
    }

    static func isTerminating(_ pod: Value) -> Bool { pod[path: ["metadata", "deletionTimestamp"]] != nil }

    func ownerRef(_ owner: Value, kind: String) -> Value {
        .map(["apiVersion": "apps/v1", "kind": .string(kind), "name": owner[path: ["metadata", "name"]] ?? .null,
              "uid": owner[path: ["metadata", "uid"]] ?? .null, "controller": true, "blockOwnerDeletion": true])
    }

    /// A pod from a workload's template, owned by it.
    func podFrom(_ owner: Value, kind: String, name: String, extraLabels: [String: String]) -> Value {
        let template = owner[path: ["spec", "template"]] ?? .map([:])
        var pod: Value = .map(["apiVersion": "v1", "kind": "Pod", "metadata": template["metadata"] ?? .map([:]),
                               "spec": template["spec"] ?? .map([:])])
        pod[path: ["metadata", "name"]] = .string(name)
        var labels = pod[path: ["metadata", "labels"]]?.mapValue ?? [:]
        for (k, v) in extraLabels.sorted(by: { $0.key < $1.key }) { labels[k] = .string(v) }
        pod[path: ["metadata", "labels"]] = .map(labels)
        if let gen = owner[path: ["metadata", "generateName"]]?.str { _ = gen }
        pod[path: ["metadata", "ownerReferences"]] = .list([ownerRef(owner, kind: kind)])
        return pod
    }

    func createPod(_ pod: Value, namespace: String, owner: Value, ownerKind: String) {
        do {
            let created = try createLocked(Self.res("pods"), namespace: namespace, object: pod, manager: "\(ownerKind.lowercased())-controller")
            recordEvent(about: owner, kind: ownerKind, reason: "SuccessfulCreate",
                        message: "create Pod \(created[path: ["metadata", "name"]]?.str ?? "") in \(ownerKind) \(owner[path: ["metadata", "name"]]?.str ?? "") successful",
                        component: "\(ownerKind.lowercased())-controller")
        } catch {}
    }

    func deletePod(_ pod: Value) {
        _ = try? deleteLocked(Self.res("pods"), namespace: pod[path: ["metadata", "namespace"]]?.str,
                              name: pod[path: ["metadata", "name"]]?.str ?? "", propagation: nil, gracePeriod: nil)
    }

    func writeStatus(_ r: SimResource, _ obj: Value, _ status: Value) {
        guard obj["status"] != status else { return }
        var o = obj
        o[path: ["status"]] = status
        updateLocked(r, o)
    }

    // MARK: DaemonSet

    func reconcileDaemonSet(_ ds: Value, nodes: [NodeInfo], pods: [Value]) {
        let ns = ds[path: ["metadata", "namespace"]]?.str ?? "default"
        let name = ds[path: ["metadata", "name"]]?.str ?? ""
        let gen = ds[path: ["metadata", "generation"]]?.intValue ?? 1
        let hash = SimID.hash(ds[path: ["spec", "template"]] ?? .null)
        let templateSpec = ds[path: ["spec", "template", "spec"]] ?? .map([:])
        let placement = Self.placementSpec(templateSpec)
        let decisions = Placement.daemonSet(nodes: nodes.map { $0.withLifecycleTaints() }, pod: placement)
        var byNode: [String: [Value]] = [:]
        for p in pods { byNode[p[path: ["spec", "nodeName"]]?.str ?? "", default: []].append(p) }
        let tolerations = Placement.daemonPodTolerations(placement.tolerations, hostNetwork: placement.hostNetwork)
        let tolerationValues = tolerations.compactMap { t -> Value? in
            guard let data = try? JSONEncoder().encode(t), let v = try? Value(jsonBytes: Array(data)) else { return nil }
            return v
        }

        var desired = 0, current = 0, ready = 0, available = 0, updated = 0, misscheduled = 0
        var unavailableNodes = 0
        var outdated: [Value] = []
        for d in decisions {
            let here = (byNode[d.node] ?? []).filter { !Self.isTerminating($0) }
            if d.shouldRun {
                desired += 1
                if here.isEmpty, (byNode[d.node] ?? []).isEmpty {
                    var pod = podFrom(ds, kind: "DaemonSet", name: "\(name)-\(SimID.suffix())",
                                      extraLabels: ["controller-revision-hash": hash, "pod-template-generation": String(gen)])
                    pod[path: ["spec", "nodeName"]] = .string(d.node)
                    pod[path: ["spec", "tolerations"]] = .list(tolerationValues)
                    pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]] = .map([
                        "nodeSelectorTerms": .list([.map(["matchFields": .list([.map(["key": "metadata.name", "operator": "In", "values": .list([.string(d.node)])])])])]),
                    ])
                    createPod(pod, namespace: ns, owner: ds, ownerKind: "DaemonSet")
                    unavailableNodes += 1
                    continue
                }
                if !here.isEmpty { current += 1 }
                if here.contains(where: Self.isReady) { ready += 1; available += 1 } else { unavailableNodes += 1 }
                if here.contains(where: { $0[path: ["metadata", "labels", "controller-revision-hash"]]?.str == hash }) { updated += 1 }
                outdated += here.filter { $0[path: ["metadata", "labels", "controller-revision-hash"]]?.str != hash }
                for extra in here.dropFirst() { deletePod(extra) }
            } else if !here.isEmpty {
                if !d.shouldContinueRunning { here.forEach(deletePod) } else { misscheduled += 1 }
            }
        }
        // RollingUpdate with maxUnavailable 1: replace one outdated pod at a time.
        if unavailableNodes == 0, let victim = outdated.first { deletePod(victim) }
        var status: OrderedDictionary<String, Value> = [:]
        status["currentNumberScheduled"] = .int(Int64(current))
        status["numberMisscheduled"] = .int(Int64(misscheduled))
        status["desiredNumberScheduled"] = .int(Int64(desired))
        status["numberReady"] = .int(Int64(ready))
        status["observedGeneration"] = .int(gen)
        status["updatedNumberScheduled"] = .int(Int64(updated))
        status["numberAvailable"] = .int(Int64(available))
        if desired - available > 0 { status["numberUnavailable"] = .int(Int64(desired - available)) }
        if let latest = objects[Self.res("daemonsets")]?[ns]?[name] { writeStatus(Self.res("daemonsets"), latest, .map(status)) }
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
            var pod = podFrom(sts, kind: "StatefulSet", name: "\(name)-\(i)", extraLabels: [
                "controller-revision-hash": updateRevision, "statefulset.kubernetes.io/pod-name": "\(name)-\(i)",
                "apps.kubernetes.io/pod-index": String(i),
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
           parallel || !byOrdinal.values.contains(where: Self.isTerminating) {
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
            "collisionCount": 0, "availableReplicas": .int(Int64(readyCount)),
        ])
        if let latest = objects[Self.res("statefulsets")]?[ns]?[name] { writeStatus(Self.res("statefulsets"), latest, status) }
    }

    // MARK: Deployment

    func reconcileDeployment(_ d: Value, pods: [Value]) {
        let ns = d[path: ["metadata", "namespace"]]?.str ?? "default"
        let name = d[path: ["metadata", "name"]]?.str ?? ""
        let replicas = Int(d[path: ["spec", "replicas"]]?.intValue ?? 1)
        let gen = d[path: ["metadata", "generation"]]?.intValue ?? 1
        let hash = String(SimID.hash(d[path: ["spec", "template"]] ?? .null).prefix(10))
        let live = pods.filter { !Self.isTerminating($0) }
        let new = live.filter { $0[path: ["metadata", "labels", "pod-template-hash"]]?.str == hash }
        let old = live.filter { $0[path: ["metadata", "labels", "pod-template-hash"]]?.str != hash }
        if new.count < replicas {
            for _ in new.count..<replicas {
                let pod = podFrom(d, kind: "Deployment", name: "\(name)-\(hash)-\(SimID.suffix())", extraLabels: ["pod-template-hash": hash])
                createPod(pod, namespace: ns, owner: d, ownerKind: "Deployment")
            }
        } else if new.count > replicas {
            new.suffix(new.count - replicas).forEach(deletePod)
        }
        let readyNew = new.filter(Self.isReady).count
        let removable = max(0, min(old.count, readyNew + old.count - replicas))
        old.prefix(removable).forEach(deletePod)
        let ready = live.filter(Self.isReady).count
        let maxUnavailable = replicas / 4
        let complete = new.count == replicas && readyNew == replicas && old.isEmpty
        let now = SimTime.rfc3339()
        var status: OrderedDictionary<String, Value> = [
            "observedGeneration": .int(gen), "replicas": .int(Int64(live.count)), "updatedReplicas": .int(Int64(new.count)),
            "readyReplicas": .int(Int64(ready)), "availableReplicas": .int(Int64(ready)),
        ]
        if live.count - ready > 0 { status["unavailableReplicas"] = .int(Int64(live.count - ready)) }
        let oldConditions = d[path: ["status", "conditions"]]?.list ?? []
        func condition(_ type: String, _ s: Bool, _ reason: String, _ message: String) -> Value {
            let prev = oldConditions.first { $0["type"]?.str == type }
            let same = prev?["status"]?.str == (s ? "True" : "False") && prev?["reason"]?.str == reason
            return .map(["type": .string(type), "status": .string(s ? "True" : "False"),
                         "lastUpdateTime": same ? (prev?["lastUpdateTime"] ?? .string(now)) : .string(now),
                         "lastTransitionTime": same ? (prev?["lastTransitionTime"] ?? .string(now)) : .string(now),
                         "reason": .string(reason), "message": .string(message)])
        }
        let available = ready >= replicas - maxUnavailable
        status["conditions"] = .list([
            condition("Available", available, available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                      available ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
            condition("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                      complete ? "ReplicaSet \"\(name)-\(hash)\" has successfully progressed." : "ReplicaSet \"\(name)-\(hash)\" is progressing."),
        ])
        if let latest = objects[Self.res("deployments")]?[ns]?[name] { writeStatus(Self.res("deployments"), latest, .map(status)) }
    }

    // MARK: Job

    func reconcileJob(_ job: Value, pods: [Value]) {
        let ns = job[path: ["metadata", "namespace"]]?.str ?? "default"
        let name = job[path: ["metadata", "name"]]?.str ?? ""
        if pods.isEmpty, job[path: ["status", "succeeded"]] == nil {
            var pod = podFrom(job, kind: "Job", name: "\(name)-\(SimID.suffix())", extraLabels: ["job-name": name, "batch.kubernetes.io/job-name": name])
            pod[path: ["metadata", "ownerReferences", ]] = .list([.map(["apiVersion": "batch/v1", "kind": "Job", "name": .string(name),
                "uid": job[path: ["metadata", "uid"]] ?? .null, "controller": true, "blockOwnerDeletion": true])])
            createPod(pod, namespace: ns, owner: job, ownerKind: "Job")
        }
        let succeeded = pods.filter { $0[path: ["status", "phase"]]?.str == "Succeeded" }.count
        let failed = pods.filter { $0[path: ["status", "phase"]]?.str == "Failed" }.count
        let active = pods.filter { !Self.isTerminating($0) && !["Succeeded", "Failed"].contains($0[path: ["status", "phase"]]?.str ?? "") }.count
        var status: OrderedDictionary<String, Value> = ["active": .int(Int64(active)), "succeeded": .int(Int64(succeeded)), "failed": .int(Int64(failed))]
        if succeeded > 0 {
            status["conditions"] = job[path: ["status", "conditions"]] ?? .list([.map(["type": "Complete", "status": "True", "lastTransitionTime": .string(SimTime.rfc3339())])])
            status["completionTime"] = job[path: ["status", "completionTime"]] ?? .string(SimTime.rfc3339())
        }
        status["startTime"] = job[path: ["status", "startTime"]] ?? .string(SimTime.rfc3339())
        if let latest = objects[Self.res("jobs")]?[ns]?[name] { writeStatus(Self.res("jobs"), latest, .map(status)) }
    }

    // MARK: Scheduler

    func schedulePending(nodes: [NodeInfo]) {
        let podsR = Self.res("pods")
        var load: [String: Int] = [:]
        var pending: [Value] = []
        for pod in allLocked(podsR, namespace: nil) {
            if let n = pod[path: ["spec", "nodeName"]]?.str, !n.isEmpty { load[n, default: 0] += 1 } else if !Self.isTerminating(pod) { pending.append(pod) }
        }
        for var pod in pending {
            let spec = Self.placementSpec(pod["spec"] ?? .map([:]))
            let candidates = zip(nodes, Placement.daemonSet(nodes: nodes, pod: spec))
                .filter { $0.0.ready && !$0.0.unschedulable && $0.1.shouldRun }.map(\.0.name)
            guard let node = candidates.min(by: { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }) else {
                let message = "0/\(nodes.count) nodes are available: \(nodes.count) node(s) didn't match Pod's node affinity/selector or had untolerated taints."
                let cond: Value = .map(["type": "PodScheduled", "status": "False", "lastProbeTime": .null,
                                        "lastTransitionTime": .string(SimTime.rfc3339()), "reason": "Unschedulable", "message": .string(message)])
                if pod[path: ["status", "conditions"]]?.list.first?["reason"]?.str != "Unschedulable" {
                    pod[path: ["status", "conditions"]] = .list([cond])
                    updateLocked(podsR, pod)
                    recordEvent(about: pod, kind: "Pod", reason: "FailedScheduling", message: message, component: "default-scheduler", type: "Warning")
                }
                continue
            }
            load[node, default: 0] += 1
            pod[path: ["spec", "nodeName"]] = .string(node)
            updateLocked(podsR, pod)
            recordEvent(about: pod, kind: "Pod", reason: "Scheduled",
                        message: "Successfully assigned \(pod[path: ["metadata", "namespace"]]?.str ?? "")/\(pod[path: ["metadata", "name"]]?.str ?? "") to \(node)",
                        component: "default-scheduler")
        }
    }

    // MARK: Events

    func recordEvent(about obj: Value, kind: String, reason: String, message: String, component: String, type: String = "Normal") {
        guard options.recordEvents else { return }
        let ns = obj[path: ["metadata", "namespace"]]?.str ?? "default"
        let name = obj[path: ["metadata", "name"]]?.str ?? ""
        let now = SimTime.rfc3339()
        let event: Value = .map([
            "apiVersion": "v1", "kind": "Event",
            "metadata": .map(["name": .string("\(name).\(String(UInt64.random(in: 0..<UInt64.max), radix: 16))"), "namespace": .string(ns)]),
            "involvedObject": .map(["kind": .string(kind), "namespace": .string(ns), "name": .string(name),
                                    "uid": obj[path: ["metadata", "uid"]] ?? .null,
                                    "apiVersion": obj["apiVersion"] ?? .null,
                                    "resourceVersion": obj[path: ["metadata", "resourceVersion"]] ?? .null]),
            "reason": .string(reason), "message": .string(message),
            "source": .map(["component": .string(component)]),
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1, "type": .string(type),
            "eventTime": .null, "reportingComponent": .string(component), "reportingInstance": "",
        ])
        _ = try? createLocked(Self.res("events"), namespace: ns, object: event, manager: component)
    }
}
