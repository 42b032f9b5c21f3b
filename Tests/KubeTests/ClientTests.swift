import Foundation
import Kube
import KubeSim
import Testing
import YAML

@Suite("client operations against the simulated API server (TLS, client certificates)")
struct ClientTests {
    @Test func discoveryMapsKindsToURLsAndScope() async throws {
        try await withCluster { _, client, _ in
            let all = try await client.discover()
            let ds = try #require(all.first { $0.kind == "DaemonSet" })
            #expect(ds.groupVersion == "apps/v1")
            #expect(ds.namespaced)
            #expect(ds.path(namespace: "ns", name: "x") == "/apis/apps/v1/namespaces/ns/daemonsets/x")
            let node = try await client.resource(apiVersion: "v1", kind: "Node")
            #expect(!node.namespaced)
            #expect(node.path(namespace: "ignored", name: "n1") == "/api/v1/nodes/n1")
            await #expect(throws: KubeError.self) { try await client.resource(apiVersion: "example.com/v1", kind: "Widget") }
        }
    }

    @Test func applyCreatesThenUpdatesAndBumpsGeneration() async throws {
        try await withCluster { server, client, _ in
            server.cluster.addWorkers(2)
            let created = try await client.apply(try daemonSet("slim"))
            #expect(created.lookup(["metadata", "generation"])?.intValue == 1)
            #expect(created.lookup(["metadata", "managedFields"])?.listValue?.first?["manager"]?.stringValue == "slimctl")
            let same = try await client.apply(try daemonSet("slim"))
            #expect(same.lookup(["metadata", "generation"])?.intValue == 1)
            let changed = try await client.apply(try daemonSet("slim", image: "slim:2"))
            #expect(changed.lookup(["metadata", "generation"])?.intValue == 2)
            let got = try #require(try await client.get(apiVersion: "apps/v1", kind: "DaemonSet", name: "slim"))
            #expect(got.lookup(["spec", "template", "spec", "containers"])?.listValue?.first?["image"]?.stringValue == "slim:2")
        }
    }

    @Test func applyConflictWithoutForceNamesTheOtherManager() async throws {
        try await withCluster { server, client, path in
            _ = try await client.apply(configMap("cm", ["k": "a"]))
            var opts = KubeClientOptions()
            opts.fieldManager = "helm"
            let other = try KubeClient(kubeconfig: path, options: opts)
            do {
                _ = try await other.apply(configMap("cm", ["k": "b"]), force: false)
                Issue.record("expected a conflict")
            } catch let e as KubeError {
                #expect(e.code == 409)
                #expect(e.message.contains("conflict with \"slimctl\""))
                #expect(e.message.contains(".data.k"))
                #expect(e.message.contains("context \"kind-sim\""))
            }
            let forced = try await other.apply(configMap("cm", ["k": "b"]), force: true)
            #expect(forced.lookup(["data", "k"])?.stringValue == "b")
            _ = server
        }
    }

    @Test func listPaginatesAndSelects() async throws {
        try await withCluster { server, client, _ in
            for i in 0..<23 {
                _ = try server.cluster.create(
                    "configmaps", namespace: "default",
                    configMap("cm-\(String(format: "%02d", i))", ["i": String(i)]).withLabel("parity", i % 2 == 0 ? "even" : "odd"))
            }
            server.cluster.clearRequestLog()
            let all = try await client.list(apiVersion: "v1", kind: "ConfigMap", pageSize: 5)
            #expect(all.items.count == 23)
            #expect(all.items.first?["kind"]?.stringValue == "ConfigMap")
            #expect(Set(all.items.compactMap { $0.lookup(["metadata", "name"])?.stringValue }).count == 23)
            #expect(server.cluster.requestLog.filter { $0.contains("/configmaps") }.count == 5)
            let even = try await client.list(apiVersion: "v1", kind: "ConfigMap", labelSelector: "parity=even")
            #expect(even.items.count == 12)
            let one = try await client.list(apiVersion: "v1", kind: "ConfigMap", fieldSelector: "metadata.name=cm-07")
            #expect(one.items.count == 1)
            let notIn = try await client.list(apiVersion: "v1", kind: "ConfigMap", labelSelector: "parity notin (even)")
            #expect(notIn.items.count == 11)
        }
    }

    @Test func getMissingIsNilAndCreateInMissingNamespaceExplains() async throws {
        try await withCluster { _, client, _ in
            let missing = try await client.get(apiVersion: "v1", kind: "ConfigMap", name: "nope")
            #expect(missing == nil)
            do {
                _ = try await client.apply(configMap("x", [:], namespace: "ghost"))
                Issue.record("expected 404")
            } catch let e as KubeError {
                #expect(e.kind == .notFound)
                #expect(e.message.contains("namespaces \"ghost\" not found"))
            }
        }
    }

    @Test func invalidManifestReportsFieldCauses() async throws {
        try await withCluster { _, client, _ in
            let pod = try YAML.load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n", file: "p.yaml")
            do {
                _ = try await client.apply(pod)
                Issue.record("expected 422")
            } catch let e as KubeError {
                #expect(e.code == 422)
                #expect(e.message.contains("spec.containers"))
            }
        }
    }

    @Test func deleteWithPropagationWaitsUntilGoneAndCollectsPods() async throws {
        var opts = SimOptions()
        opts.terminationDelay = 0.2
        try await withCluster(opts) { server, client, _ in
            server.cluster.addWorkers(3)
            _ = try await client.apply(try daemonSet("gone"))
            _ = try await waitFor(client, apiVersion: "apps/v1", kind: "DaemonSet", name: "gone") {
                DaemonSet($0).numberReady == 3
            }
            let deleted = try await client.delete(apiVersion: "apps/v1", kind: "DaemonSet", name: "gone", propagation: .foreground, wait: true)
            #expect(deleted)
            #expect(try await client.get(apiVersion: "apps/v1", kind: "DaemonSet", name: "gone") == nil)
            // Pods terminate gracefully; wait for the last of them through the client too.
            for p in try await client.list(apiVersion: "v1", kind: "Pod").items {
                let name = try #require(p.lookup(["metadata", "name"])?.stringValue)
                _ = try await client.delete(apiVersion: "v1", kind: "Pod", name: name, wait: true, timeout: 5)
            }
            #expect(try await client.list(apiVersion: "v1", kind: "Pod").items.isEmpty)
            let again = try await client.delete(apiVersion: "apps/v1", kind: "DaemonSet", name: "gone")
            #expect(!again)
        }
    }

    @Test func watchSeesChangesAndBookmarks() async throws {
        var opts = SimOptions()
        opts.bookmarkInterval = 0.1
        try await withCluster(opts) { server, client, _ in
            let start = try await client.list(apiVersion: "v1", kind: "ConfigMap")
            let collected = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    var seen: [String] = []
                    for try await e in client.watch(apiVersion: "v1", kind: "ConfigMap", resourceVersion: start.resourceVersion) {
                        switch e {
                        case .added(let o): seen.append("ADDED \(o.lookup(["metadata", "name"])?.stringValue ?? "")")
                        case .modified(let o): seen.append("MODIFIED \(o.lookup(["data", "k"])?.stringValue ?? "")")
                        case .deleted: seen.append("DELETED")
                        case .bookmark: if !seen.contains("BOOKMARK") { seen.append("BOOKMARK") }
                        case .relisted: seen.append("RELISTED")
                        }
                        if seen.contains("DELETED") && seen.contains("BOOKMARK") { return seen }
                    }
                    return seen
                }
                try await Task.sleep(nanoseconds: 100_000_000)
                _ = try await client.apply(configMap("w", ["k": "1"]))
                _ = try await client.apply(configMap("w", ["k": "2"]))
                _ = try await client.delete(apiVersion: "v1", kind: "ConfigMap", name: "w")
                let r = try await group.next() ?? []
                group.cancelAll()
                return r
            }
            #expect(collected.filter { $0 != "BOOKMARK" } == ["ADDED w", "MODIFIED 2", "DELETED"])
            #expect(collected.contains("BOOKMARK"))
            _ = server
        }
    }

    @Test func logsWithOptionsAndFollow() async throws {
        try await withCluster { server, client, _ in
            server.cluster.addWorkers(1)
            _ = try await client.apply(try daemonSet("logger"))
            let ds = try await waitFor(client, apiVersion: "apps/v1", kind: "DaemonSet", name: "logger") { DaemonSet($0).numberReady == 1 }
            #expect(DaemonSet(ds).rolledOut)
            let pod = try #require(try await client.list(apiVersion: "v1", kind: "Pod", labelSelector: "app=logger").items.first)
            let name = try #require(pod.lookup(["metadata", "name"])?.stringValue)
            for i in 1...5 { server.cluster.appendLog(pod: name, "line \(i)") }
            var lines: [String] = []
            for try await l in client.logs(pod: name) { lines.append(l) }
            #expect(lines == ["line 1", "line 2", "line 3", "line 4", "line 5"])
            var tail: [String] = []
            for try await l in client.logs(pod: name, options: LogOptions(container: "main", tailLines: 2, timestamps: true)) { tail.append(l) }
            #expect(tail.count == 2)
            #expect(tail[1].hasSuffix(" line 5"))
            #expect(tail[1].first?.isNumber == true)
            var since: [String] = []
            for try await l in client.logs(pod: name, options: LogOptions(sinceSeconds: 3600)) { since.append(l) }
            #expect(since.count == 5)
            // Follow: see existing lines and new ones as they are written.
            let followed = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    var got: [String] = []
                    for try await l in client.logs(pod: name, options: LogOptions(follow: true, tailLines: 1)) {
                        got.append(l)
                        if got.count == 3 { return got }
                    }
                    return got
                }
                // The follower must be attached before the live lines are written (a line
                // written earlier is history, and `tailLines: 1` would skip it).
                try await until { server.cluster.logFollowerCount(pod: name) > 0 }
                server.cluster.appendLog(pod: name, "live 1")
                server.cluster.appendLog(pod: name, "live 2")
                let r = try await group.next() ?? []
                group.cancelAll()
                return r
            }
            #expect(followed == ["line 5", "live 1", "live 2"])
            await #expect(throws: KubeError.self) {
                for try await _ in client.logs(pod: name, options: LogOptions(previous: true)) {}
            }
        }
    }

    @Test func requestLogRedactsBearerTokens() async throws {
        let server = try await KubeSimServer.start()
        defer { Task { await server.shutdown() } }
        server.cluster.tokens["s3cr3t-token-value"] = SimUser(name: "robot", groups: ["system:masters"])
        let dir = tempDir()
        let cfg = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster: {server: "\(server.url)", certificate-authority: \(server.pki.caCertPath)}
            users:
            - name: robot
              user: {token: s3cr3t-token-value}
            contexts:
            - name: ctx
              context: {cluster: c, user: robot, namespace: kube-system}
            current-context: ctx
            """
        try cfg.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
        let log = LogBox()
        var opts = KubeClientOptions()
        opts.requestLog = { log.append($0) }
        let client = try KubeClient(kubeconfig: dir + "/config", options: opts)
        #expect(client.namespace == "kube-system")
        _ = try await client.list(apiVersion: "v1", kind: "Pod")
        let text = log.lines.joined(separator: "\n")
        #expect(text.contains("Authorization: Bearer <redacted>"))
        #expect(!text.contains("s3cr3t"))
        #expect(server.cluster.requestLog.contains { $0.hasPrefix("GET /api/v1/namespaces/kube-system/pods") })
    }
}

final class LogBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    func append(_ s: String) { lock.lock(); _lines.append(s); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return _lines }
}

extension Value {
    func withLabel(_ k: String, _ v: String) -> Value {
        guard case .map(var m) = self, case .map(var meta)? = m["metadata"] else { return self }
        var labels = meta["labels"]?.mapValue ?? [:]
        labels[k] = .string(v)
        meta["labels"] = .map(labels)
        m["metadata"] = .map(meta)
        return .map(m)
    }
}
