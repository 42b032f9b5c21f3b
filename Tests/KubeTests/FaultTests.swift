import Foundation
import Kube
import KubeSim
import Testing
import YAML

@Suite("faults are survived or reported clearly")
struct FaultTests {
    func fastRetries() -> KubeClientOptions {
        var o = KubeClientOptions()
        o.initialBackoff = 0.01
        o.maxBackoff = 0.05
        return o
    }

    @Test func serverErrorIsRetriedOnReadsOnly() async throws {
        try await withCluster(clientOptions: fastRetries()) { server, client, _ in
            server.cluster.inject(SimFaultRule(method: "GET", pathContains: "/configmaps", action: .internalError, times: 2))
            let list = try await client.list(apiVersion: "v1", kind: "ConfigMap")
            #expect(list.items.isEmpty)
            #expect(server.cluster.requestLog.filter { $0.hasPrefix("GET /api/v1/namespaces/default/configmaps") }.count == 3)
            // A non-idempotent create is not retried: the 500 is reported.
            server.cluster.inject(SimFaultRule(method: "DELETE", action: .internalError, times: 1))
            _ = try await client.apply(configMap("x", [:]))
            do {
                _ = try await client.delete(apiVersion: "v1", kind: "ConfigMap", name: "x")
                Issue.record("expected the 500")
            } catch let e as KubeError {
                #expect(e.kind == .server)
                #expect(e.message.contains("Internal error occurred: injected fault"))
                #expect(e.message.contains("delete configmaps \"x\""))
            }
            #expect(server.cluster.requestLog.filter { $0.hasPrefix("DELETE") }.count == 1)
        }
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        try await withCluster(clientOptions: fastRetries()) { server, client, _ in
            server.cluster.inject(SimFaultRule(method: "PATCH", action: .tooManyRequests(retryAfter: 1), times: 1))
            let start = Date()
            _ = try await client.apply(configMap("t", ["a": "b"]))
            #expect(Date().timeIntervalSince(start) >= 0.9)
            #expect(server.cluster.requestLog.filter { $0.hasPrefix("PATCH") }.count == 2)
        }
    }

    @Test func persistentThrottlingIsReported() async throws {
        var o = fastRetries()
        o.maxAttempts = 2
        try await withCluster(clientOptions: o) { server, client, _ in
            server.cluster.inject(SimFaultRule(method: "GET", action: .tooManyRequests(retryAfter: 0), times: 10))
            do {
                _ = try await client.list(apiVersion: "v1", kind: "Pod")
                Issue.record("expected 429")
            } catch let e as KubeError {
                #expect(e.kind == .tooManyRequests)
            }
        }
    }

    @Test func connectionResetIsRetriedForReads() async throws {
        try await withCluster(clientOptions: fastRetries()) { server, client, _ in
            _ = try await client.discover()
            server.cluster.inject(SimFaultRule(method: "GET", pathContains: "/pods", action: .reset, times: 1))
            let pods = try await client.list(apiVersion: "v1", kind: "Pod")
            #expect(pods.items.isEmpty)
            #expect(server.cluster.requestLog.filter { $0.hasPrefix("GET /api/v1/namespaces/default/pods") }.count == 2)
        }
    }

    /// The limit is far above what a request takes on a busy machine (discovery once took more
    /// than 0.5 s there) and the injected delay far above the limit, so only the delayed request
    /// can time out.
    @Test func slowResponseTimesOut() async throws {
        var o = fastRetries()
        o.requestTimeout = 5
        try await withCluster(clientOptions: o) { server, client, _ in
            _ = try await client.discover()
            server.cluster.inject(SimFaultRule(method: "PATCH", action: .delay(20), times: 1))
            do {
                _ = try await client.apply(configMap("slow", [:]))
                Issue.record("expected a timeout")
            } catch let e as KubeError {
                #expect(e.kind == .timeout)
                #expect(e.message.contains("timed out"))
            }
        }
    }

    @Test func watchSurvivesDropAnd410() async throws {
        try await withCluster(clientOptions: fastRetries()) { server, client, _ in
            let start = try await client.list(apiVersion: "v1", kind: "ConfigMap")
            let seen = LogBox()
            let result = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    for try await e in client.watch(apiVersion: "v1", kind: "ConfigMap", resourceVersion: start.resourceVersion) {
                        switch e {
                        case .added(let o): seen.append("ADDED \(o.lookup(["metadata", "name"])?.stringValue ?? "")")
                        case .relisted(let items): seen.append("RELISTED \(items.count)")
                        default: continue
                        }
                        if seen.lines.contains("ADDED c") { return seen.lines }
                    }
                    return seen.lines
                }
                group.addTask {
                    // A deadline for a hung watch, far above what a busy machine needs.
                    try await Task.sleep(nanoseconds: 120_000_000_000)
                    throw KubeError(kind: .timeout, message: "watch saw only \(seen.lines)")
                }
                try await until { server.cluster.watcherCount > 0 }
                _ = try await client.apply(configMap("a", [:]))
                try await until { seen.lines.contains("ADDED a") }
                // The stream breaks; while it is down, a change happens and history is compacted,
                // so the resume is answered 410 and the client relists.
                server.cluster.inject(SimFaultRule(method: "GET", watch: true, action: .internalError, times: 1))
                server.cluster.dropWatches()
                _ = try await client.apply(configMap("b", [:]))
                server.cluster.compactWatchHistory()
                // Only once the relist is in may c be added, or c would be part of the relist.
                try await until { seen.lines.contains { $0.hasPrefix("RELISTED") } }
                _ = try await client.apply(configMap("c", [:]))
                let r = try await group.next() ?? []
                group.cancelAll()
                return r
            }
            #expect(result == ["ADDED a", "RELISTED 2", "ADDED c"])
        }
    }

    @Test func injected410OnWatchRelists() async throws {
        try await withCluster(clientOptions: fastRetries()) { server, client, _ in
            _ = try await client.apply(configMap("one", [:]))
            server.cluster.inject(SimFaultRule(method: "GET", watch: true, action: .expireWatch, times: 1))
            var first: WatchEvent?
            for try await e in client.watch(apiVersion: "v1", kind: "ConfigMap", resourceVersion: "1") {
                first = e
                break
            }
            guard case .relisted(let items)? = first else {
                Issue.record("expected a relist, got \(String(describing: first))")
                return
            }
            #expect(items.count == 1)
        }
    }
}
