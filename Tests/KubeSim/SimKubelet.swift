import Foundation
import NIOCore
import OrderedCollections
import YAML

/// The kubelet stand-in: moves scheduled pods through the phases the real kubelet reports,
/// with the container statuses and events users see, and keeps container logs.
extension SimCluster {
    static let behaviorAnnotation = "kubesim.slimctl.dev/behavior"

    func behavior(for pod: Value) -> PodBehavior {
        let name = pod[path: ["metadata", "name"]]?.str ?? ""
        if let b = behaviors.first(where: { name.hasPrefix($0.key) })?.value { return b }
        switch pod[path: ["metadata", "annotations", Self.behaviorAnnotation]]?.str {
        case "crashloop": return .crashLoop(exitCode: 1)
        case "imagepull": return .imagePullFailure
        case "neverready": return .neverReady
        default: return .normal
        }
    }

    /// Starts the lifecycle of every scheduled pod the kubelet has not seen yet.
    func kubeletSync() {
        if options.runtime != nil { return realKubeletSync() }
        for pod in allLocked(Self.res("pods"), namespace: nil) {
            guard let uid = pod[path: ["metadata", "uid"]]?.str, podTimers[uid] == nil, podLogs[uid] == nil,
                let node = pod[path: ["spec", "nodeName"]]?.str, !node.isEmpty, !Self.isTerminating(pod)
            else { continue }
            var logs: [String: [LogLine]] = [:]
            for c in containerNames(pod) { logs[c] = [] }
            podLogs[uid] = logs
            kubeletStep(uid: uid, ns: pod[path: ["metadata", "namespace"]]?.str ?? "", name: pod[path: ["metadata", "name"]]?.str ?? "", step: 0)
        }
    }

    func containerNames(_ pod: Value) -> [String] {
        (pod[path: ["spec", "containers"]]?.list ?? []).compactMap { $0["name"]?.str }
    }

    func kubeletForget(uid: String) {
        forgetRealPod(uid: uid)
        podTimers.removeValue(forKey: uid)?.cancel()
        podLogs.removeValue(forKey: uid)
        previousLogs.removeValue(forKey: uid)
        if let followers = logFollowers.removeValue(forKey: uid) {
            for f in followers.values { f.sink.finish() }
        }
    }

    func later(_ uid: String, _ seconds: Double, _ body: @escaping @Sendable () -> Void) {
        podTimers[uid] = loop.scheduleTask(in: .nanoseconds(Int64(max(seconds, 0.001) * 1e9))) { [self] in
            withLock {
                podTimers.removeValue(forKey: uid)
                body()
            }
        }
    }

    static func condition(_ type: String, _ status: Bool, reason: String? = nil) -> Value {
        var m: OrderedDictionary<String, Value> = [
            "type": .string(type), "status": .string(status ? "True" : "False"),
            "lastProbeTime": .null, "lastTransitionTime": .string(SimTime.rfc3339())
        ]
        if let reason { m["reason"] = .string(reason) }
        return .map(m)
    }

    /// One step of a pod's life; each step writes the status the kubelet would report, then
    /// schedules the next.
    func kubeletStep(uid: String, ns: String, name: String, step: Int) {
        let r = Self.res("pods")
        guard var pod = objects[r]?[ns]?[name], pod[path: ["metadata", "uid"]]?.str == uid, !Self.isTerminating(pod) else { return }
        let behavior = behavior(for: pod)
        let containers = pod[path: ["spec", "containers"]]?.list ?? []
        let node = pod[path: ["spec", "nodeName"]]?.str ?? ""
        let isJob = pod[path: ["spec", "restartPolicy"]]?.str != "Always"
        let podIP = "10.244.\(abs(node.hashValue) % 200).\(abs(uid.hashValue) % 250 + 2)"
        func statuses(_ state: (String) -> Value, ready: Bool, restarts: Int64 = 0, last: Value? = nil) -> Value {
            .list(
                containers.map { c in
                    var m: OrderedDictionary<String, Value> = ["name": c["name"] ?? "", "state": state(c["name"]?.str ?? "")]
                    m["lastState"] = last ?? .map([:])
                    m["ready"] = .bool(ready)
                    m["restartCount"] = .int(restarts)
                    m["image"] = c["image"] ?? ""
                    m["imageID"] = ready || last != nil ? .string("docker.io/library/\(c["image"]?.str ?? "")@sha256:0") : ""
                    m["started"] = .bool(state("")["running"] != nil)
                    if state("")["running"] != nil { m["containerID"] = .string("containerd://\(SimID.hash(.string(uid + (c["name"]?.str ?? ""))))") }
                    return .map(m)
                })
        }
        let now = SimTime.rfc3339()
        var status = pod["status"]?.mapValue ?? [:]
        status["hostIP"] = "172.18.0.2"
        status["hostIPs"] = .list([.map(["ip": "172.18.0.2"])])
        if status["startTime"] == nil { status["startTime"] = .string(now) }
        let restarts = Int64(step / 2)
        switch (behavior, step) {
        case (_, 0):
            status["phase"] = "Pending"
            status["conditions"] = .list([
                Self.condition("PodReadyToStartContainers", false), Self.condition("Initialized", true),
                Self.condition("Ready", false, reason: "ContainersNotReady"),
                Self.condition("ContainersReady", false, reason: "ContainersNotReady"), Self.condition("PodScheduled", true)
            ])
            status["containerStatuses"] = statuses({ _ in .map(["waiting": .map(["reason": "ContainerCreating"])]) }, ready: false)
            later(uid, options.startDelay) { [self] in kubeletStep(uid: uid, ns: ns, name: name, step: 1) }
            for c in containers {
                recordEvent(about: pod, kind: "Pod", reason: "Pulling", message: "Pulling image \"\(c["image"]?.str ?? "")\"", component: "kubelet")
            }
        case (.imagePullFailure, _):
            status["phase"] = "Pending"
            let reason = step == 1 ? "ErrImagePull" : "ImagePullBackOff"
            status["containerStatuses"] = statuses(
                { _ in
                    .map([
                        "waiting": .map([
                            "reason": .string(reason),
                            "message": .string(
                                step == 1 ? "failed to pull and unpack image: not found" : "Back-off pulling image \"\(containers.first?["image"]?.str ?? "")\""
                            )
                        ])
                    ])
                }, ready: false)
            recordEvent(
                about: pod, kind: "Pod", reason: step == 1 ? "Failed" : "BackOff",
                message: step == 1
                    ? "Failed to pull image \"\(containers.first?["image"]?.str ?? "")\": not found"
                    : "Back-off pulling image \"\(containers.first?["image"]?.str ?? "")\"",
                component: "kubelet", type: "Warning")
            if step < 2 { later(uid, options.startDelay) { [self] in kubeletStep(uid: uid, ns: ns, name: name, step: step + 1) } }
        case (.crashLoop(let code), _):
            status["phase"] = "Running"
            status["podIP"] = .string(podIP)
            status["podIPs"] = .list([.map(["ip": .string(podIP)])])
            let terminated: Value = .map([
                "terminated": .map([
                    "exitCode": .int(Int64(code)), "reason": "Error",
                    "startedAt": .string(now), "finishedAt": .string(now), "containerID": "containerd://crashed"
                ])
            ])
            if step % 2 == 1 {
                status["containerStatuses"] = statuses(
                    { _ in .map(["running": .map(["startedAt": .string(now)])]) }, ready: false,
                    restarts: restarts, last: restarts > 0 ? terminated : nil)
                for c in containerNames(pod) { appendLogLocked(uid: uid, container: c, line: "starting (attempt \(restarts + 1))") }
            } else {
                // The container died: its log becomes the previous instance's, and follow
                // streams end as the kubelet's do when the container stops.
                previousLogs[uid] = podLogs[uid]
                if let followers = logFollowers.removeValue(forKey: uid) { for f in followers.values { f.sink.finish() } }
                var fresh: [String: [LogLine]] = [:]
                for c in containerNames(pod) { fresh[c] = [] }
                podLogs[uid] = fresh
                status["containerStatuses"] = statuses(
                    { _ in
                        .map([
                            "waiting": .map([
                                "reason": "CrashLoopBackOff",
                                "message": .string("back-off 10s restarting failed container=\(containers.first?["name"]?.str ?? "") pod=\(name)_\(ns)(\(uid))")
                            ])
                        ])
                    },
                    ready: false, restarts: restarts, last: terminated)
                recordEvent(about: pod, kind: "Pod", reason: "BackOff", message: "Back-off restarting failed container", component: "kubelet", type: "Warning")
            }
            if step < 40 { later(uid, options.startDelay) { [self] in kubeletStep(uid: uid, ns: ns, name: name, step: step + 1) } }
        case (_, 1):
            status["phase"] = "Running"
            status["podIP"] = .string(podIP)
            status["podIPs"] = .list([.map(["ip": .string(podIP)])])
            status["conditions"] = .list([
                Self.condition("PodReadyToStartContainers", true), Self.condition("Initialized", true),
                Self.condition("Ready", false, reason: "ContainersNotReady"),
                Self.condition("ContainersReady", false, reason: "ContainersNotReady"), Self.condition("PodScheduled", true)
            ])
            status["containerStatuses"] = statuses({ _ in .map(["running": .map(["startedAt": .string(now)])]) }, ready: false)
            recordEvent(about: pod, kind: "Pod", reason: "Started", message: "Started container \(containers.first?["name"]?.str ?? "")", component: "kubelet")
            scriptContainersStarted(pod)
            if behavior != .neverReady {
                later(uid, options.readyDelay) { [self] in kubeletStep(uid: uid, ns: ns, name: name, step: 2) }
            }
        case (_, 2):
            guard scriptAllowsReady(pod) else { return }
            if isJob && script(for: pod) == nil {
                status["phase"] = "Succeeded"
                status["conditions"] = .list([
                    Self.condition("Initialized", true), Self.condition("Ready", false, reason: "PodCompleted"),
                    Self.condition("ContainersReady", false, reason: "PodCompleted"), Self.condition("PodScheduled", true)
                ])
                status["containerStatuses"] = statuses(
                    { _ in .map(["terminated": .map(["exitCode": 0, "reason": "Completed", "startedAt": .string(now), "finishedAt": .string(now)])]) },
                    ready: false)
                if let followers = logFollowers.removeValue(forKey: uid) { for f in followers.values { f.sink.finish() } }
            } else {
                status["conditions"] = .list([
                    Self.condition("PodReadyToStartContainers", true), Self.condition("Initialized", true),
                    Self.condition("Ready", true), Self.condition("ContainersReady", true), Self.condition("PodScheduled", true)
                ])
                status["containerStatuses"] = statuses({ _ in .map(["running": .map(["startedAt": .string(now)])]) }, ready: true)
            }
        default:
            return
        }
        pod[path: ["status"]] = .map(status)
        updateLocked(r, pod)
    }

    // MARK: Logs

    func appendLogLocked(uid: String, container: String, line: String) {
        guard podLogs[uid] != nil else { return }
        let entry = LogLine(time: Date(), text: line)
        podLogs[uid]?[container, default: []].append(entry)
        for f in (logFollowers[uid] ?? [:]).values where f.container == container {
            f.sink.send(Self.logBytes(entry, timestamps: f.timestamps))
        }
    }

    static func logBytes(_ l: LogLine, timestamps: Bool) -> [UInt8] {
        Array(((timestamps ? SimTime.rfc3339(l.time, fraction: true) + " " : "") + l.text + "\n").utf8)
    }

    /// Writes a line to a container's log, as the program in it would; followers see it at once.
    public func appendLog(namespace: String = "default", pod: String, container: String? = nil, _ line: String) {
        withLock {
            guard let p = objects[Self.res("pods")]?[namespace]?[pod], let uid = p[path: ["metadata", "uid"]]?.str else { return }
            appendLogLocked(uid: uid, container: container ?? containerNames(p).first ?? "", line: line)
        }
    }

    /// Makes pods whose name starts with `podPrefix` behave this way from their next start.
    public func setBehavior(podPrefix: String, _ b: PodBehavior) {
        withLock { behaviors[podPrefix] = b }
    }
}

extension SimCluster {
    /// How many `follow` streams read the pod's logs now: tests wait for a follower to be attached
    /// before writing the lines it must see, instead of sleeping.
    public func logFollowerCount(namespace: String = "default", pod: String) -> Int {
        withLock {
            guard let p = objects[Self.res("pods")]?[namespace]?[pod], let uid = p[path: ["metadata", "uid"]]?.str else { return 0 }
            return logFollowers[uid]?.count ?? 0
        }
    }
}
