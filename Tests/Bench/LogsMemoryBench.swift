import Foundation
import KubeSim
import YAML

/// Logs with a reader that stops: 200 pods followed while the tool's stdout is not read for
/// 10 s (a stopped terminal, a pager that is not reading), each pod offering 2 MB of 1 KiB
/// lines at the pace the connection takes them. The figure is the tool's peak resident memory
/// (VmHWM) at the end of the stop; the notes give the peak including the catch-up after it
/// (every line must still arrive) and the memory of following 200 idle pods. What matters is
/// that it does not grow with what was offered. Against `kubectl logs -l … -f --max-log-requests=200 --prefix`.
extension Bench {
    static let stoppedSeconds = 10
    static let stoppedChunks = 128
    static let stoppedLinesPerChunk = 16

    func logsStoppedReader() async throws -> [Figure] {
        try await withKindShapedCluster(measureStoppedReader)
    }

    /// The peak resident memory of a running process, from /proc/<pid>/status.
    static func peakRSS(_ pid: pid_t) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb * 1024
    }

    /// The resident memory of a running process now (VmRSS).
    static func residentNow(_ pid: pid_t) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb * 1024
    }

    private func measureStoppedReader(_ server: KubeSimServer, _ kubeconfig: String) throws -> [Figure] {
        let state = tempDir("logs-memory")
        let env = self.env(state: state, kubeconfig: kubeconfig)
        let tools = followCommands
        let perPod = Self.stoppedChunks * Self.stoppedLinesPerChunk
        let expected = Self.logPods * perPod
        let pad = String(repeating: "x", count: 1000)
        var peaks: [String: [Double]] = [:]
        var lost: [String: Int] = [:]
        var offeredMB = 0
        var idles: [String: [Int]] = [:]
        var catchUp: [String: [Double]] = [:]
        for run in 0..<runs(3) {
            for (name, argv) in tools {
                let pods = try createLogPods(server.cluster, tag: "m\(name.prefix(1))\(run)")
                let child = try Child.start(argv, env: env, stdout: .pipe)
                guard let fd = child.stdout else { throw BenchError("no stdout pipe") }
                do {
                    try waitUntil("\(name) to follow all \(Self.logPods) pods", timeout: 60) { server.cluster.logFollowerCount >= Self.logPods }
                } catch {
                    child.terminate()
                    _ = child.wait()
                    throw error
                }
                let idle = Self.residentNow(child.pid)
                for pod in pods {
                    server.cluster.streamLogs(
                        pod: pod, chunks: Self.stoppedChunks, linesPerChunk: Self.stoppedLinesPerChunk,
                        line: { "\(pod) \($0) \(pad)" })
                }
                offeredMB = expected * (pad.utf8.count + 24) / 1_000_000
                // Nobody reads the tool's stdout for 10 s.
                Thread.sleep(forTimeInterval: Double(Self.stoppedSeconds))
                let stopped = Self.peakRSS(child.pid)
                // Then the reader comes back: every line must still arrive.
                let counter = LineCounter(fd: fd, target: expected)
                var last = -1
                var quietSince = ContinuousClock.now
                try? waitUntil("\(name) to print every line", timeout: 300) {
                    let n = counter.count
                    if n != last { last = n; quietSince = .now }
                    return n >= expected || ContinuousClock.now - quietSince > .seconds(10)
                }
                let peak = max(stopped, Self.peakRSS(child.pid))
                child.interrupt()
                _ = child.wait()
                peaks[name, default: []].append(Double(stopped))
                catchUp[name, default: []].append(Double(peak))
                lost[name, default: 0] += max(0, expected - counter.count)
                idles[name, default: []].append(idle)
                print(
                    "  \(name) run \(run): peak RSS \(peak >> 20) MiB (\(stopped >> 20) MiB after the stop, \(idle >> 20) MiB following before any line), \(counter.count)/\(expected) lines"
                )
                fflush(nil)
                for pod in pods { server.cluster.delete("pods", namespace: "default", name: pod) }
                try waitUntil("the log pods to go away") { server.cluster.list("pods", namespace: "default").isEmpty }
            }
        }
        let slimLost = lost["slimctl"] ?? 0
        return [
            Figure(
                id: "logs-stopped-memory", title: "logs -f, 200 pods, reader stopped 10 s: peak RSS", unit: "bytes",
                slimctl: peaks["slimctl"] ?? [], peer: peaks["kubectl"],
                peerCommand: "kubectl logs -l ... -f --max-log-requests=200 --prefix",
                goal: "<= 64 MB, 0 lost", goalMet: { $0.max <= Double(64 << 20) && slimLost == 0 },
                notes: [
                    "peak RSS including the catch-up after the stop (p50): slimctl \(Int(Stats(catchUp["slimctl"] ?? []).median / 1e6)) MB, kubectl \(Int(Stats(catchUp["kubectl"] ?? []).median / 1e6)) MB",
                    "resident memory once following the 200 pods, before any line: slimctl \(Int(Stats((idles["slimctl"] ?? []).map(Double.init)).median / 1e6)) MB, kubectl \(Int(Stats((idles["kubectl"] ?? []).map(Double.init)).median / 1e6)) MB",
                    "\(offeredMB) MB offered per run (200 pods x 2,048 lines of ~1 KB)",
                    "lines lost over all runs: slimctl \(slimLost), kubectl \(lost["kubectl"] ?? 0)"
                ])
        ]
    }
}
