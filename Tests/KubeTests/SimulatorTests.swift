import Foundation
import Kube
import KubeSim
import Placement
import Testing
import YAML

@Suite("simulated controllers and kubelet behave like the real ones")
struct SimulatorTests {
    @Test func daemonSetRespectsTaintsSelectorsAndReadiness() async throws {
        try await withCluster { server, client, _ in
            server.cluster.setNodes([
                .init(name: "a", labels: ["slim": "yes"]),
                .init(name: "b", labels: ["slim": "yes"], taints: [.init(key: "dedicated", value: "db", effect: .noSchedule)]),
                .init(name: "c", labels: ["slim": "yes"], ready: false),
                .init(name: "d"),
                .init(name: "e", labels: ["slim": "yes"], unschedulable: true)
            ])
            var ds = try daemonSet("sel")
            ds = try YAML.load(
                YAML.emit(ds).replacingOccurrences(of: "      containers:", with: "      nodeSelector: {slim: \"yes\"}\n      containers:"), file: "x")
            _ = try await client.apply(ds)
            let done = try await waitFor(client, apiVersion: "apps/v1", kind: "DaemonSet", name: "sel") {
                let d = DaemonSet($0)
                return d.numberReady == 2 && d.desiredNumberScheduled == 2
            }
            let d = DaemonSet(done)
            #expect(d.observedGeneration == 1)
            #expect(d.updatedNumberScheduled == 2)
            let nodes = Set(try await client.list(apiVersion: "v1", kind: "Pod").items.compactMap { Pod($0).nodeName })
            // a: fits; b: NoSchedule taint; c: NotReady (not-ready:NoSchedule); d: no label; e: cordoned but tolerated.
            #expect(nodes == ["a", "e"])
        }
    }

    @Test func statefulSetCreatesOrdinalsInOrderAndRollsOut() async throws {
        try await withCluster { server, client, _ in
            server.cluster.addWorkers(2)
            let sts = try YAML.load(
                """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: ctl}
                spec:
                  replicas: 3
                  serviceName: ctl
                  selector: {matchLabels: {app: ctl}}
                  template:
                    metadata: {labels: {app: ctl}}
                    spec: {containers: [{name: c, image: ctl:1}]}
                """, file: "sts.yaml")
            _ = try await client.apply(sts)
            let order = OrderBox()
            let watcher = Task {
                for try await e in client.watch(apiVersion: "v1", kind: "Pod") {
                    if case .added(let p) = e { order.add(Pod(p).metadata.name) }
                }
            }
            let done = try await waitFor(client, apiVersion: "apps/v1", kind: "StatefulSet", name: "ctl") { StatefulSet($0).readyReplicas == 3 }
            watcher.cancel()
            #expect(order.names == ["ctl-0", "ctl-1", "ctl-2"])
            let s = StatefulSet(done)
            #expect(s.currentRevision == s.updateRevision)
            #expect(s.rolledOut)
            let updated = try YAML.load(YAML.emit(sts).replacingOccurrences(of: "ctl:1", with: "ctl:2"), file: "sts.yaml")
            _ = try await client.apply(updated)
            let rolled = try await waitFor(client, apiVersion: "apps/v1", kind: "StatefulSet", name: "ctl", timeout: 20) {
                let s = StatefulSet($0)
                return s.metadata.generation == 2 && s.rolledOut
            }
            #expect(StatefulSet(rolled).updateRevision != s.updateRevision)
        }
    }

    @Test func deploymentBecomesAvailable() async throws {
        try await withCluster { server, client, _ in
            server.cluster.addWorkers(2)
            _ = try await client.apply(
                try YAML.load(
                    """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: web}
                    spec:
                      replicas: 2
                      selector: {matchLabels: {app: web}}
                      template:
                        metadata: {labels: {app: web}}
                        spec: {containers: [{name: c, image: web:1}]}
                    """, file: "d.yaml"))
            let d = try await waitFor(client, apiVersion: "apps/v1", kind: "Deployment", name: "web") { Deployment($0).rolledOut }
            #expect(Deployment(d).conditions.contains { $0.type == "Available" && $0.status == "True" })
        }
    }

    @Test func crashLoopAndImagePullFailuresShowInStatusAndEvents() async throws {
        try await withCluster { server, client, _ in
            server.cluster.addWorkers(1)
            server.cluster.setBehavior(podPrefix: "crash", .crashLoop(exitCode: 2))
            server.cluster.setBehavior(podPrefix: "pull", .imagePullFailure)
            _ = try await client.apply(try daemonSet("crash"))
            _ = try await client.apply(try daemonSet("pull"))
            let crashPod = try await waitForPod(client, prefix: "crash") { p in
                p.containerStatuses.first?.waitingReason == "CrashLoopBackOff" && p.restarts >= 1
            }
            #expect(crashPod.containerStatuses.first?.lastTerminatedReason == "Error")
            var previous: [String] = []
            for try await l in client.logs(pod: crashPod.metadata.name, options: LogOptions(previous: true)) { previous.append(l) }
            #expect(previous.first?.hasPrefix("starting") == true)
            let pullPod = try await waitForPod(client, prefix: "pull") { $0.containerStatuses.first?.waitingReason == "ImagePullBackOff" }
            #expect(pullPod.phase == "Pending")
            let events = try await client.list(apiVersion: "v1", kind: "Event").items.map(Event.init)
            #expect(events.contains { $0.reason == "BackOff" && $0.type == "Warning" && $0.involvedName == crashPod.metadata.name })
            #expect(events.contains { $0.reason == "Failed" && $0.involvedName == pullPod.metadata.name })
            do {
                for try await _ in client.logs(pod: pullPod.metadata.name) {}
                Issue.record("expected 400")
            } catch let e as KubeError {
                #expect(e.message.contains("is waiting to start"))
            }
        }
    }

    func waitForPod(_ client: KubeClient, prefix: String, _ done: @escaping @Sendable (Pod) -> Bool) async throws -> Pod {
        for try await e in client.watch(apiVersion: "v1", kind: "Pod") {
            if let o = e.object, Pod(o).metadata.name.hasPrefix(prefix), done(Pod(o)) { return Pod(o) }
        }
        throw KubeError(kind: .other, message: "watch ended")
    }

    @Test func holdsThousandsOfNodesAndPods() async throws {
        var opts = SimOptions()
        opts.recordEvents = false
        // 2,000 nodes keep the simulator's one lock busy; on a loaded machine a single answer
        // can take longer than the client's default 30 s. The bounds catch a hang, not slowness.
        var clientOptions = KubeClientOptions()
        clientOptions.requestTimeout = 240
        try await withCluster(opts, clientOptions: clientOptions) { server, client, _ in
            server.cluster.addWorkers(2000)
            _ = try await client.apply(try daemonSet("big"))
            let d = try await waitFor(client, apiVersion: "apps/v1", kind: "DaemonSet", name: "big", timeout: 600) {
                DaemonSet($0).numberReady == 2000
            }
            #expect(DaemonSet(d).desiredNumberScheduled == 2000)
            let pods = try await client.list(apiVersion: "v1", kind: "Pod", fieldSelector: "spec.nodeName=sim-worker77")
            #expect(pods.items.count == 1)
        }
    }
}

final class OrderBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _names: [String] = []
    func add(_ s: String) { lock.lock(); if !_names.contains(s) { _names.append(s) }; lock.unlock() }
    var names: [String] { lock.lock(); defer { lock.unlock() }; return _names }
}
