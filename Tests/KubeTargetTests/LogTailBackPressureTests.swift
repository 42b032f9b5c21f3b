import Foundation
import Kube
import KubeSim
import Testing
import YAML

@testable import KubeTarget

/// `logs -f` whose reader stops (Ctrl-Z, a pager that is not reading): the tail must hold every
/// container's stream still instead of buffering the logs, and lose nothing when the reader
/// comes back. Behaviour only: what was held, what arrived, in which order; never how fast.
@Suite(.serialized) struct LogTailBackPressure {
    /// Resident memory of this process now (the simulated API server included).
    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = s.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Lines the simulated kubelet has generated so far (it generates only what the
    /// connection can take: a held stream holds it).
    final class Generated: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.lock(); n += 1; lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return n }
    }

    /// 20 pods offer 1 KiB lines, over 400 MB in all, while nobody reads the tail's events.
    /// The producers stall with a small part sent, memory grows by far less than what was
    /// offered (under 128 MB for 404 MB), and once reading resumes every line arrives exactly once, in order per
    /// container.
    @Test func stoppedReaderHoldsTheStreamsAndLosesNothing() async throws {
        let server = try await KubeSimServer.start()
        defer { Task { await server.shutdown() } }
        server.cluster.addWorkers(4, prefix: "w")
        let kubeconfig = tempDir() + "/kubeconfig"
        try server.kubeconfig().write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let pods = (0..<20).map { "flood-\($0)" }
        for p in pods { try makePod(server.cluster, p, labels: ["app": "flood"]) }
        try await waitRunning(server.cluster, namespace: "default", count: pods.count)

        let client = try KubeClient(kubeconfig: kubeconfig)
        let tail = LogTail(
            client: client, sources: [PodSource(namespace: "default", labelSelector: "app=flood")],
            options: LogTailOptions(follow: true))
        var it = tail.events().makeAsyncIterator()
        // Read until every container is shown, then until all 20 follows are connected.
        while true {
            guard let e = await it.next() else { throw TestFailure("the tail ended before showing the pods") }
            if case .targets(let ts) = e, ts.count == pods.count { break }
        }
        try await eventually("all \(pods.count) log follows connected") { server.cluster.logFollowerCount >= pods.count }

        let chunks = 1300, linesPerChunk = 16
        let pad = String(repeating: "x", count: 1000)
        let perPod = chunks * linesPerChunk
        let lineBytes = 1000 + 20
        let offered = pods.count * perPod * lineBytes
        #expect(offered > 400_000_000)
        let generated = Generated()
        let before = Self.residentBytes()
        for p in pods {
            server.cluster.streamLogs(
                pod: p, chunks: chunks, linesPerChunk: linesPerChunk,
                line: { n in
                    generated.add(); return "\(p) \(n) \(pad)"
                })
        }
        // The reader is stopped: wait until the producers are held (nothing more generated for
        // a second), however long sending the first part takes.
        var last = -1, still = 0
        let deadline = Date().addingTimeInterval(300)
        while still < 5 && Date() < deadline {
            try await Task.sleep(nanoseconds: 200_000_000)
            let n = generated.count
            if n == last { still += 1 } else { still = 0; last = n }
        }
        let held = generated.count
        let growth = Self.residentBytes() - before
        // What was generated sits in the kernel's socket buffers (their size is the machine's,
        // up to tens of MB per connection) and in the bounded buffers; never all of it.
        #expect(held < pods.count * perPod, "the producers were held: \(held * lineBytes) of \(offered) bytes generated while nobody read")
        print("stopped reader: \((held * lineBytes) >> 20) MiB generated of \(offered >> 20) MiB offered, resident memory +\(growth >> 20) MiB")
        // The whole process's memory, so tests of other suites running meanwhile count too
        // (+4 MiB alone, +30 MiB next to the other log and cluster suites); without the bound
        // it grows with what was offered (+479 MiB).
        #expect(growth < 128 << 20, "resident memory grew by \(growth >> 20) MiB while \((held * lineBytes) >> 20) MiB were generated")

        // Resume: every line once, in order, per container (a watchdog ends a reader that would
        // otherwise wait for lines that never come).
        let reading = Task { () -> (counts: [String: Int], problems: [String]) in
            var next: [String: Int] = [:]
            var problems: [String] = []
            var done = 0
            while done < pods.count, let e = await it.next() {
                guard case .lines(let t, let batch) = e else { continue }
                for l in batch {
                    let parts = l.text.split(separator: " ", maxSplits: 2)
                    guard parts.count == 3, let n = Int(parts[1]) else { continue }
                    let pod = String(parts[0])
                    if pod != t.pod, problems.count < 10 { problems.append("line of \(pod) shown as \(t.pod)") }
                    let want = next[pod, default: 0]
                    if n != want, problems.count < 10 { problems.append("\(pod): line \(n) where \(want) was due") }
                    next[pod] = n + 1
                    if n + 1 == perPod { done += 1 }
                }
            }
            return (next, problems)
        }
        let watchdog = Task {
            try await Task.sleep(nanoseconds: 600_000_000_000)
            reading.cancel()
        }
        let (counts, problems) = await reading.value
        watchdog.cancel()
        #expect(problems.isEmpty, "\(problems)")
        for p in pods { #expect(counts[p] == perPod, "\(p): \(counts[p] ?? 0) of \(perPod) lines") }
    }

    /// The merge keeps hand-in order across kinds: an event that does not wait (a deletion, a
    /// warning) queues behind lines whose senders are still waiting, and the waiting senders
    /// go on only once the reader has caught up.
    @Test func mergeKeepsOrderAndHoldsSenders() async throws {
        let merge = LogMerge(limit: 100)
        let t = LogTarget(namespace: "ns", pod: "p", container: "c", node: "n")
        let big = [LogText(text: String(repeating: "a", count: 200), time: nil)]
        let sent = Generated()
        let sender = Task {
            await merge.send(.lines(t, big))
            sent.add()
            await merge.send(.lines(t, big))
            sent.add()
        }
        try await eventually("the first batch queued") { merge.pending > 100 }
        merge.yield(.podDeleted(namespace: "ns", pod: "p", node: "n"))
        #expect(sent.count == 0, "the sender waits while the reader is behind")
        var it = LogEvents(merge).makeAsyncIterator()
        guard case .lines? = await it.next() else { Issue.record("lines first"); return }
        guard case .podDeleted? = await it.next() else { Issue.record("then the deletion"); return }
        guard case .lines? = await it.next() else { Issue.record("then the second batch"); return }
        await sender.value
        #expect(sent.count == 2)
        merge.finish()
        #expect(await it.next() == nil)
    }
}

/// Waits (bounded, generously) until `ok` holds.
func eventually(_ what: String, timeout: Double = 120, _ ok: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !ok() {
        guard Date() < deadline else { throw TestFailure("\(what) did not happen") }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
}
