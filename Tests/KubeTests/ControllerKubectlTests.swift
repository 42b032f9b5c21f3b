import Foundation
import Kube
import KubeSim
import Testing
import YAML

extension ReleasedCharts {
    /// The simulator's scheduler, node lifecycle, DaemonSet, Deployment and ReplicaSet controllers
    /// driven and read by the real kubectl, as a user would on kind: what kubectl shows and what
    /// the controllers do must be what a real cluster shows and does. In the serialized group: each
    /// test runs a dozen kubectl processes.
    @Suite("scheduler and workload controllers through the real kubectl")
    struct ControllerKubectlTests {
        func write(_ h: HelmSession, _ name: String, _ yaml: String) throws -> String {
            let path = h.home + "/\(name).yaml"
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func kubectl(_ h: HelmSession, _ args: [String]) throws -> String {
            let (code, out, err) = try h.kubectl(args)
            #expect(code == 0, "kubectl \(args.joined(separator: " ")): \(out)\n\(err)")
            return out
        }

        func daemonSet(_ name: String, strategy: String) -> String {
            """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: \(name), namespace: default}
            spec:
              selector: {matchLabels: {app: \(name)}}
              updateStrategy: \(strategy)
              template:
                metadata: {labels: {app: \(name)}}
                spec:
                  containers: [{name: main, image: "slim:1"}]
            """
        }

        func pods(_ h: HelmSession, _ selector: String) async throws -> [Value] {
            try await h.items("/api/v1/namespaces/default/pods?labelSelector=\(selector)").filter { !$0.isTerminating }
        }

        @Test func cordonTaintsTheNodeAndOnlyPodsNotToleratingItAvoidIt() async throws {
            try await withHelm { h in
                #expect(try kubectl(h, ["cordon", "sim-worker2"]).contains("node/sim-worker2 cordoned"))
                // The node lifecycle controller adds the taint the scheduler and DaemonSets act on.
                try await h.eventually("the unschedulable taint") {
                    try await h.get("/api/v1/nodes/sim-worker2")?.lookup(["spec", "taints"])?.listValue?.contains {
                        $0["key"]?.stringValue == "node.kubernetes.io/unschedulable" && $0["effect"]?.stringValue == "NoSchedule"
                    } == true
                }
                #expect(try kubectl(h, ["get", "nodes"]).contains("Ready,SchedulingDisabled"))
                #expect(try kubectl(h, ["describe", "node", "sim-worker2"]).contains("node.kubernetes.io/unschedulable:NoSchedule"))

                let app = """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: web, namespace: default}
                    spec:
                      replicas: 3
                      selector: {matchLabels: {app: web}}
                      template:
                        metadata: {labels: {app: web}}
                        spec:
                          containers: [{name: web, image: "web:1"}]
                    ---
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: pinned, namespace: default}
                    spec:
                      nodeSelector: {kubernetes.io/hostname: sim-worker2}
                      containers: [{name: c, image: "web:1"}]
                    ---
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: tolerant, namespace: default}
                    spec:
                      nodeSelector: {kubernetes.io/hostname: sim-worker2}
                      tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists, effect: NoSchedule}]
                      containers: [{name: c, image: "web:1"}]
                    """
                _ = try kubectl(h, ["apply", "-f", try write(h, "app", app)])
                _ = try kubectl(h, ["apply", "-f", try write(h, "ds", daemonSet("agent", strategy: "{type: RollingUpdate}"))])
                _ = try kubectl(h, ["rollout", "status", "daemonset/agent", "--timeout=60s"])
                _ = try kubectl(h, ["rollout", "status", "deployment/web", "--timeout=60s"])

                // DaemonSet pods tolerate the cordon; the Deployment's pods do not and avoid the node.
                #expect(Set(try await pods(h, "app%3Dagent").map(\.nodeName)) == ["sim-worker", "sim-worker2"])
                #expect(Set(try await pods(h, "app%3Dweb").map(\.nodeName)) == ["sim-worker"])
                try await h.eventually("the tolerant pod bound") { try await h.get("/api/v1/namespaces/default/pods/tolerant")?.nodeName == "sim-worker2" }
                let pinned = try #require(try await h.get("/api/v1/namespaces/default/pods/pinned"))
                #expect(pinned.nodeName.isEmpty)
                try await h.eventually("the pinned pod's scheduling failure") {
                    let p = try await h.get("/api/v1/namespaces/default/pods/pinned")
                    return p?.lookup(["status", "conditions"])?.listValue?.contains { $0["reason"]?.stringValue == "Unschedulable" } == true
                }
                let describe = try kubectl(h, ["describe", "pod", "pinned"])
                #expect(describe.contains("FailedScheduling"), "\(describe)")
                #expect(
                    describe.contains(
                        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
                            + "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable."), "\(describe)")

                // Uncordoned, the taint goes and the waiting pod is scheduled.
                _ = try kubectl(h, ["uncordon", "sim-worker2"])
                try await h.eventually("the pinned pod bound") { try await h.get("/api/v1/namespaces/default/pods/pinned")?.nodeName == "sim-worker2" }
                #expect(try await h.get("/api/v1/nodes/sim-worker2")?.lookup(["spec", "taints"]) == nil)
            }
        }

        @Test func daemonSetWithMaxSurgeRollsNodeByNode() async throws {
            try await withHelm { h in
                h.server.cluster.setNodes([.init(name: "sim-worker3")])
                let ds = daemonSet("agent", strategy: "{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}")
                _ = try kubectl(h, ["apply", "-f", try write(h, "ds", ds)])
                _ = try kubectl(h, ["rollout", "status", "daemonset/agent", "--timeout=60s"])
                let before = try await pods(h, "app%3Dagent")
                #expect(before.count == 3)

                let timeline = PodTimeline.start(h.client, server: h.server, namespace: "default")
                _ = try kubectl(h, ["set", "image", "daemonset/agent", "main=slim:2"])
                #expect(try kubectl(h, ["rollout", "status", "daemonset/agent", "--timeout=60s"]).contains("successfully rolled out"))
                try await h.eventually("the old pods gone from the timeline") {
                    timeline.snapshots(initial: before).last?.values.allSatisfy { $0.image == "slim:2" } == true
                }
                timeline.stop()

                let nodes = ["sim-worker", "sim-worker2", "sim-worker3"]
                var surgedNodes: [String] = []
                for pods in timeline.snapshots(initial: before) {
                    let live = pods.values.filter { !$0.isTerminating }
                    // maxUnavailable 0: every node keeps a ready pod throughout.
                    for n in nodes { #expect(live.contains { $0.nodeName == n && $0.isReadyPod }, "node \(n) without a ready pod") }
                    // maxSurge 1: at most one node runs an old and a new pod at once.
                    let surged = nodes.filter { n in Set(live.filter { $0.nodeName == n }.map(\.image)) == ["slim:1", "slim:2"] }
                    #expect(surged.count <= 1, "surged on \(surged)")
                    if let n = surged.first, surgedNodes.last != n { surgedNodes.append(n) }
                }
                #expect(Set(surgedNodes) == Set(nodes) && surgedNodes.count == 3, "each node surged once, one after the other: \(surgedNodes)")
                let after = try await pods(h, "app%3Dagent")
                #expect(Set(after.map(\.nodeName)) == Set(nodes) && after.allSatisfy { $0.image == "slim:2" })
                #expect(after.allSatisfy { $0.lookup(["metadata", "labels", "pod-template-generation"])?.stringValue == "2" })
                let history = try kubectl(h, ["rollout", "history", "daemonset/agent"])
                #expect(history.contains("1         <none>") && history.contains("2         <none>"), "\(history)")
            }
        }

        @Test func onDeleteReplacesAPodOnlyWhenItIsDeleted() async throws {
            try await withHelm { h in
                _ = try kubectl(h, ["apply", "-f", try write(h, "ds", daemonSet("agent", strategy: "{type: OnDelete}"))])
                try await h.eventually("both pods ready") {
                    try await h.get("/apis/apps/v1/namespaces/default/daemonsets/agent")?.lookup(["status", "numberReady"])?.intValue == 2
                }
                _ = try kubectl(h, ["set", "image", "daemonset/agent", "main=slim:2"])
                // Once the controller has seen the new template, it still replaces nothing.
                try await h.eventually("generation 2 observed") {
                    try await h.get("/apis/apps/v1/namespaces/default/daemonsets/agent")?.lookup(["status", "observedGeneration"])?.intValue == 2
                }
                let unchanged = try await pods(h, "app%3Dagent")
                #expect(unchanged.count == 2 && unchanged.allSatisfy { $0.image == "slim:1" })
                let (code, _, err) = try h.kubectl(["rollout", "status", "daemonset/agent", "--timeout=5s"])
                #expect(code != 0 && err.contains("rollout status is only available for RollingUpdate strategy type"), "\(err)")

                let victim = try #require(unchanged.first { $0.nodeName == "sim-worker" })
                _ = try kubectl(h, ["delete", "pod", victim.objectName])
                try await h.eventually("a new pod on sim-worker") {
                    try await pods(h, "app%3Dagent").contains { $0.nodeName == "sim-worker" && $0.image == "slim:2" && $0.isReadyPod }
                }
                let now = try await pods(h, "app%3Dagent")
                #expect(now.first { $0.nodeName == "sim-worker2" }?.image == "slim:1", "the other node keeps its pod")
                try await h.eventually("status counts one updated pod") {
                    try await h.get("/apis/apps/v1/namespaces/default/daemonsets/agent")?.lookup(["status", "updatedNumberScheduled"])?.intValue == 1
                }
            }
        }

        @Test func deploymentRolloutStatusHistoryAndUndo() async throws {
            try await withHelm { h in
                let app = """
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: web, namespace: default}
                    spec:
                      replicas: 3
                      selector: {matchLabels: {app: web}}
                      template:
                        metadata: {labels: {app: web}}
                        spec:
                          containers: [{name: web, image: "web:1"}]
                    """
                _ = try kubectl(h, ["apply", "-f", try write(h, "web", app)])
                #expect(try kubectl(h, ["rollout", "status", "deployment/web", "--timeout=60s"]).contains("deployment \"web\" successfully rolled out"))
                let first = try await h.items("/apis/apps/v1/namespaces/default/replicasets")
                #expect(first.count == 1)
                let rs1 = try #require(first.first)
                let hash = try #require(rs1.lookup(["metadata", "labels", "pod-template-hash"])?.stringValue)
                #expect(rs1.objectName == "web-\(hash)")
                #expect(rs1.lookup(["metadata", "ownerReferences"])?.listValue?.first?["kind"]?.stringValue == "Deployment")
                let owned = try await pods(h, "app%3Dweb")
                #expect(
                    owned.count == 3
                        && owned.allSatisfy {
                            $0.lookup(["metadata", "ownerReferences"])?.listValue?.first?["name"]?.stringValue == rs1.objectName
                                && $0.objectName.hasPrefix("web-\(hash)-")
                        })
                #expect(try kubectl(h, ["get", "rs"]).contains("web-\(hash)"))

                // An image update: a second ReplicaSet, never more than replicas + maxSurge (25% of
                // 3, rounded up: 1) pods, never fewer than replicas - maxUnavailable (rounded down: 0) ready.
                let timeline = PodTimeline.start(h.client, server: h.server, namespace: "default")
                let statuses = PodTimeline.start(h.client, server: h.server, namespace: "default", apiVersion: "apps/v1", kind: "Deployment")
                _ = try kubectl(h, ["set", "image", "deployment/web", "web=web:2"])
                _ = try kubectl(h, ["rollout", "status", "deployment/web", "--timeout=60s"])
                try await h.eventually("the old pods gone") { timeline.snapshots(initial: owned).last?.values.allSatisfy { $0.image == "web:2" } == true }
                timeline.stop()
                statuses.stop()
                // slimctl's verify calls it rolled out only once kubectl would: no old pod left.
                for snapshot in statuses.snapshots(initial: []) {
                    guard let d = snapshot["web"], Deployment(d).rolledOut, Deployment(d).metadata.generation == 2 else { continue }
                    #expect(
                        d.lookup(["status", "replicas"])?.intValue == 3 && d.lookup(["status", "updatedReplicas"])?.intValue == 3, "\(d["status"] ?? .null)")
                }
                for snapshot in timeline.snapshots(initial: owned) {
                    let live = snapshot.values.filter { !$0.isTerminating }
                    #expect(live.count <= 4, "\(live.count) pods")
                    #expect(live.filter(\.isReadyPod).count >= 3, "\(live.filter(\.isReadyPod).count) ready")
                }
                let rsAfterUpdate = try await h.items("/apis/apps/v1/namespaces/default/replicasets")
                #expect(rsAfterUpdate.count == 2)
                #expect(rsAfterUpdate.first { $0.objectName == rs1.objectName }?.lookup(["spec", "replicas"])?.intValue == 0, "the old one kept at 0")
                let history = try kubectl(h, ["rollout", "history", "deployment/web"])
                #expect(history.contains("1         <none>") && history.contains("2         <none>"), "\(history)")

                // Undo: the first ReplicaSet comes back as revision 3; no third ReplicaSet.
                #expect(try kubectl(h, ["rollout", "undo", "deployment/web"]).contains("deployment.apps/web rolled back"))
                _ = try kubectl(h, ["rollout", "status", "deployment/web", "--timeout=60s"])
                try await h.eventually("the web:1 pods back") {
                    let p = try await pods(h, "app%3Dweb")
                    return p.count == 3 && p.allSatisfy { $0.image == "web:1" && $0.isReadyPod }
                }
                let rsAfterUndo = try await h.items("/apis/apps/v1/namespaces/default/replicasets")
                #expect(rsAfterUndo.count == 2)
                let revived = try #require(rsAfterUndo.first { $0.objectName == rs1.objectName })
                #expect(revived.lookup(["metadata", "annotations", "deployment.kubernetes.io/revision"])?.stringValue == "3")
                #expect(revived.lookup(["metadata", "annotations", "deployment.kubernetes.io/revision-history"])?.stringValue == "1")
                let after = try kubectl(h, ["rollout", "history", "deployment/web"])
                #expect(after.contains("2         <none>") && after.contains("3         <none>") && !after.contains("1         <none>"), "\(after)")
                #expect(try kubectl(h, ["rollout", "history", "deployment/web", "--revision=3"]).contains("web:1"))
                let d = try #require(try await h.get("/apis/apps/v1/namespaces/default/deployments/web"))
                #expect(d.lookup(["metadata", "annotations", "deployment.kubernetes.io/revision"])?.stringValue == "3")
                let progressing = d.lookup(["status", "conditions"])?.listValue?.first { $0["type"]?.stringValue == "Progressing" }
                #expect(progressing?["reason"]?.stringValue == "NewReplicaSetAvailable")
            }
        }
    }

}

extension ReleasedCharts {
    /// `helm install --wait` on the released control-plane chart: helm 4 waits on the
    /// Deployment's status (observedGeneration, replicas, conditions), so it returns once the
    /// controllers have rolled it out, and fails when its pod never becomes ready.
    @Suite("helm install --wait against the simulated controllers")
    struct HelmWaitTests {
        @Test func installWaitsForTheControlPlaneDeployment() async throws {
            try await withHelm { h in
                let chart = try RealCharts.path("slim-control-plane-2.2.0.tgz")
                let (code, out, err) = try h.helm(["install", "slim-control", chart, "-n", "slim", "--create-namespace", "--wait", "--timeout", "120s"])
                #expect(code == 0, "helm install --wait: \(out)\n\(err)")
                let d = try #require(try await h.get("/apis/apps/v1/namespaces/slim/deployments/slim-control"))
                #expect(d.lookup(["status", "availableReplicas"])?.intValue == 1, "helm returned before the Deployment was available")
                #expect(d.lookup(["status", "observedGeneration"]) == d.lookup(["metadata", "generation"]))
                let rs = try await h.items("/apis/apps/v1/namespaces/slim/replicasets")
                #expect(rs.count == 1 && rs.first?.lookup(["status", "readyReplicas"])?.intValue == 1)
                #expect(try h.releaseStatus("slim-control", namespace: "slim") == "deployed")
            }
        }

        @Test func installWaitFailsWhenThePodNeverBecomesReady() async throws {
            try await withHelm { h in
                h.server.cluster.setBehavior(podPrefix: "slim-control-", .neverReady)
                let chart = try RealCharts.path("slim-control-plane-2.2.0.tgz")
                let (code, out, err) = try h.helm(["install", "slim-control", chart, "-n", "slim", "--create-namespace", "--wait", "--timeout", "5s"])
                #expect(code != 0, "helm reported success for a Deployment that never became available: \(out)")
                #expect(try h.releaseStatus("slim-control", namespace: "slim") == "failed", "\(err)")
            }
        }
    }
}
