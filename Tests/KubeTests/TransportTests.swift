import Foundation
import KubeSim
import Testing
import YAML

@testable import Kube

/// How the client uses its connections: HTTP/2 negotiated by ALPN as with kube-apiserver,
/// many streams on few connections (more than the server's 100-stream limit spread over
/// several), HTTP/1.1 when the server offers nothing else, and back-pressure on streams.
@Suite("transport: HTTP/2, connection sharing, back-pressure", .serialized)
struct TransportTests {
    /// `count` Running pods named `prefix-N` with one container each, ready to log.
    func runningPods(_ cluster: SimCluster, prefix: String, count: Int) async throws -> [String] {
        let names = (0..<count).map { "\(prefix)-\($0)" }
        for n in names {
            _ = try cluster.create(
                "pods", namespace: "default",
                .map([
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": .map(["name": .string(n), "labels": .map(["app": .string(prefix)])]),
                    "spec": .map(["containers": .list([.map(["name": "main", "image": "busybox"])])])
                ]))
        }
        try await until {
            cluster.list("pods", namespace: "default").filter({
                $0.lookup(["status", "phase"])?.stringValue == "Running" && ($0.lookup(["metadata", "name"])?.stringValue ?? "").hasPrefix(prefix)
            }).count >= count
        }
        return names
    }

    @Test func requestsUseHTTP2AndShareOneConnection() async throws {
        let lines = LogBox()
        var o = KubeClientOptions()
        o.requestLog = { lines.append($0) }
        try await withCluster(clientOptions: o) { server, client, _ in
            server.cluster.clearRequestLog()
            for i in 0..<10 { _ = try await client.apply(configMap("cm\(i)", ["k": "v"])) }
            _ = try await client.list(apiVersion: "v1", kind: "ConfigMap")
            #expect(server.cluster.connectionLog == ["h2"], "connections: \(server.cluster.connectionLog)")
            #expect(server.cluster.http2Requests >= 11)
            let answers = lines.lines.filter { $0.hasPrefix("< ") }
            #expect(!answers.isEmpty && answers.allSatisfy { $0.hasSuffix("(HTTP/2)") }, "\(answers.prefix(3))")
        }
    }

    @Test func fallsBackToHTTP1WhenTheServerOffersOnlyThat() async throws {
        var options = SimOptions()
        options.http2 = false
        try await withCluster(options) { server, client, _ in
            server.cluster.clearRequestLog()
            for i in 0..<5 { _ = try await client.apply(configMap("cm\(i)", ["k": "v"])) }
            #expect(!server.cluster.connectionLog.isEmpty)
            #expect(server.cluster.connectionLog.allSatisfy { $0 == "http/1.1" })
            #expect(server.cluster.connectionLog.count == 1, "kept alive and reused: \(server.cluster.connectionLog)")
            #expect(server.cluster.http2Requests == 0)
        }
    }

    /// 150 follows at once with a 100-stream limit per connection: every follow must start
    /// (none queued behind the others), spread over a few HTTP/2 connections, not 150.
    @Test func moreFollowsThanTheStreamLimitAllFlow() async throws {
        try await withCluster { server, client, _ in
            server.cluster.addWorkers(2)
            let pods = try await runningPods(server.cluster, prefix: "many", count: 150)
            server.cluster.clearRequestLog()
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for p in pods {
                    group.addTask {
                        var n = 0
                        for try await chunk in client.logChunks(pod: p, options: LogOptions(follow: true)) {
                            n += chunk.count
                            if n >= 20 { return n }
                        }
                        return n
                    }
                }
                try await until { server.cluster.logFollowerCount >= pods.count }
                for p in pods { server.cluster.appendLogs(pod: p, (0..<20).map { "\(p) \($0)" }) }
                var all: [Int] = []
                for try await n in group { all.append(n) }
                return all
            }
            #expect(counts.count == 150 && counts.allSatisfy { $0 == 20 })
            let conns = server.cluster.connectionLog
            #expect(conns.allSatisfy { $0 == "h2" })
            // At least two (the server allows 100 streams per connection), and not one per stream
            // past the first hundred (what libcurl alone does: 51 connections here).
            #expect(conns.count >= 2 && conns.count <= 4, "150 streams over \(conns.count) connections")
        }
    }

    /// A consumer far slower than the server: the follow holds at most about its byte limit,
    /// libcurl is paused and resumed, and every line arrives once, in order.
    @Test func slowConsumerPausesTheStreamWithoutLosingLines() async throws {
        try await withCluster { server, client, _ in
            server.cluster.addWorkers(1)
            let pod = try #require(try await runningPods(server.cluster, prefix: "chatty", count: 1).first)
            let payload = String(repeating: "x", count: 200)
            let total = 40_000  // ~8.5 MB: eight times the stream's byte limit
            let before = CurlEngine.shared.flowStats
            let stream = client.logChunks(pod: pod, options: LogOptions(follow: true))
            var it = stream.makeAsyncIterator()
            try await until { server.cluster.logFollowerCount >= 1 }
            for start in stride(from: 0, to: total, by: 1_000) {
                server.cluster.appendLogs(pod: pod, (start..<start + 1_000).map { "\($0) \(payload)" })
            }
            // Let the server push as much as the client will take before reading anything.
            try await Task.sleep(nanoseconds: 500_000_000)
            var next = 0
            var ordered = true
            while next < total, let chunk = try await it.next() {
                for l in chunk {
                    if !l.hasPrefix("\(next) ") { ordered = false }
                    next += 1
                }
                if next < 5_000 { try await Task.sleep(nanoseconds: 1_000_000) }
            }
            #expect(next == total)
            #expect(ordered)
            let after = CurlEngine.shared.flowStats
            #expect(after.pauses > before.pauses, "the transfer was never paused")
            #expect(after.resumes > before.resumes, "the transfer was never resumed")
        }
    }

    /// What waits between libcurl and the consumer stays near the limit however fast the server is.
    @Test func bytesWaitingForTheConsumerAreBounded() async throws {
        try await withCluster { server, client, _ in
            server.cluster.addWorkers(1)
            let pod = try #require(try await runningPods(server.cluster, prefix: "burst", count: 1).first)
            server.cluster.appendLogs(pod: pod, (0..<30_000).map { "\($0) " + String(repeating: "y", count: 250) })
            let path = "/api/v1/namespaces/default/pods/\(pod)/log?follow=true"
            let expected = (0..<30_000).reduce(0) { $0 + String($1).utf8.count + 252 }
            let (t, reader) = try await client.openStream(path, operation: "test")
            var r = reader
            try await Task.sleep(nanoseconds: 500_000_000)
            var got = 0
            while got < expected, let e = try await r.next() {
                if case .body(let b) = e { got += b.count }
            }
            CurlEngine.shared.cancel(t)
            #expect(got == expected)
            #expect(t.peakPending <= KubeClient.streamBufferLimit + 512 * 1024, "peak \(t.peakPending)")
        }
    }

    @Test func kubectlNegotiatesHTTP2WithTheSimulator() async throws {
        try await withCluster { server, _, kubeconfig in
            server.cluster.clearRequestLog()
            let (status, out, err) = try KubectlTests().run(["get", "namespaces"], kubeconfig: kubeconfig)
            #expect(status == 0, "\(err)")
            #expect(out.contains("default"))
            #expect(server.cluster.connectionLog.contains("h2"), "kubectl connections: \(server.cluster.connectionLog)")
        }
    }
}
