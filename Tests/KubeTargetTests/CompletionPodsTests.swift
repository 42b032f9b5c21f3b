import Foundation
import Kube
import KubeSim
import Testing
import Tools
import YAML

/// `slimctl logs <TAB>` on kind and cluster: the pods of the strategy's namespaces, asked of the
/// API server within a short deadline, never from an exec credential plugin, and never hanging
/// the shell when the server does not answer. Called as the completion scripts call it.
@Suite struct CompletionPods {
    static let components = ["slim", "controller", "spire", "receiver", "sender"]

    /// `slimctl ---completion logs -- positional@0 <index> 0 slimctl logs <words…> ""`: completes
    /// a new last word; (candidates, stderr, exit status). The cluster is given a minute to
    /// answer (`SLIMCTL_COMPLETION_TIMEOUT`), so a busy machine does not turn pods into no pods;
    /// the test of the bound sets its own. With `bound`, coreutils' `timeout` ends the command
    /// after that many seconds of its own (status 124): a bound measured on the command, not on
    /// this test process, whose threads the other tests may hold for a while.
    static func completeLogs(
        _ words: [String], state: String, env extra: [String: String] = [:], bound: Int? = nil
    ) async throws -> ([String], String, Int32) {
        var env = try slimctlEnvironment(state: state)
        env["SLIMCTL_COMPLETION_TIMEOUT"] = "60"
        for (k, v) in extra { env[k] = v }
        let line = ["slimctl", "logs"] + words + [""]
        let wrapper = bound.map { ["/usr/bin/timeout", String($0)] } ?? []
        let r = try await Spawn.captureSeparately(
            wrapper + [try slimctlBinary(), "---completion", "logs", "--", "positional@0", String(line.count - 1), "0"] + line,
            environment: env, timeout: .seconds(180))
        #expect(!r.timedOut && r.status == 0, "status \(r.status)")
        return (
            String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init), String(decoding: r.stderr, as: UTF8.self),
            r.status
        )
    }

    /// Pods in the daemonset strategy's namespaces (`slim` for SLIM, `default` for the apps)
    /// and one elsewhere, which must not be offered.
    static func addPods(kubeconfig: String) async throws {
        let client = try KubeClient(kubeconfig: kubeconfig)
        for ns in ["slim", "elsewhere"] {
            try await client.apply(.map(["apiVersion": "v1", "kind": "Namespace", "metadata": .map(["name": .string(ns)])]))
        }
        for (name, ns) in [("slim-x7k2p", "slim"), ("alice-4fj2k", "default"), ("unrelated-1", "elsewhere")] {
            try await client.apply(
                .map([
                    "apiVersion": "v1", "kind": "Pod", "metadata": .map(["name": .string(name), "namespace": .string(ns)]),
                    "spec": .map(["containers": .list([.map(["name": "c", "image": "busybox"])])])
                ]))
        }
    }

    @Test func clusterTargetOffersThePodsOfTheStrategysNamespaces() async throws {
        try await withKindShapedCluster { _, kubeconfig in
            try await Self.addPods(kubeconfig: kubeconfig)
            let state = "\(tempDir())/state"
            let (names, err, _) = try await Self.completeLogs(["--target", "cluster", "daemonset"], state: state, env: ["KUBECONFIG": kubeconfig])
            #expect(err.isEmpty, "\(err)")
            #expect(Array(names.prefix(5)) == Self.components, "\(names)")
            #expect(names.contains("slim-x7k2p") && names.contains("alice-4fj2k"), "\(names)")
            #expect(!names.contains("unrelated-1"), "only the strategy's namespaces: \(names)")
            // -n moves SLIM's namespace, as the command itself would.
            let (moved, _, _) = try await Self.completeLogs(
                ["--target", "cluster", "-n", "elsewhere", "daemonset"], state: state,
                env: ["KUBECONFIG": kubeconfig])
            #expect(moved.contains("unrelated-1") && !moved.contains("slim-x7k2p"), "\(moved)")
            #expect(!FileManager.default.fileExists(atPath: state), "completion creates no state")
        }
    }

    /// kind: the kubeconfig slimctl keeps for the cluster it created, never the user's.
    @Test func kindTargetAsksTheClusterSlimctlCreated() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            try await Self.addPods(kubeconfig: kubeconfig)
            let state = tempDir()
            let (before, _, _) = try await Self.completeLogs(["--target", "kind", "daemonset"], state: state)
            #expect(before == Self.components, "no cluster created yet: \(before)")
            try FileManager.default.createDirectory(atPath: "\(state)/kind", withIntermediateDirectories: true)
            try server.kubeconfig(name: "kind-slim-cluster").write(toFile: "\(state)/kind/slim-cluster.kubeconfig", atomically: true, encoding: .utf8)
            let (names, err, _) = try await Self.completeLogs(["--target", "kind", "daemonset"], state: state, env: ["KUBECONFIG": "/nonexistent"])
            #expect(err.isEmpty && names.contains("slim-x7k2p") && names.contains("alice-4fj2k"), "\(names) \(err)")
        }
    }

    /// An exec credential plugin may prompt or open a browser: completion does not start it.
    @Test func anExecCredentialPluginIsNeverStarted() async throws {
        let dir = tempDir()
        let marker = "\(dir)/plugin-ran"
        let kubeconfig = """
            apiVersion: v1
            kind: Config
            current-context: sso
            clusters:
            - name: c
              cluster: {server: "https://127.0.0.1:1"}
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: /bin/sh
                  args: ["-c", "touch \(marker); sleep 30"]
                  interactiveMode: Never
            contexts:
            - name: sso
              context: {cluster: c, user: u}
            """
        try kubeconfig.write(toFile: "\(dir)/kubeconfig", atomically: true, encoding: .utf8)
        let (names, err, _) = try await Self.completeLogs(["--target", "cluster", "--kubeconfig", "\(dir)/kubeconfig", "daemonset"], state: tempDir())
        #expect(names == Self.components && err.isEmpty, "\(names) \(err)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the plugin ran")
    }

    /// A server that accepts connections and never answers: the answer still comes, bounded.
    @Test func aServerThatNeverAnswersDoesNotHangTheShell() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        #expect(bound == 0 && listen(fd, 16) == 0)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let dir = tempDir()
        try """
        apiVersion: v1
        kind: Config
        current-context: silent
        clusters:
        - name: c
          cluster: {server: "https://127.0.0.1:\(port)", insecure-skip-tls-verify: true}
        users:
        - name: u
          user: {token: t}
        contexts:
        - name: silent
          context: {cluster: c, user: u}
        """.write(toFile: "\(dir)/kubeconfig", atomically: true, encoding: .utf8)
        let (names, err, status) = try await Self.completeLogs(
            ["daemonset", "--target", "cluster"], state: tempDir(), env: ["KUBECONFIG": "\(dir)/kubeconfig", "SLIMCTL_COMPLETION_TIMEOUT": "2"],
            bound: 60)
        // Not a speed check: the completion's own deadline (2 s) ended the wait, long before
        // `timeout` would have ended a hung command (status 124).
        #expect(status == 0, "the completion waited for the silent server until ended by `timeout`: status \(status)")
        #expect(names == Self.components, "\(names)")
        #expect(err.isEmpty, "no TLS warning or error on the command line: \(err)")
    }
}
