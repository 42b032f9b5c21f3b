import Foundation
import OrderedCollections
import Tools
import YAML

/// The kubelet when the simulator has a `SimRuntime`: every scheduled pod gets a network
/// namespace and an address, its ConfigMap/Secret/service-account volumes are written to a pod
/// folder, and each container whose image the table knows runs as a real process whose output
/// is the container log. Written from the kubelet's documented behaviour: volumes must mount
/// before containers start (FailedMount otherwise), env references must resolve
/// (CreateContainerConfigError), exits restart per `restartPolicy` with the crash-loop
/// back-off, readiness comes from the container's readiness probe, deletion sends SIGTERM and
/// then SIGKILL after the grace period.
extension SimCluster {
    var runtime: SimRuntime? { options.runtime }

    /// Starts pods the kubelet has not seen and refreshes the Service names of running ones.
    func realKubeletSync() {
        guard let rt = runtime else { return }
        for pod in allLocked(Self.res("pods"), namespace: nil) {
            guard let uid = pod[path: ["metadata", "uid"]]?.str,
                let node = pod[path: ["spec", "nodeName"]]?.str, !node.isEmpty
            else { continue }
            if let rp = realPods[uid] {
                if rp.phase == .running, let ip = rp.ip {
                    let text = hostsText(for: pod, ip: ip)
                    if text != rp.hosts {
                        rp.hosts = text
                        rt.network.writeHosts(uid: uid, text)
                    }
                }
                continue
            }
            guard !Self.isTerminating(pod), !Self.isTerminal(pod) else { continue }
            let ns = pod[path: ["metadata", "namespace"]]?.str ?? ""
            let name = pod[path: ["metadata", "name"]]?.str ?? ""
            let containers = (pod[path: ["spec", "containers"]]?.list ?? []).map { c in
                let image = c["image"]?.str ?? ""
                return RealPod.Container(name: c["name"]?.str ?? "", image: image, kind: rt.images.resolve(image))
            }
            let rp = RealPod(uid: uid, namespace: ns, name: name, containers: containers, dir: "\(rt.root)/\(ns)_\(name)_\(uid.prefix(8))")
            realPods[uid] = rp
            var logs: [String: [LogLine]] = [:]
            for c in containers { logs[c.name] = [] }
            podLogs[uid] = logs
            writeRealStatus(rp)
            for c in containers {
                recordEvent(about: pod, kind: "Pod", reason: "Pulling", message: "Pulling image \"\(c.image)\"", component: "kubelet")
            }
            rt.queue.async { [self] in startRealPod(uid: uid) }
        }
    }

    /// Network first (the pod IP is an env source), then volumes and env, then the processes.
    func startRealPod(uid: String) {
        guard let rt = runtime else { return }
        var attached: (netns: String, ip: String)?
        var failure: String?
        do { attached = try rt.network.attach(uid: uid) } catch { failure = "\(error)" }
        withLock {
            guard let rp = realPods[uid], rp.phase == .creating, let pod = podObject(rp) else { return }
            if let failure {
                recordEvent(
                    about: pod, kind: "Pod", reason: "FailedCreatePodSandBox", message: "Failed to create pod sandbox: \(failure)", component: "kubelet",
                    type: "Warning")
                return
            }
            rp.ip = attached?.ip
            rp.netns = attached?.netns
            prepareRealPod(rp, pod: pod, rt: rt)
        }
    }

    /// Under the lock: images, volumes and env; then hands the starts to the kubelet queue.
    /// A missing volume source or env reference is retried every 2 s, as the kubelet does.
    func prepareRealPod(_ rp: RealPod, pod: Value, rt: SimRuntime) {
        var pulled = true
        for i in rp.containers.indices where rp.containers[i].kind == nil {
            pulled = false
            let image = rp.containers[i].image
            let first = rp.containers[i].waiting?.reason != "ImagePullBackOff" && rp.containers[i].waiting?.reason != "ErrImagePull"
            rp.containers[i].waiting =
                first
                ? ("ErrImagePull", "failed to pull and unpack image \"\(image)\": not found")
                : ("ImagePullBackOff", "Back-off pulling image \"\(image)\"")
            recordEvent(
                about: pod, kind: "Pod", reason: first ? "Failed" : "BackOff",
                message: first ? "Failed to pull image \"\(image)\": not found" : "Back-off pulling image \"\(image)\"",
                component: "kubelet", type: "Warning")
        }
        rp.mountFailure = nil
        rp.configFailure = nil
        do {
            try materializeVolumes(rp, pod: pod, rt: rt)
        } catch {
            rp.mountFailure = "\(error)"
        }
        if let why = rp.mountFailure {
            recordEvent(about: pod, kind: "Pod", reason: "FailedMount", message: why, component: "kubelet", type: "Warning")
        } else {
            for c in pod[path: ["spec", "containers"]]?.list ?? [] {
                let name = c["name"]?.str ?? ""
                do {
                    let env = try containerEnv(c, pod: pod, rp: rp, rt: rt)
                    rp.env[name] = env
                    let (argv, notes) = containerArgv(c, env: env, pod: pod, rp: rp)
                    rp.argv[name] = argv
                    for n in notes {
                        recordEvent(about: pod, kind: "Pod", reason: "SpireReplaced", message: n, component: "kubelet", type: "Warning")
                    }
                } catch {
                    rp.configFailure = "\(error)"
                    if let i = rp.containers.firstIndex(where: { $0.name == name }), rp.containers[i].kind != nil {
                        rp.containers[i].waiting = ("CreateContainerConfigError", "\(error)")
                    }
                    recordEvent(about: pod, kind: "Pod", reason: "Failed", message: "Error: \(error)", component: "kubelet", type: "Warning")
                }
            }
        }
        writeRealStatus(rp)
        guard rp.mountFailure == nil, rp.configFailure == nil else {
            rt.queue.asyncAfter(deadline: .now() + 2) { [self] in
                withLock {
                    guard let rp = realPods[rp.uid], rp.phase == .creating, let pod = podObject(rp) else { return }
                    prepareRealPod(rp, pod: pod, rt: rt)
                }
            }
            return
        }
        guard pulled || rp.containers.contains(where: { $0.kind != nil }) else {
            rt.queue.asyncAfter(deadline: .now() + 10) { [self] in
                withLock {
                    guard let rp = realPods[rp.uid], rp.phase == .creating, let pod = podObject(rp) else { return }
                    prepareRealPod(rp, pod: pod, rt: rt)
                }
            }
            return
        }
        rp.phase = .running
        rp.hosts = hostsText(for: pod, ip: rp.ip ?? "")
        rt.network.writeHosts(uid: rp.uid, rp.hosts)
        for i in rp.containers.indices {
            guard let kind = rp.containers[i].kind else { continue }
            var inertWhy: String?
            switch kind {
            case .inert(let why): inertWhy = why
            case .spireServer:
                inertWhy = "SPIRE cannot run here"
                publishSpireBundle(rp, pod: pod)
            default: break
            }
            if let why = inertWhy {
                let now = SimTime.rfc3339()
                rp.containers[i].waiting = nil
                rp.containers[i].startedAt = now
                // A server is marked running and ready; a run-to-completion container (a Job's,
                // a hook's) is marked completed.
                if (pod[path: ["spec", "restartPolicy"]]?.str ?? "Always") == "Always" {
                    rp.containers[i].running = true
                    rp.containers[i].ready = true
                } else {
                    rp.containers[i].done = true
                    rp.containers[i].lastExit = (0, "Completed", now, now)
                }
                recordEvent(
                    about: pod, kind: "Pod", reason: "Inert",
                    message:
                        "simulated kubelet: \(why); container \(rp.containers[i].name) (\(rp.containers[i].image)) is marked \(rp.containers[i].running ? "running and ready" : "completed") without a process",
                    component: "kubelet")
                continue
            }
            let name = rp.containers[i].name
            rt.queue.async { [self] in spawnContainer(uid: rp.uid, container: name) }
        }
        writeRealStatus(rp)
    }

    func podObject(_ rp: RealPod) -> Value? {
        guard let p = objects[Self.res("pods")]?[rp.namespace]?[rp.name], p[path: ["metadata", "uid"]]?.str == rp.uid else { return nil }
        return p
    }

    // MARK: Processes

    /// Starts one container's process (on the kubelet queue, outside the lock).
    func spawnContainer(uid: String, container: String) {
        guard let rt = runtime else { return }
        let plan: (argv: [String], env: [String: String], dir: String, netns: String)? = withLock {
            guard let rp = realPods[uid], rp.phase == .running, let argv = rp.argv[container], let env = rp.env[container],
                let netns = rp.netns
            else { return nil }
            return (argv, env, rp.dir, netns)
        }
        guard let plan, let ipTool = SimPodNetwork.ipTool() else { return }
        // `ip netns exec` enters the pod's namespace and mounts its hosts file over /etc/hosts;
        // the shell then mounts the service-account folder where in-cluster clients look,
        // in the private mount namespace `ip` made, and becomes the container's program.
        let prelude = """
            if [ -d "$KUBESIM_SA" ]; then mkdir -p /run/secrets && mount -t tmpfs -o size=1m,mode=0755 kubesim-sa /run/secrets \
            && mkdir -p /run/secrets/kubernetes.io/serviceaccount && cp "$KUBESIM_SA"/* /run/secrets/kubernetes.io/serviceaccount/ || exit 125; fi
            unset KUBESIM_SA; cd "$KUBESIM_DIR" 2>/dev/null; unset KUBESIM_DIR; exec "$@"
            """
        let argv = [ipTool, "netns", "exec", plan.netns, "/bin/sh", "-c", prelude, "sh"] + plan.argv
        var env = plan.env
        env["KUBESIM_DIR"] = plan.dir
        if FileManager.default.fileExists(atPath: plan.dir + "/serviceaccount") { env["KUBESIM_SA"] = plan.dir + "/serviceaccount" }
        let pid: pid_t
        let readEnd: Int32
        do {
            let fds = try Spawn.pipe()
            do {
                pid = try Spawn.start(argv, environment: env, output: .pipes(stdout: fds.writeEnd, stderr: fds.writeEnd))
            } catch {
                close(fds.readEnd); close(fds.writeEnd)
                throw error
            }
            close(fds.writeEnd)
            readEnd = fds.readEnd
        } catch {
            withLock {
                guard let rp = realPods[uid], let i = rp.containers.firstIndex(where: { $0.name == container }), let pod = podObject(rp) else { return }
                rp.containers[i].waiting = ("RunContainerError", "\(error)")
                recordEvent(about: pod, kind: "Pod", reason: "Failed", message: "Error: \(error)", component: "kubelet", type: "Warning")
                writeRealStatus(rp)
            }
            return
        }
        let started = Date()
        let generation: Int = withLock {
            guard let rp = realPods[uid], let i = rp.containers.firstIndex(where: { $0.name == container }) else { return 0 }
            rp.containers[i].pid = pid
            rp.containers[i].running = true
            rp.containers[i].waiting = nil
            rp.containers[i].startedAt = SimTime.rfc3339(started)
            rp.containers[i].probeGeneration += 1
            let hasProbe = podObject(rp).map { Self.containerSpec($0, container)?["readinessProbe"] != nil } ?? false
            rp.containers[i].ready = !hasProbe
            if let pod = podObject(rp) {
                recordEvent(about: pod, kind: "Pod", reason: "Started", message: "Started container \(container)", component: "kubelet")
            }
            writeRealStatus(rp)
            return rp.containers[i].probeGeneration
        }
        // The exit is handled once the output is read to its end: the last lines a program
        // prints before it exits belong in its log (and reach its followers) before the
        // container counts as stopped. A descendant holding the pipe open bounds that wait.
        let drained = DispatchSemaphore(value: 0)
        let reader = Thread { [self] in
            readOutput(fd: readEnd, uid: uid, container: container)
            drained.signal()
        }
        reader.start()
        let waiter = Thread { [self] in
            var st: Int32 = 0
            while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
            let code = (st & 0x7f) == 0 ? Int((st >> 8) & 0xff) : 128 + Int(st & 0x7f)
            _ = drained.wait(timeout: .now() + 5)
            containerExited(uid: uid, container: container, code: code, started: started)
        }
        waiter.start()
        scheduleProbe(uid: uid, container: container, generation: generation, first: true)
    }

    /// Container output, line by line, into the pod's log (both streams, as `kubectl logs` shows them).
    func readOutput(fd: Int32, uid: String, container: String) {
        var pending = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 16384)
        func flush(_ line: ArraySlice<UInt8>) {
            var l = line
            if l.last == 13 { l = l.dropLast() }
            let text = String(decoding: l, as: UTF8.self)
            withLock { appendLogLocked(uid: uid, container: container, line: text) }
        }
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buf[0..<n]
            while let nl = pending.firstIndex(of: 10) {
                flush(pending[..<nl])
                pending.removeSubrange(...nl)
            }
        }
        if !pending.isEmpty { flush(pending[...]) }
        close(fd)
    }

    /// An exit: restart with back-off per `restartPolicy`, or the container is done; a pod
    /// being deleted is finished once its last process is gone.
    func containerExited(uid: String, container: String, code: Int, started: Date) {
        guard let rt = runtime else { return }
        withLock {
            guard let rp = realPods[uid], let i = rp.containers.firstIndex(where: { $0.name == container }) else { return }
            let finished = SimTime.rfc3339()
            rp.containers[i].running = false
            rp.containers[i].ready = false
            rp.containers[i].pid = 0
            rp.containers[i].lastExit = (code, code == 0 ? "Completed" : "Error", SimTime.rfc3339(started), finished)
            if let followers = logFollowers[uid] {
                for (id, f) in followers where f.container == container {
                    f.sink.finish()
                    logFollowers[uid]?.removeValue(forKey: id)
                }
            }
            if rp.phase == .terminating {
                rp.containers[i].done = true
                writeRealStatus(rp)
                if !rp.containers.contains(where: { $0.running }) {
                    finishPodDeletion(namespace: rp.namespace, name: rp.name, uid: uid)
                }
                return
            }
            guard rp.phase == .running, let pod = podObject(rp) else { return }
            let policy = pod[path: ["spec", "restartPolicy"]]?.str ?? "Always"
            let restart = policy == "Always" || (policy == "OnFailure" && code != 0)
            guard restart else {
                rp.containers[i].done = true
                writeRealStatus(rp)
                return
            }
            // The kubelet's back-off: 10 s doubling to 5 min, reset after 10 min of running.
            if Date().timeIntervalSince(started) > 600 { rp.containers[i].restarts = 0 }
            let delay = min(rt.backOffBase * pow(2, Double(rp.containers[i].restarts)), rt.backOffMax)
            rp.containers[i].waiting = (
                "CrashLoopBackOff",
                "back-off \(Int(delay))s restarting failed container=\(container) pod=\(rp.name)_\(rp.namespace)(\(uid))"
            )
            recordEvent(
                about: pod, kind: "Pod", reason: "BackOff",
                message: "Back-off restarting failed container \(container) in pod \(rp.name)_\(rp.namespace)(\(uid))",
                component: "kubelet", type: "Warning")
            writeRealStatus(rp)
            rt.queue.asyncAfter(deadline: .now() + delay) { [self] in
                let go: Bool = withLock {
                    guard let rp = realPods[uid], rp.phase == .running, let i = rp.containers.firstIndex(where: { $0.name == container }),
                        !rp.containers[i].running
                    else { return false }
                    rp.containers[i].restarts += 1
                    // What ran before is now the previous instance's log (`logs --previous`).
                    previousLogs[uid, default: [:]][container] = podLogs[uid]?[container] ?? []
                    podLogs[uid]?[container] = []
                    return true
                }
                if go { spawnContainer(uid: uid, container: container) }
            }
        }
    }

    /// Deletion of a pod the kubelet runs: SIGTERM to each container's process group, SIGKILL
    /// once the grace period is over; the pod object goes when the last process has exited.
    func terminateRealPod(uid: String, grace: Int) {
        guard let rt = runtime, let rp = realPods[uid] else { return }
        rp.phase = .terminating
        let pids = rp.containers.filter { $0.running && $0.pid > 0 }.map(\.pid)
        for i in rp.containers.indices where rp.containers[i].pid == 0 {
            rp.containers[i].running = false
            rp.containers[i].done = true
        }
        if pids.isEmpty {
            let (ns, name) = (rp.namespace, rp.name)
            loop.execute { [self] in withLock { finishPodDeletion(namespace: ns, name: name, uid: uid) } }
            return
        }
        for pid in pids { kill(-pid, grace == 0 ? SIGKILL : SIGTERM) }
        let wait = min(Double(grace), rt.maxGrace)
        rt.queue.asyncAfter(deadline: .now() + wait) {
            for pid in pids { kill(-pid, SIGKILL) }
        }
    }

    /// The pod object is gone: stop anything left and release its namespace and folder.
    func forgetRealPod(uid: String) {
        guard let rt = runtime, let rp = realPods.removeValue(forKey: uid) else { return }
        rp.phase = .gone
        let pids = rp.containers.filter { $0.pid > 0 }.map(\.pid)
        let dir = rp.dir
        rt.queue.async {
            for pid in pids { kill(-pid, SIGKILL) }
            rt.network.detach(uid: uid)
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// Kills every process the kubelet started (the simulator is shutting down).
    public func stopRealPods() {
        let all: [RealPod] = withLock { Array(realPods.values) }
        for rp in all {
            for c in rp.containers where c.pid > 0 { kill(-c.pid, SIGKILL) }
            rp.phase = .gone
        }
        runtime?.network.stopAll()
        if let root = runtime?.root { try? FileManager.default.removeItem(atPath: root) }
    }

    // MARK: Status

    static func containerSpec(_ pod: Value, _ name: String) -> Value? {
        (pod[path: ["spec", "containers"]]?.list ?? []).first { $0["name"]?.str == name }
    }

    /// The status the kubelet reports for what it knows of the pod.
    func writeRealStatus(_ rp: RealPod) {
        guard var pod = podObject(rp), rp.phase != .gone else { return }
        var status = pod["status"]?.mapValue ?? [:]
        let now = SimTime.rfc3339()
        if status["startTime"] == nil { status["startTime"] = .string(now) }
        let hostIP = nodeAddress(pod[path: ["spec", "nodeName"]]?.str ?? "")
        status["hostIP"] = .string(hostIP)
        status["hostIPs"] = .list([.map(["ip": .string(hostIP)])])
        if let ip = rp.ip {
            status["podIP"] = .string(ip)
            status["podIPs"] = .list([.map(["ip": .string(ip)])])
        }
        let allDone = rp.containers.allSatisfy(\.done)
        let ready = !rp.containers.isEmpty && rp.containers.allSatisfy(\.ready)
        var phase = rp.phase == .creating ? "Pending" : "Running"
        if rp.containers.contains(where: { $0.kind == nil }) && !rp.containers.contains(where: { $0.running || $0.lastExit != nil }) { phase = "Pending" }
        if allDone && rp.phase != .creating {
            phase = rp.containers.allSatisfy { ($0.lastExit?.code ?? 0) == 0 } ? "Succeeded" : "Failed"
        }
        status["phase"] = .string(phase)
        let completed = allDone && phase != "Running"
        status["conditions"] = .list([
            Self.condition("PodReadyToStartContainers", rp.ip != nil), Self.condition("Initialized", true),
            Self.condition("Ready", ready, reason: ready ? nil : (completed ? "PodCompleted" : "ContainersNotReady")),
            Self.condition("ContainersReady", ready, reason: ready ? nil : (completed ? "PodCompleted" : "ContainersNotReady")),
            Self.condition("PodScheduled", true)
        ])
        status["containerStatuses"] = .list(
            rp.containers.map { c in
                var m: OrderedDictionary<String, Value> = ["name": .string(c.name)]
                func terminated(_ e: (code: Int, reason: String, started: String, finished: String)) -> Value {
                    .map([
                        "terminated": .map([
                            "exitCode": .int(Int64(e.code)), "reason": .string(e.reason), "startedAt": .string(e.started),
                            "finishedAt": .string(e.finished), "containerID": .string("containerd://\(rp.uid.prefix(8))-\(c.name)-\(c.restarts)")
                        ])
                    ])
                }
                if c.running {
                    m["state"] = .map(["running": .map(["startedAt": .string(c.startedAt ?? now)])])
                    m["lastState"] = c.lastExit.map(terminated) ?? .map([:])
                } else if c.done, let e = c.lastExit {
                    m["state"] = terminated(e)
                    m["lastState"] = .map([:])
                } else {
                    var w: OrderedDictionary<String, Value> = ["reason": .string(c.waiting?.reason ?? "ContainerCreating")]
                    if let msg = c.waiting?.message { w["message"] = .string(msg) }
                    m["state"] = .map(["waiting": .map(w)])
                    m["lastState"] = c.lastExit.map(terminated) ?? .map([:])
                }
                m["ready"] = .bool(c.ready)
                m["restartCount"] = .int(Int64(c.restarts))
                m["image"] = .string(c.image)
                m["imageID"] = c.kind == nil ? "" : .string("\(c.image)@sha256:\(SimID.hash(.string(c.image)))")
                m["started"] = .bool(c.running)
                if c.running { m["containerID"] = .string("containerd://\(rp.uid.prefix(8))-\(c.name)-\(c.restarts)") }
                return .map(m)
            })
        pod[path: ["status"]] = .map(status)
        updateLocked(Self.res("pods"), pod)
    }

    func nodeAddress(_ node: String) -> String {
        let n = objects[Self.res("nodes")]?[""]?[node]
        return (n?[path: ["status", "addresses"]]?.list ?? []).first { $0["type"]?.str == "InternalIP" }?["address"]?.str ?? "172.18.0.2"
    }

    // MARK: Probes

    /// Readiness from the container's readinessProbe (tcpSocket, httpGet or exec), honouring
    /// initialDelaySeconds, periodSeconds and the success/failure thresholds.
    func scheduleProbe(uid: String, container: String, generation: Int, first: Bool, successes: Int = 0, failures: Int = 0) {
        guard let rt = runtime else { return }
        let spec: (probe: Value, ip: String, netns: String, ports: [Value])? = withLock {
            guard let rp = realPods[uid], let pod = podObject(rp), let c = Self.containerSpec(pod, container),
                let probe = c["readinessProbe"], let ip = rp.ip, let netns = rp.netns
            else { return nil }
            return (probe, ip, netns, c["ports"]?.list ?? [])
        }
        guard let spec else { return }
        let initial = Double(spec.probe["initialDelaySeconds"]?.intValue ?? 0)
        let period = Double(max(1, spec.probe["periodSeconds"]?.intValue ?? 10))
        rt.probeQueue.asyncAfter(deadline: .now() + (first ? initial : period)) { [self] in
            let current: Bool = withLock {
                guard let rp = realPods[uid], let i = rp.containers.firstIndex(where: { $0.name == container }) else { return false }
                return rp.containers[i].probeGeneration == generation && rp.containers[i].running && rp.phase == .running
            }
            guard current else { return }
            let ok = Self.runProbe(spec.probe, ip: spec.ip, netns: spec.netns, ports: spec.ports)
            var s = ok ? successes + 1 : 0
            var f = ok ? 0 : failures + 1
            withLock {
                guard let rp = realPods[uid], let i = rp.containers.firstIndex(where: { $0.name == container }),
                    rp.containers[i].probeGeneration == generation
                else { return }
                let successNeeded = Int(spec.probe["successThreshold"]?.intValue ?? 1)
                let failureNeeded = Int(spec.probe["failureThreshold"]?.intValue ?? 3)
                if !rp.containers[i].ready && s >= successNeeded { rp.containers[i].ready = true; writeRealStatus(rp); s = 0 }
                if rp.containers[i].ready && f >= failureNeeded {
                    rp.containers[i].ready = false
                    writeRealStatus(rp)
                    if let pod = podObject(rp) {
                        recordEvent(about: pod, kind: "Pod", reason: "Unhealthy", message: "Readiness probe failed", component: "kubelet", type: "Warning")
                    }
                    f = 0
                }
            }
            scheduleProbe(uid: uid, container: container, generation: generation, first: false, successes: s, failures: f)
        }
    }

    static func probePort(_ v: Value?, ports: [Value]) -> Int? {
        if let n = v?.intValue { return Int(n) }
        if let name = v?.str {
            if let n = Int(name) { return n }
            return (ports.first { $0["name"]?.str == name }?["containerPort"]?.intValue).map(Int.init)
        }
        return nil
    }

    static func runProbe(_ probe: Value, ip: String, netns: String, ports: [Value]) -> Bool {
        if let tcp = probe["tcpSocket"], let port = probePort(tcp["port"], ports: ports) {
            return tcpConnects(ip: ip, port: port)
        }
        if let http = probe["httpGet"], let port = probePort(http["port"], ports: ports) {
            let path = http["path"]?.str ?? "/"
            return httpStatus(ip: ip, port: port, path: path).map { (200..<400).contains($0) } ?? false
        }
        if let cmd = probe[path: ["exec", "command"]]?.list.compactMap(\.str), !cmd.isEmpty, let ipTool = SimPodNetwork.ipTool() {
            return SimPodNetwork.run([ipTool, "netns", "exec", netns] + cmd).0 == 0
        }
        return true
    }

    static func connectSocket(ip: String, port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, ip, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { close(fd); return nil }
        return fd
    }

    static func tcpConnects(ip: String, port: Int) -> Bool {
        guard let fd = connectSocket(ip: ip, port: port) else { return false }
        close(fd)
        return true
    }

    static func httpStatus(ip: String, port: Int, path: String) -> Int? {
        guard let fd = connectSocket(ip: ip, port: port) else { return nil }
        defer { close(fd) }
        let req = Array("GET \(path) HTTP/1.0\r\nHost: \(ip):\(port)\r\nUser-Agent: kube-probe/1.33\r\n\r\n".utf8)
        guard write(fd, req, req.count) == req.count else { return nil }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &buf, buf.count)
        guard n > 12 else { return nil }
        let line = String(decoding: buf[0..<n], as: UTF8.self)
        let parts = line.split(separator: " ")
        return parts.count > 1 ? Int(parts[1]) : nil
    }
}

extension SimCluster {
    /// What an inert SPIRE server still does that other pods depend on: its `k8s_configmap`
    /// BundlePublisher writes the trust bundle (SPIFFE format) into the ConfigMap its config
    /// names. Read from the server's own config file in the pod's ConfigMap volumes.
    func publishSpireBundle(_ rp: RealPod, pod: Value) {
        let fm = FileManager.default
        var targets: [(ns: String, name: String, key: String)] = []
        let volumes = "\(rp.dir)/volumes"
        for vol in (try? fm.contentsOfDirectory(atPath: volumes)) ?? [] {
            for file in (try? fm.contentsOfDirectory(atPath: "\(volumes)/\(vol)")) ?? [] where file.hasSuffix(".conf") {
                guard let data = fm.contents(atPath: "\(volumes)/\(vol)/\(file)"),
                    let conf = try? Value(jsonBytes: Array(data))
                else { continue }
                for publisher in conf[path: ["plugins", "BundlePublisher"]]?.list ?? [] {
                    for cluster in publisher[path: ["k8s_configmap", "plugin_data", "clusters"]]?.list ?? [] {
                        for (_, c) in cluster.mapValue ?? [:] {
                            if let ns = c["namespace"]?.str, let name = c["configmap_name"]?.str {
                                targets.append((ns, name, c["configmap_key"]?.str ?? "bundle"))
                            }
                        }
                    }
                }
            }
        }
        let der = (runtime?.apiCA ?? "").split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let bundle = "{\"keys\":[{\"use\":\"x509-svid\",\"kty\":\"RSA\",\"x5c\":[\"\(der)\"]}],\"spiffe_sequence\":1}"
        for t in targets {
            let cm: Value = .map([
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": .map(["name": .string(t.name), "namespace": .string(t.ns)]),
                "data": .map([t.key: .string(bundle)])
            ])
            if objects[Self.res("configmaps")]?[t.ns]?[t.name] == nil {
                _ = try? createLocked(Self.res("configmaps"), namespace: t.ns, object: cm, manager: "spire-server")
            }
            recordEvent(
                about: pod, kind: "Pod", reason: "Inert",
                message:
                    "simulated kubelet: the inert SPIRE server published a trust bundle (the simulator's CA) to ConfigMap \(t.ns)/\(t.name), as its k8s_configmap BundlePublisher would",
                component: "kubelet")
        }
    }
}

extension SimCluster {
    /// The process running a pod's container (the first container when none is named), for
    /// tests that crash a program the way a fault would.
    public func processID(namespace: String, pod: String, container: String? = nil) -> pid_t? {
        withLock {
            guard let p = objects[Self.res("pods")]?[namespace]?[pod], let uid = p[path: ["metadata", "uid"]]?.str,
                let rp = realPods[uid]
            else { return nil }
            let c = container.flatMap { n in rp.containers.first { $0.name == n } } ?? rp.containers.first
            return c.flatMap { $0.pid > 0 ? $0.pid : nil }
        }
    }
}
