import Foundation
import Kube
import KubeSim
import Placement
import Testing
import YAML

/// `slimctl logs --target cluster` end to end: the real binary against the simulated API server.
@Suite(.serialized) struct LogsCommandEndToEnd {
    /// 60 workers, the SLIM DaemonSet with two containers per pod: every container of all 60
    /// pods (kubectl's `-l` stops at 5) is printed, each prefix padded to the longest.
    @Test func sixtyPodsEveryContainerAligned() async throws {
        let server = try await KubeSimServer.start()
        defer { Task { await server.shutdown() } }
        server.cluster.addWorkers(60, prefix: "w")
        let kubeconfig = tempDir() + "/kubeconfig"
        try server.kubeconfig().write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        _ = try server.cluster.create("namespaces", .map(["apiVersion": "v1", "kind": "Namespace", "metadata": .map(["name": "slim"])]))
        _ = try server.cluster.create(
            "daemonsets", namespace: "slim",
            try Value(
                json: """
                    {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "slim", "namespace": "slim"},
                     "spec": {"selector": {"matchLabels": {"app": "slim"}},
                              "template": {"metadata": {"labels": {"app": "slim"}},
                                           "spec": {"containers": [{"name": "slim", "image": "ghcr.io/agntcy/slim:1.4.0"},
                                                                   {"name": "metrics", "image": "busybox"}]}}}}
                    """))
        // A pod with the chart's label but not the DaemonSet's selector is not SLIM's.
        try makePod(server.cluster, "stray", namespace: "slim", labels: ["app.kubernetes.io/instance": "slim"])
        try await waitRunning(server.cluster, namespace: "slim", count: 61)
        let pods = server.cluster.list("pods", namespace: "slim").compactMap { $0.lookup(["metadata", "name"])?.stringValue }.filter { $0 != "stray" }
        #expect(pods.count == 60)
        for p in pods {
            server.cluster.appendLog(namespace: "slim", pod: p, container: "slim", "\(p) data plane up")
            server.cluster.appendLog(namespace: "slim", pod: p, container: "metrics", "\(p) metrics ready")
        }
        server.cluster.appendLog(namespace: "slim", pod: "stray", "not slim")
        let state = tempDir()
        let (code, out) = try await slimctl(["logs", "daemonset", "slim", "--target", "cluster"], state: state, kubeconfig: kubeconfig)
        #expect(code == 0, "\(out)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 120, "60 pods x 2 containers: \(out)")
        #expect(!out.contains("not slim"), "only the DaemonSet's pods")
        let width = pods.map { "\($0)/metrics".count }.max() ?? 0
        for p in pods {
            #expect(lines.contains("\("\(p)/slim".padding(toLength: width, withPad: " ", startingAt: 0)) \(p) data plane up"), "\(p)")
            #expect(lines.contains("\("\(p)/metrics".padding(toLength: width, withPad: " ", startingAt: 0)) \(p) metrics ready"), "\(p)")
        }
        #expect(Set(lines.map { $0.dropFirst(width).first }) == [" "], "every line's text starts in the same column")

        // --node puts the node first; the widths follow.
        let (code2, out2) = try await slimctl(
            ["logs", "daemonset", "slim", "--target", "cluster", "--node", "--tail", "1"], state: state, kubeconfig: kubeconfig)
        #expect(code2 == 0, "\(out2)")
        let nodeOf = Dictionary(
            uniqueKeysWithValues: server.cluster.list("pods", namespace: "slim").compactMap { p -> (String, String)? in
                guard let n = p.lookup(["metadata", "name"])?.stringValue, let node = p.lookup(["spec", "nodeName"])?.stringValue else { return nil }
                return (n, node)
            })
        let first = try #require(pods.first)
        #expect(out2.contains("\(nodeOf[first] ?? "?")/\(first)/slim"), "\(out2)")
        #expect(out2.split(separator: "\n").count == 120, "--tail 1 per container")
    }

    @Test func tailSinceTimestampsJSONAndUnknownNames() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            try makePod(server.cluster, "bob", labels: ["app.kubernetes.io/name": "bob"], containers: ["sender"])
            try await waitRunning(server.cluster, namespace: "default", count: 1)
            for i in 1...5 { server.cluster.appendLog(pod: "bob", "Sent message hello - \(i)/10") }
            let state = tempDir()

            let secret = "a-shared-secret-of-more-than-thirty-two-characters"
            server.cluster.appendLog(pod: "bob", "args --shared-secret \(secret)")
            let (codeR, outR) = try await slimctl(
                ["logs", "sender", "--target", "cluster", "--tail", "1", "--var", "sharedSecret=\(secret)"],
                state: state, kubeconfig: kubeconfig)
            #expect(codeR == 0 && outR == "bob/sender args --shared-secret <secret:sharedSecret>\n", "\(outR)")
            for i in 4...5 { server.cluster.appendLog(pod: "bob", "Sent message hello - \(i)/10") }

            let (code, out) = try await slimctl(["logs", "sender", "--target", "cluster", "--tail", "2"], state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out == "bob/sender Sent message hello - 4/10\nbob/sender Sent message hello - 5/10\n", "one word: a component, strategy daemonset")

            server.cluster.clearRequestLog()
            let (code2, out2) = try await slimctl(
                ["logs", "daemonset", "bob", "--target", "cluster", "--since", "1h30m", "--timestamps"],
                state: state, kubeconfig: kubeconfig)
            #expect(code2 == 0, "\(out2)")
            #expect(server.cluster.requestLog.contains { $0.contains("/pods/bob/log?") && $0.contains("sinceSeconds=5400") }, "\(server.cluster.requestLog)")
            let stamped = out2.split(separator: "\n")
            #expect(stamped.count == 8)
            for l in stamped {
                let parts = l.split(separator: " ")
                #expect(parts.count > 2 && parts[0] == "bob/sender" && parts[1].hasSuffix("Z") && parts[1].contains("T"), "\(l)")
            }

            let (code3, out3) = try await slimctl(
                ["logs", "daemonset", "sender", "--target", "cluster", "--output", "json", "--timestamps"],
                state: state, kubeconfig: kubeconfig)
            #expect(code3 == 0, "\(out3)")
            let objects = try out3.split(separator: "\n").map { try Value(json: String($0)) }
            #expect(objects.count == 8)
            #expect(
                objects.compactMap { $0["line"]?.stringValue }.filter { $0.hasPrefix("Sent") } == (1...5).map { "Sent message hello - \($0)/10" } + [
                    "Sent message hello - 4/10", "Sent message hello - 5/10"
                ])
            #expect(
                objects.allSatisfy {
                    $0["pod"]?.stringValue == "bob" && $0["container"]?.stringValue == "sender"
                        && $0["node"]?.stringValue?.hasPrefix("slim-cluster-worker") == true && $0["time"]?.stringValue?.hasSuffix("Z") == true
                })

            let (code4, out4) = try await slimctl(["logs", "daemonset", "bobb", "--target", "cluster"], state: state, kubeconfig: kubeconfig)
            #expect(code4 == 2, "\(out4)")
            #expect(out4.contains("no component or pod named `bobb`") && out4.contains("did you mean `bob`?"), "\(out4)")

            let (code5, out5) = try await slimctl(["logs", "daemonset", "spire", "--target", "cluster"], state: state, kubeconfig: kubeconfig)
            #expect(code5 == 2 && out5.contains("no SPIRE"), "\(out5)")

            let (code6, out6) = try await slimctl(["logs", "sender", "--target", "cluster", "--since", "90"], state: state, kubeconfig: kubeconfig)
            #expect(code6 == 2 && out6.contains("Go duration"), "\(out6)")
        }
    }

    /// -f: a pod created while following shows up, a deleted one is reported, a crash-looping
    /// container is followed into each new instance with no line lost or shown twice; Ctrl-C
    /// ends it with 130.
    @Test func followPicksUpNewPodsDeletionsAndRestarts() async throws {
        var options = SimOptions()
        options.startDelay = 1.0  // each crash-loop instance lives a second
        let server = try await KubeSimServer.start(options: options)
        defer { Task { await server.shutdown() } }
        server.cluster.setNodes([.init(name: "worker-1"), .init(name: "worker-2")])
        let kubeconfig = tempDir() + "/kubeconfig"
        try server.kubeconfig().write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let alice = ["app.kubernetes.io/name": "alice"]
        try makePod(server.cluster, "alice-one", labels: alice)
        try await waitRunning(server.cluster, namespace: "default", count: 1)
        server.cluster.appendLog(pod: "alice-one", "before the tail")

        let f = try Followed(["logs", "daemonset", "receiver", "-f", "--target", "cluster"], state: tempDir(), kubeconfig: kubeconfig)
        try await f.wait("the existing line") { $0.stdout.contains("alice-one/receiver before the tail") }
        server.cluster.appendLog(pod: "alice-one", "while following")
        try await f.wait("a line written while following") { $0.stdout.contains("while following") }

        try makePod(server.cluster, "alice-two-longer", labels: alice)
        try await waitRunning(server.cluster, namespace: "default", count: 2)
        try await f.wait("the new pod's follow") { _ in server.cluster.logFollowerCount >= 2 }
        server.cluster.appendLog(pod: "alice-two-longer", "hello from the new pod")
        try await f.wait("the new pod's line") { $0.stdout.contains("alice-two-longer/receiver hello from the new pod") }
        server.cluster.appendLog(pod: "alice-one", "realigned")
        try await f.wait("realigned prefix") {
            $0.stdout.contains("alice-one/receiver".padding(toLength: "alice-two-longer/receiver".count, withPad: " ", startingAt: 0) + " realigned")
        }

        let node = server.cluster.get("pods", namespace: "default", name: "alice-one")?.lookup(["spec", "nodeName"])?.stringValue ?? "?"
        server.cluster.delete("pods", namespace: "default", name: "alice-one")
        try await f.wait("the deletion reported on stderr") { $0.stderr.contains("[alice-one on \(node) deleted]") }
        #expect(!f.stdout.contains("deleted]"), "reports go to stderr")

        server.cluster.setBehavior(podPrefix: "alice-crash", .crashLoop(exitCode: 1))
        try makePod(server.cluster, "alice-crash", labels: alice)
        try await f.wait("three instances of the crash-looping container", timeout: 60) { $0.stdout.contains("starting (attempt 3)") }
        server.cluster.appendLog(pod: "alice-crash", "written by attempt 3")
        try await f.wait("the third instance's own line", timeout: 60) {
            $0.stdout.contains("written by attempt 3") || $0.stdout.contains("starting (attempt 5)")
        }
        try await f.wait("a fourth instance", timeout: 60) { $0.stdout.contains("starting (attempt 4)") }

        let code = await f.interrupt()
        #expect(code == 130, "Ctrl-C: \(f.stderr)")
        #expect(!f.stderr.contains("resume"), "nothing to resume after logs: \(f.stderr)")
        let crash = f.lines.filter { $0.hasPrefix("alice-crash/receiver") }
        for n in 1...4 {
            #expect(crash.filter { $0.hasSuffix(" starting (attempt \(n))") }.count == 1, "attempt \(n) exactly once:\n\(crash.joined(separator: "\n"))")
        }
        #expect(crash.filter { $0.hasSuffix("written by attempt 3") }.count == 1, "\(crash)")
        #expect(crash.contains { $0.contains("[alice-crash/receiver restarted (restart 1): following the new instance]") }, "\(crash)")
        let attempts = crash.compactMap { l in l.range(of: "starting (attempt ").map { Int(l[$0.upperBound...].dropLast()) ?? 0 } }
        #expect(attempts == Array(1...(attempts.last ?? 0)), "in order, none lost: \(attempts)")
        #expect(f.stdout.components(separatedBy: "hello from the new pod").count == 2, "not duplicated")
        #expect(f.stdout.components(separatedBy: "before the tail").count == 2, "not duplicated")
    }

    /// Hundreds of follows at once (each its own stream on the client's curl thread): every
    /// line of a burst from 200 pods arrives, none twice.
    @Test func twoHundredFollowsAtOnce() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let names = (0..<200).map { "alice-\($0)" }
            for n in names { try makePod(server.cluster, n, labels: ["app.kubernetes.io/name": "alice"]) }
            try await waitRunning(server.cluster, namespace: "default", count: names.count)
            let f = try Followed(["logs", "daemonset", "receiver", "-f", "--target", "cluster"], state: tempDir(), kubeconfig: kubeconfig)
            try await f.wait("200 follows", timeout: 60) { _ in server.cluster.logFollowerCount >= names.count }
            for chunk in 0..<5 {
                for n in names { server.cluster.appendLogs(pod: n, (0..<10).map { "\(n) line \(chunk * 10 + $0)" }) }
            }
            try await f.wait("all 10,000 lines", timeout: 120) { $0.lines.count >= 10_000 }
            let code = await f.interrupt()
            #expect(code == 130)
            let lines = f.lines
            #expect(lines.count == 10_000, "none twice")
            #expect(Set(lines.map { $0.split(separator: " ").dropFirst().joined(separator: " ") }).count == 10_000)
        }
    }
}
