import Foundation
import NIOCore
import OrderedCollections
import YAML

/// A container program played back by the kubelet stand-in. The simulator runs no real
/// programs, so a test gives it what a real one printed (captured logs) and how it ended; the
/// pod then goes through the statuses the real kubelet reports for such a program: logs
/// appear while the container runs, and a container of a pod whose restartPolicy lets it end
/// (Never, OnFailure) terminates with the exit code: `Succeeded`/`Failed` with a `terminated`
/// state, or, under OnFailure with a non-zero code, a restart after `CrashLoopBackOff` with
/// the old log as the previous instance's.
public struct SimScript: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// One line on the container's stdout.
        case line(String)
        /// The program is busy for this long (seconds) before its next line.
        case pause(Double)
        /// The program waits for something another pod causes (a receiver logs "received"
        /// only once a sender runs): until a pod whose name starts with the prefix has a
        /// started container, in any namespace.
        case awaitStarted(podPrefix: String)
    }

    public var steps: [Step]
    /// Steps for pods on a given node instead of `steps`: one DaemonSet pod per node, and the
    /// pods of one DaemonSet do not all log the same (only the receiver a sender reached
    /// counts its messages).
    public var byNode: [String: [Step]] = [:]
    /// How the program ends after its steps; nil: it keeps running (a server). Ignored for
    /// restartPolicy Always, whose programs the tests only ever play as servers.
    public var exitCode: Int?
    /// Restarts under OnFailure before the kubelet stand-in stops replaying (the real one
    /// backs off for ever; tests need an end).
    public var maxRestarts: Int

    public init(steps: [Step], byNode: [String: [Step]] = [:], exitCode: Int? = 0, maxRestarts: Int = 3) {
        self.steps = steps
        self.byNode = byNode
        self.exitCode = exitCode
        self.maxRestarts = maxRestarts
    }

    /// The lines of a captured log (split on newlines, a trailing empty line dropped), `interval`
    /// seconds apart.
    public static func log(_ text: String, interval: Double = 0, exitCode: Int? = 0) -> SimScript {
        SimScript(steps: lines(text, interval: interval), exitCode: exitCode)
    }

    /// Steps writing a captured log's lines, `interval` seconds apart.
    public static func lines(_ text: String, interval: Double = 0) -> [Step] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var steps: [Step] = []
        for l in lines {
            if interval > 0, !steps.isEmpty { steps.append(.pause(interval)) }
            steps.append(.line(l))
        }
        return steps
    }
}

extension SimCluster {
    /// Plays `script` in pods whose name starts with `podPrefix` from their next start (the
    /// longest matching prefix wins); nil removes it.
    public func setScript(podPrefix: String, _ script: SimScript?) {
        withLock { scripts[podPrefix] = script }
    }

    func script(for pod: Value) -> SimScript? {
        let name = pod[path: ["metadata", "name"]]?.str ?? ""
        return scripts.filter { name.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }?.value
    }

    /// Kubelet hook: the pod's containers just started running (the status is written right
    /// after this call, so playback begins on the next loop turn).
    func scriptContainersStarted(_ pod: Value) {
        guard let script = script(for: pod), let uid = pod[path: ["metadata", "uid"]]?.str else { return }
        let ns = pod[path: ["metadata", "namespace"]]?.str ?? ""
        let name = pod[path: ["metadata", "name"]]?.str ?? ""
        let steps = script.byNode[pod[path: ["spec", "nodeName"]]?.str ?? ""] ?? script.steps
        scriptLater(0) { [self] in scriptRun(uid: uid, ns: ns, name: name, attempt: 0, steps[...], script) }
    }

    /// Kubelet hook: may the kubelet mark this pod's containers ready? Not once a script ended
    /// or restarted them (the script owns their state from then on).
    func scriptAllowsReady(_ pod: Value) -> Bool {
        guard script(for: pod) != nil, let first = pod[path: ["status", "containerStatuses"]]?.list.first else { return true }
        return first[path: ["state", "running"]] != nil && (first["restartCount"]?.intValue ?? 0) == 0
    }

    private func scriptLater(_ seconds: Double, _ body: @escaping @Sendable () -> Void) {
        _ = loop.scheduleTask(in: .nanoseconds(Int64(max(seconds, 0.001) * 1e9))) { [self] in withLock { body() } }
    }

    /// The pod as it is now, if it is still the same pod, not terminating, its first container
    /// running in the given attempt.
    private func scriptPod(uid: String, ns: String, name: String, attempt: Int) -> Value? {
        guard let pod = objects[Self.res("pods")]?[ns]?[name], pod[path: ["metadata", "uid"]]?.str == uid, !Self.isTerminating(pod),
            let first = pod[path: ["status", "containerStatuses"]]?.list.first, first[path: ["state", "running"]] != nil,
            Int(first["restartCount"]?.intValue ?? 0) == attempt
        else { return nil }
        return pod
    }

    private func scriptRun(uid: String, ns: String, name: String, attempt: Int, _ steps: ArraySlice<SimScript.Step>, _ script: SimScript) {
        guard let pod = scriptPod(uid: uid, ns: ns, name: name, attempt: attempt) else { return }
        let container = containerNames(pod).first ?? ""
        var rest = steps
        while let step = rest.first {
            switch step {
            case .line(let text):
                appendLogLocked(uid: uid, container: container, line: text)
                rest = rest.dropFirst()
            case .pause(let seconds):
                let next = rest.dropFirst()
                scriptLater(seconds) { [self] in scriptRun(uid: uid, ns: ns, name: name, attempt: attempt, next, script) }
                return
            case .awaitStarted(let prefix):
                let started = allLocked(Self.res("pods"), namespace: nil).contains { p in
                    (p[path: ["metadata", "name"]]?.str ?? "").hasPrefix(prefix)
                        && (p[path: ["status", "containerStatuses"]]?.list ?? []).contains {
                            $0[path: ["state", "running"]] != nil || $0[path: ["state", "terminated"]] != nil
                        }
                }
                guard started else {
                    let waiting = rest
                    scriptLater(0.02) { [self] in scriptRun(uid: uid, ns: ns, name: name, attempt: attempt, waiting, script) }
                    return
                }
                rest = rest.dropFirst()
            }
        }
        scriptExit(pod, uid: uid, attempt: attempt, script)
    }

    private func scriptSetContainers(_ pod: inout Value, _ change: (inout OrderedDictionary<String, Value>) -> Void) {
        pod[path: ["status", "containerStatuses"]] = .list(
            (pod[path: ["status", "containerStatuses"]]?.list ?? []).map { cs in
                var m = cs.mapValue ?? [:]
                change(&m)
                return .map(m)
            })
    }

    private func scriptConditions(ready: Bool, reason: String?) -> Value {
        .list([
            Self.condition("PodReadyToStartContainers", reason == nil || reason == "ContainersNotReady"), Self.condition("Initialized", true),
            Self.condition("Ready", ready, reason: ready ? nil : reason), Self.condition("ContainersReady", ready, reason: ready ? nil : reason),
            Self.condition("PodScheduled", true)
        ])
    }

    private func scriptEndFollowers(_ uid: String) {
        if let followers = logFollowers.removeValue(forKey: uid) { for f in followers.values { f.sink.finish() } }
    }

    /// The program ended: what the kubelet reports depends on the restart policy.
    private func scriptExit(_ podNow: Value, uid: String, attempt: Int, _ script: SimScript) {
        let policy = podNow[path: ["spec", "restartPolicy"]]?.str ?? "Always"
        guard policy != "Always", let code = script.exitCode else { return }
        var pod = podNow
        let now = SimTime.rfc3339()
        scriptSetContainers(&pod) { m in
            var t: OrderedDictionary<String, Value> = ["exitCode": .int(Int64(code)), "reason": .string(code == 0 ? "Completed" : "Error")]
            t["startedAt"] = m["state"]?[path: ["running", "startedAt"]] ?? .string(now)
            t["finishedAt"] = .string(now)
            if let id = m["containerID"] { t["containerID"] = id }
            m["state"] = .map(["terminated": .map(t)])
            m["ready"] = false
            m["started"] = false
        }
        scriptEndFollowers(uid)
        let name = pod[path: ["metadata", "name"]]?.str ?? ""
        let ns = pod[path: ["metadata", "namespace"]]?.str ?? ""
        if code == 0 || policy == "Never" {
            pod[path: ["status", "phase"]] = .string(code == 0 ? "Succeeded" : "Failed")
            pod[path: ["status", "conditions"]] = scriptConditions(ready: false, reason: code == 0 ? "PodCompleted" : "PodFailed")
            updateLocked(Self.res("pods"), pod)
            return
        }
        pod[path: ["status", "conditions"]] = scriptConditions(ready: false, reason: "ContainersNotReady")
        updateLocked(Self.res("pods"), pod)
        guard attempt < script.maxRestarts else { return }
        scriptLater(options.startDelay) { [self] in
            guard var p = objects[Self.res("pods")]?[ns]?[name], p[path: ["metadata", "uid"]]?.str == uid, !Self.isTerminating(p) else { return }
            // Back-off: the dead container is still the latest one, so its log stays the current log.
            let container = containerNames(p).first ?? ""
            scriptSetContainers(&p) { m in
                m["lastState"] = m["state"] ?? .map([:])
                m["state"] = .map([
                    "waiting": .map([
                        "reason": "CrashLoopBackOff",
                        "message": .string("back-off 10s restarting failed container=\(container) pod=\(name)_\(ns)(\(uid))")
                    ])
                ])
                m["restartCount"] = .int(Int64(attempt + 1))
            }
            recordEvent(
                about: p, kind: "Pod", reason: "BackOff", message: "Back-off restarting failed container \(container) in pod \(name)_\(ns)(\(uid))",
                component: "kubelet", type: "Warning")
            updateLocked(Self.res("pods"), p)
            // The real back-off starts at 10 s; shortened, but long enough for a client to read
            // the failed run's log as the current one, as it can on a real cluster.
            scriptLater(max(options.startDelay * 20, 1)) { [self] in
                guard var q = objects[Self.res("pods")]?[ns]?[name], q[path: ["metadata", "uid"]]?.str == uid, !Self.isTerminating(q) else { return }
                // A new container: the dead one's log becomes the previous instance's.
                previousLogs[uid] = podLogs[uid]
                var fresh: [String: [LogLine]] = [:]
                for c in containerNames(q) { fresh[c] = [] }
                podLogs[uid] = fresh
                let started = SimTime.rfc3339()
                scriptSetContainers(&q) { m in
                    m["state"] = .map(["running": .map(["startedAt": .string(started)])])
                    m["ready"] = true
                    m["started"] = true
                }
                q[path: ["status", "conditions"]] = scriptConditions(ready: true, reason: nil)
                recordEvent(about: q, kind: "Pod", reason: "Started", message: "Started container \(container)", component: "kubelet")
                updateLocked(Self.res("pods"), q)
                scriptRun(
                    uid: uid, ns: ns, name: name, attempt: attempt + 1, (script.byNode[q[path: ["spec", "nodeName"]]?.str ?? ""] ?? script.steps)[...], script)
            }
        }
    }
}
