import Foundation
import KubeSim
import OrderedCollections
import Placement
import YAML

/// Verify at scale: 5,050 nodes (50 with a taint SLIM does not tolerate, 100 NotReady, 200 with
/// one it does), 5,000 SLIM pods and 50,000 other pods in 50 namespaces. slimctl's wall time
/// and peak memory against what a script would run: `kubectl get pods -A -o json` and
/// `kubectl get nodes -o json`.
extension Bench {
    static let scaleNodes = 5_050
    static let otherPods = 50_000

    func verifyAtScale() async throws -> [Figure] {
        let server = try await KubeSimServer.start()
        do {
            let figures = try await measureScale(server)
            await server.shutdown()
            return figures
        } catch {
            await server.shutdown()
            throw error
        }
    }

    private func measureScale(_ server: KubeSimServer) async throws -> [Figure] {
        let state = tempDir("scale")
        let kubeconfig = "\(state)/kubeconfig"
        try server.kubeconfig().write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        chmod(kubeconfig, 0o600)
        let env = self.env(state: state, kubeconfig: kubeconfig)
        try loadScaleCluster(server.cluster)

        let verify = [slimctl, "verify", "daemonset", "--target", "cluster"]
        let first = try Child.run(verify, env: env, stdout: .file("\(state)/verify.out"))
        guard first.status == 0 else { throw BenchError("verify at scale exited \(first.status); see \(state)/verify.out") }
        let out = (try? String(contentsOfFile: "\(state)/verify.out", encoding: .utf8)) ?? ""
        guard out.contains("4900/4900") || out.contains("4900") else {
            throw BenchError("verify at scale did not report the 4,900 expected SLIM pods; see \(state)/verify.out")
        }
        var times: [Double] = [], memory: [Double] = [], peer: [Double] = []
        for _ in 0..<runs(8) {
            let r = try Child.run(verify, env: env)
            guard r.status == 0 else { throw BenchError("verify at scale exited \(r.status)") }
            times.append(r.seconds)
            let m = try Child.peakMemory(verify, env: env)
            guard m.status == 0 else { throw BenchError("verify at scale exited \(m.status) (memory run)") }
            memory.append(Double(m.bytes))
            let pods = try Child.run([kubectl, "get", "pods", "-A", "-o", "json"], env: env)
            let nodes = try Child.run([kubectl, "get", "nodes", "-o", "json"], env: env)
            guard pods.status == 0, nodes.status == 0 else { throw BenchError("kubectl get at scale failed") }
            peer.append(pods.seconds + nodes.seconds)
        }
        let scale = "\(Self.scaleNodes) nodes, 5,000 SLIM pods, \(Self.otherPods) other pods"
        return [
            Figure(
                id: "verify-scale", title: "verify at scale (time)", unit: "s", slimctl: times, peer: peer,
                peerCommand: "kubectl get pods -A -o json + kubectl get nodes -o json", goal: "p50 <= 2 s and faster than the peer",
                goalMet: { $0.median <= 2 && $0.median <= Stats(peer).median }, notes: [scale]),
            Figure(
                id: "verify-memory", title: "verify at scale (peak memory)", unit: "bytes", slimctl: memory, peer: nil, peerCommand: nil,
                goal: "<= 200 MB", goalMet: { $0.max <= 200e6 })
        ]
    }

    /// Loads the cluster as a snapshot (no controller churn), then lets the controllers compute
    /// the workloads' status once, as they would after a restart.
    func loadScaleCluster(_ cluster: SimCluster) throws {
        var nodes: [SimCluster.NodeSpec] = []
        for i in 1...Self.scaleNodes {
            let name = String(format: "node-%04d", i)
            switch i {
            case 1...50: nodes.append(.init(name: name, taints: [.init(key: "dedicated", value: "batch", effect: .noSchedule)]))
            case 51...150: nodes.append(.init(name: name, ready: false))
            case 151...350: nodes.append(.init(name: name, taints: [.init(key: "dedicated", value: "slim", effect: .noSchedule)]))
            default: nodes.append(.init(name: name))
            }
        }
        cluster.setNodes(nodes)
        let namespaces = ["slim"] + (0..<50).map { String(format: "team-%02d", $0) }
        cluster.bulkLoad(
            "namespaces",
            namespaces.map { ns in
                .map([
                    "metadata": .map(["name": .string(ns), "labels": .map(["kubernetes.io/metadata.name": .string(ns)])]),
                    "spec": .map(["finalizers": .list(["kubernetes"])]), "status": .map(["phase": "Active"])
                ])
            })

        let labels: Value = .map(["app.kubernetes.io/name": "slim", "app.kubernetes.io/instance": "slim"])
        let container: Value = .map([
            "name": "slim", "image": "ghcr.io/agntcy/slim:1.4.0", "imagePullPolicy": "IfNotPresent",
            "args": .list(["--config", "/config.yaml"]),
            "ports": .list([.map(["name": "data", "containerPort": 46357, "protocol": "TCP"])]),
            "resources": .map(["requests": .map(["cpu": "100m", "memory": "128Mi"])])
        ])
        let template: Value = .map([
            "metadata": .map(["labels": labels]),
            "spec": .map([
                "containers": .list([container]),
                "tolerations": .list([.map(["key": "dedicated", "operator": "Equal", "value": "slim", "effect": "NoSchedule"])])
            ])
        ])
        let dsUID = UUID().uuidString.lowercased()
        cluster.bulkLoad(
            "daemonsets",
            [
                .map([
                    "metadata": .map(["name": "slim", "namespace": "slim", "uid": .string(dsUID), "generation": 1, "labels": labels]),
                    "spec": .map([
                        "selector": .map(["matchLabels": labels]), "template": template,
                        "updateStrategy": .map(["type": "RollingUpdate", "rollingUpdate": .map(["maxUnavailable": 1, "maxSurge": 0])])
                    ]),
                    "status": .map(["currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0])
                ])
            ])
        let hash = SimCluster.templateHash(template)
        var slimPods: [Value] = []
        for n in nodes[50...] {
            var podLabels = labels.mapValue ?? [:]
            podLabels["controller-revision-hash"] = .string(hash)
            podLabels["pod-template-generation"] = "1"
            slimPods.append(
                Self.runningPod(
                    name: "slim-\(n.name.dropFirst(5))", namespace: "slim", node: n.name, labels: .map(podLabels),
                    container: container, ready: n.ready,
                    owner: .map([
                        "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "slim", "uid": .string(dsUID),
                        "controller": true, "blockOwnerDeletion": true
                    ])))
        }
        cluster.bulkLoad("pods", slimPods)

        var others: [Value] = []
        others.reserveCapacity(Self.otherPods)
        let appContainer: Value = .map([
            "name": "app", "image": "registry.example.com/team/app:2.7.1", "imagePullPolicy": "IfNotPresent",
            "env": .list([.map(["name": "LOG_LEVEL", "value": "info"]), .map(["name": "PORT", "value": "8080"])]),
            "ports": .list([.map(["containerPort": 8080, "protocol": "TCP"])]),
            "resources": .map(["requests": .map(["cpu": "250m", "memory": "256Mi"]), "limits": .map(["memory": "512Mi"])]),
            "volumeMounts": .list([.map(["name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true])])
        ])
        for i in 0..<Self.otherPods {
            let ns = String(format: "team-%02d", i % 50)
            others.append(
                Self.runningPod(
                    name: String(format: "app-%05d", i), namespace: ns, node: nodes[50 + i % 5_000].name,
                    labels: .map(["app": "team-app", "pod-template-hash": "7d9f8c6b5"]), container: appContainer, ready: true, owner: nil))
        }
        cluster.bulkLoad("pods", others)
        _ = try cluster.create(
            "services", namespace: "slim",
            .map([
                "apiVersion": "v1", "kind": "Service", "metadata": .map(["name": "slim-local", "namespace": "slim"]),
                "spec": .map(["selector": labels, "internalTrafficPolicy": "Local", "ports": .list([.map(["port": 46357, "name": "data"])])])
            ]))
        let controlLabels: Value = .map(["app.kubernetes.io/name": "slim-control"])
        _ = try cluster.create(
            "deployments", namespace: "slim",
            .map([
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": .map(["name": "slim-control", "namespace": "slim"]),
                "spec": .map([
                    "replicas": 1, "selector": .map(["matchLabels": controlLabels]),
                    "template": .map([
                        "metadata": .map(["labels": controlLabels]),
                        "spec": .map(["containers": .list([.map(["name": "control", "image": "ghcr.io/agntcy/slim/control-plane:1.4.0"])])])
                    ])
                ])
            ]))
        cluster.reconcileNow()
        try waitUntil("the controller Deployment and the DaemonSet status", timeout: 120) {
            cluster.get("deployments", namespace: "slim", name: "slim-control")?.lookup(["status", "readyReplicas"])?.intValue == 1
                && cluster.get("daemonsets", namespace: "slim", name: "slim")?.lookup(["status", "numberReady"])?.intValue == 4_900
        }
    }

    static func runningPod(name: String, namespace: String, node: String, labels: Value, container: Value, ready: Bool, owner: Value?) -> Value {
        let now = "2026-11-23T10:00:00Z"
        func condition(_ type: String, _ ok: Bool) -> Value {
            .map(["type": .string(type), "status": .string(ok ? "True" : "False"), "lastProbeTime": .null, "lastTransitionTime": .string(now)])
        }
        var metadata: OrderedDictionary<String, Value> = ["name": .string(name), "namespace": .string(namespace), "labels": labels]
        if let owner { metadata["ownerReferences"] = .list([owner]) }
        let ip = "10.244.\(abs(node.hashValue) % 250).\(abs(name.hashValue) % 250 + 2)"
        return .map([
            "metadata": .map(metadata),
            "spec": .map([
                "containers": .list([container]), "nodeName": .string(node), "restartPolicy": "Always",
                "schedulerName": "default-scheduler", "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority", "priority": 0
            ]),
            "status": .map([
                "phase": "Running", "qosClass": "Burstable", "hostIP": "172.18.0.2", "podIP": .string(ip), "startTime": .string(now),
                "conditions": .list([
                    condition("PodReadyToStartContainers", true), condition("Initialized", true), condition("Ready", ready),
                    condition("ContainersReady", ready), condition("PodScheduled", true)
                ]),
                "containerStatuses": .list([
                    .map([
                        "name": container["name"] ?? "app", "ready": .bool(ready), "restartCount": 0, "started": true,
                        "image": container["image"] ?? "", "imageID": "sha256:5b2d3c1f", "containerID": .string("containerd://\(name)"),
                        "state": .map(["running": .map(["startedAt": .string(now)])]), "lastState": .map([:])
                    ])
                ])
            ])
        ])
    }
}
