import Foundation
import Kube
import KubeSim
import Placement
import Testing
import Tools
import YAML

/// `slimctl verify --target cluster`: the real slimctl (and the real helm for the deploy) against
/// the simulated API server.
@Suite(.serialized) struct VerifyClusterTests {
    var charts: [String] { get throws { try realChartArgs() } }

    func deploy(_ kubeconfig: String, state: String) async throws {
        let (code, out) = try await slimctl(["deploy", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig)
        guard code == 0 else { throw TestFailure("deploy failed (\(code)): \(out)") }
    }

    func verify(_ extra: [String] = [], state: String, kubeconfig: String) async throws -> (Int32, String) {
        try await slimctl(["verify", "daemonset", "--target", "cluster"] + extra, state: state, kubeconfig: kubeconfig)
    }

    /// The SLIM DaemonSet's pods, by node.
    func slimPods(_ server: KubeSimServer) -> [Value] {
        server.cluster.list("pods", namespace: "slim").filter {
            $0.lookup(["metadata", "ownerReferences"])?.listValue?.first?["kind"]?.stringValue == "DaemonSet"
        }
    }

    func until(_ what: String, timeout: Int = 60, _ check: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while !check() {
            if ContinuousClock.now > deadline { throw TestFailure("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func deletePod(_ kubeconfig: String, _ name: String) async throws {
        let client = try KubeClient(kubeconfig: kubeconfig)
        try await client.delete(apiVersion: "v1", kind: "Pod", name: name, namespace: "slim", wait: true, timeout: 30)
    }

    /// slimctl in the background, its output in a file.
    func background(_ args: [String], state: String, kubeconfig: String) throws -> (pid_t, String) {
        var env = ProcessInfo.processInfo.environment
        env["SLIMCTL_STATE_DIR"] = state; env["SLIMCTL_HOME"] = root; env["NO_COLOR"] = "1"
        env["PATH"] = try toolsPath(); env["HOME"] = state; env["KUBECONFIG"] = kubeconfig
        let log = state + "/bg-\(UUID().uuidString.prefix(6)).out"
        let pid = try Spawn.start([try slimctlBinary()] + args, environment: env, output: .file(log))
        return (pid, log)
    }

    func read(_ log: String) -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    func exitCode(_ pid: pid_t) -> Int32 {
        var st: Int32 = 0
        waitpid(pid, &st, 0)
        return (st >> 8) & 0xff
    }

    @Test func afterDeployVerifyPassesWithATableAndJSON() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            let (code, out) = try await verify(state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out.contains("NODE"), "\(out)")
            for p in slimPods(server) {
                let name = p.lookup(["metadata", "name"])?.stringValue ?? "?"
                let node = p.lookup(["spec", "nodeName"])?.stringValue ?? "?"
                #expect(
                    out.split(separator: "\n").contains { $0.hasPrefix(node) && $0.contains(name) && $0.contains("Ready") },
                    "row for \(name) on \(node): \(out)")
            }
            #expect(out.contains("ok   DaemonSet slim: 2/2 nodes ready"), "\(out)")
            #expect(out.contains("slim-cluster-control-plane: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"), "\(out)")
            #expect(out.contains("ok   Service slim (internalTrafficPolicy Local)"), "\(out)")
            #expect(out.contains("ok   Service slim-any (internalTrafficPolicy Cluster)"), "\(out)")
            #expect(out.contains("ok   Deployment slim-control: 1/1 available"), "\(out)")
            #expect(out.contains("verify: everything holds"), "\(out)")

            let (jcode, jout) = try await verify(["--output", "json"], state: state, kubeconfig: kubeconfig)
            #expect(jcode == 0, "\(jout)")
            let results = try Value(json: jout).listValue ?? []
            #expect(results.count == 4, "\(jout)")
            #expect(results.allSatisfy { $0["outcome"]?.stringValue == "pass" }, "\(jout)")
            let rows = results.first?["rows"]?.listValue ?? []
            #expect(Set(rows.compactMap { $0["node"]?.stringValue }) == ["slim-cluster-worker", "slim-cluster-worker2"], "\(jout)")
        }
    }

    @Test func aTaintedWorkerAndANotReadyWorkerAreExplained() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            server.cluster.setNodes([.init(name: "slim-cluster-worker3", taints: [.init(key: "dedicated", value: "gpu", effect: .noSchedule)])])
            server.cluster.setNodes([.init(name: "slim-cluster-worker2", ready: false)])
            let (code, out) = try await verify(state: state, kubeconfig: kubeconfig)
            // No pod is owed to either node: verify holds, and says why.
            #expect(code == 0, "\(out)")
            #expect(out.contains("slim-cluster-worker3: taint dedicated=gpu:NoSchedule not tolerated"), "\(out)")
            #expect(!slimPods(server).contains { $0.lookup(["spec", "nodeName"])?.stringValue == "slim-cluster-worker3" })
            #expect(out.contains("node slim-cluster-worker2 NotReady (KubeletNotReady: container runtime network not ready)"), "\(out)")
        }
    }

    @Test func aCrashLoopingSlimPodFailsWithRestartsAndLastLogLines() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            let victim = try #require(slimPods(server).first?.lookup(["metadata", "name"])?.stringValue)
            server.cluster.setBehavior(podPrefix: "slim-", .crashLoop(exitCode: 1))
            try await deletePod(kubeconfig, victim)
            // The simulated kubelet stops after 20 restarts, in back-off: a state that holds still.
            try await until("a crash-looping replacement") {
                slimPods(server).contains { p in
                    (p.lookup(["status", "containerStatuses"])?.listValue?.first?["restartCount"]?.intValue ?? 0) >= 20
                        && p.lookup(["status", "containerStatuses"])?.listValue?.first?.lookup(["state", "waiting", "reason"])?.stringValue
                            == "CrashLoopBackOff"
                }
            }
            let (code, out) = try await verify(state: state, kubeconfig: kubeconfig)
            #expect(code == 1, "\(out)")
            #expect(out.contains("FAIL DaemonSet slim: 1/2 nodes ready"), "\(out)")
            let line = out.split(separator: "\n").first { $0.contains("CrashLoopBackOff (last exit: Error, exit code 1), restarts 20") }
            #expect(line != nil, "\(out)")
            #expect(line?.contains("last log lines: starting (attempt") == true, "the previous container's log: \(out)")
            #expect(out.contains("verify: 1 check(s) failed"), "\(out)")
        }
    }

    @Test func anImagePullFailureNamesTheImage() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            let victim = try #require(slimPods(server).first)
            let image = try #require(victim.lookup(["spec", "containers"])?.listValue?.first?["image"]?.stringValue)
            server.cluster.setBehavior(podPrefix: "slim-", .imagePullFailure)
            try await deletePod(kubeconfig, victim.lookup(["metadata", "name"])?.stringValue ?? "")
            try await until("ImagePullBackOff") {
                slimPods(server).contains {
                    $0.lookup(["status", "containerStatuses"])?.listValue?.first?.lookup(["state", "waiting", "reason"])?.stringValue == "ImagePullBackOff"
                }
            }
            let (code, out) = try await verify(state: state, kubeconfig: kubeconfig)
            #expect(code == 1, "\(out)")
            #expect(out.contains("ImagePullBackOff: image \(image) not found"), "\(out)")
            let (jcode, jout) = try await verify(["-o", "json"], state: state, kubeconfig: kubeconfig)
            #expect(jcode == 1)
            let ds = try Value(json: jout).listValue?.first
            #expect(ds?["outcome"]?.stringValue == "fail")
            #expect((ds?["problems"]?.listValue ?? []).contains { $0.stringValue?.contains("image \(image) not found") == true }, "\(jout)")
        }
    }

    @Test func waitReturnsOnceASlowPodIsReadyByWatching() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            server.cluster.setBehavior(podPrefix: "slim-", .neverReady)
            try await deletePod(kubeconfig, try #require(slimPods(server).first?.lookup(["metadata", "name"])?.stringValue))
            try await until("a replacement that is not ready") { slimPods(server).count == 2 }
            server.cluster.clearRequestLog()
            let (pid, log) = try background(["verify", "daemonset", "--target", "cluster", "--wait", "--timeout", "120"], state: state, kubeconfig: kubeconfig)
            try await until("verify to watch pods") {
                server.cluster.requestLog.contains { $0.hasPrefix("GET /api/v1/namespaces/slim/pods?") && $0.contains("watch=true") }
            }
            try await until("verify to say what it waits for") {
                read(log).contains("waiting: FAIL DaemonSet slim") || read(log).contains("FAIL DaemonSet slim")
            }
            try await Task.sleep(for: .seconds(1))  // a poller would have listed pods many times by now
            // The slow pod gets ready: its replacement starts normally.
            server.cluster.setBehavior(podPrefix: "slim-", .normal)
            let stuck = try #require(
                slimPods(server).first { p in
                    !((p.lookup(["status", "conditions"])?.listValue ?? []).contains {
                        $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
                    })
                })
            try await deletePod(kubeconfig, stuck.lookup(["metadata", "name"])?.stringValue ?? "")
            let code = exitCode(pid)
            let out = read(log)
            #expect(code == 0, "\(out)")
            #expect(out.contains("verify: everything holds"), "\(out)")
            // (The test's own delete lists by name: not verify's.)
            let podLists = server.cluster.requestLog.filter {
                $0.hasPrefix("GET /api/v1/namespaces/slim/pods?") && !$0.contains("watch=true") && !$0.contains("fieldSelector=metadata.name")
            }
            #expect(podLists.count == 1, "one list, then the watch: \(podLists)")
        }
    }

    @Test func watchReportsANewNodeItsPodAndReadinessUntilInterrupted() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir()
            try await deploy(kubeconfig, state: state)
            let (pid, log) = try background(["verify", "daemonset", "--target", "cluster", "--watch"], state: state, kubeconfig: kubeconfig)
            let (jpid, jlog) = try background(
                ["verify", "daemonset", "--target", "cluster", "--watch", "--output", "json"], state: state, kubeconfig: kubeconfig)
            try await until("both watchers to start") {
                read(log).contains("watching for changes") && read(jlog).contains("\"type\":\"verify\"")
                    && server.cluster.requestLog.filter { $0.hasPrefix("GET /api/v1/nodes?") && $0.contains("watch=true") }.count >= 2
            }
            server.cluster.setNodes([.init(name: "slim-cluster-worker3")])
            try await until("the new node's pod to be Ready in both outputs") {
                read(log).contains("on slim-cluster-worker3: Ready") && read(jlog).contains("on slim-cluster-worker3: Ready")
            }
            // A rolling update: the template changes, pods are replaced node by node.
            let client = try KubeClient(kubeconfig: kubeconfig)
            let patch: Value = .map(["spec": .map(["template": .map(["metadata": .map(["annotations": .map(["rollout": "2"])])])])])
            _ = try await client.request(
                "PATCH", "/apis/apps/v1/namespaces/slim/daemonsets/slim", body: patch.jsonBytes,
                contentType: "application/merge-patch+json", operation: "patch the DaemonSet")
            try await until("the rolling update to finish") {
                let text = read(log)
                guard let r = text.range(of: "DaemonSet slim changed (generation 2)") else { return false }
                return text[r.upperBound...].contains("ok   DaemonSet slim: 3/3 nodes ready")
            }
            kill(pid, SIGINT)
            kill(jpid, SIGINT)
            #expect(exitCode(pid) == 130)
            #expect(exitCode(jpid) == 130)
            let out = read(log)
            let lines = out.split(separator: "\n").map(String.init)
            let joined = lines.firstIndex { $0.contains("node slim-cluster-worker3 joined (Ready)") }
            let scheduled = lines.firstIndex { $0.contains("scheduled on slim-cluster-worker3") }
            let ready = lines.firstIndex { $0.contains("on slim-cluster-worker3: Ready") }
            #expect(joined != nil && scheduled != nil && ready != nil, "\(out)")
            if let joined, let scheduled, let ready { #expect(joined < scheduled && scheduled < ready, "in order: \(out)") }
            #expect(out.contains("ok   DaemonSet slim: 3/3 nodes ready"), "the verdict follows: \(out)")
            let afterUpdate = lines.drop { !$0.contains("DaemonSet slim changed (generation 2)") }
            let replaced = Set(
                afterUpdate.filter { $0.contains("deleted") && $0.contains("pod slim/slim-") }.compactMap {
                    $0.split(separator: " on ").last?.split(separator: " ").first.map(String.init)
                })
            #expect(replaced == ["slim-cluster-worker", "slim-cluster-worker2", "slim-cluster-worker3"], "each node's pod replaced: \(out)")
            #expect(afterUpdate.contains { $0.contains("FAIL DaemonSet slim") }, "the update shows as a gap while it runs: \(out)")

            // JSON: one object per line, each parseable.
            let objects = try read(jlog).split(separator: "\n").filter { $0.hasPrefix("{") }.map { try Value(json: String($0)) }
            #expect(objects.first?["type"]?.stringValue == "verify")
            #expect(
                objects.contains {
                    $0["type"]?.stringValue == "change" && $0["kind"]?.stringValue == "node" && $0["name"]?.stringValue == "slim-cluster-worker3"
                })
            #expect(
                objects.contains {
                    $0["type"]?.stringValue == "change" && $0["kind"]?.stringValue == "pod" && $0["node"]?.stringValue == "slim-cluster-worker3"
                        && $0["status"]?.stringValue == "Ready"
                })
        }
    }

    @Test func anUnreachableClusterExitsThreeNamingContextAndServer() async throws {
        let server = try await KubeSimServer.start()
        let dir = tempDir()
        let kubeconfig = dir + "/kubeconfig"
        try server.kubeconfig().write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let url = server.url
        await server.shutdown()
        let (code, out) = try await verify(state: dir, kubeconfig: kubeconfig)
        #expect(code == 3, "\(out)")
        #expect(out.contains("context kind-sim"), "\(out)")
        #expect(out.contains(url), "\(out)")
    }

    @Test func statefulSetRuleOnObjectsMadeInTheSimulator() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let dir = tempDir()
            let strategy = dir + "/sts.yaml"
            try """
            name: sts
            description: a StatefulSet to verify
            variables:
              replicas: {default: "2"}
            cluster:
              name: sim
              nodes: [{role: control-plane}, {role: worker}]
            steps:
              - name: cluster
                cluster: {}
            verify:
              - statefulSet: {name: web, namespace: apps, replicas: ((replicas))}
            """.write(toFile: strategy, atomically: true, encoding: .utf8)
            _ = try server.cluster.create("namespaces", Value(json: #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"apps"}}"#))
            _ = try server.cluster.create(
                "statefulsets", namespace: "apps",
                Value(
                    json: """
                        {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web","namespace":"apps"},
                         "spec":{"replicas":2,"serviceName":"web","selector":{"matchLabels":{"app":"web"}},
                           "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}
                        """))
            let (code, out) = try await slimctl(["verify", strategy, "--target", "cluster", "--wait", "--timeout", "60"], state: dir, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out.contains("ok   StatefulSet web: 2/2 replicas ready"), "\(out)")
            #expect(out.contains("web-0") && out.contains("web-1"), "\(out)")

            let (code3, out3) = try await slimctl(["verify", strategy, "--target", "cluster", "--var", "replicas=3"], state: dir, kubeconfig: kubeconfig)
            #expect(code3 == 1, "\(out3)")
            #expect(out3.contains("web-2: missing"), "\(out3)")
            #expect(out3.contains("StatefulSet web has spec.replicas 2; the strategy declares 3"), "\(out3)")
        }
    }
}
