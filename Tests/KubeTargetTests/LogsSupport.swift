import Foundation
import KubeSim
import YAML

/// slimctl running in the background (`logs -f`), its stdout and stderr collected as they come,
/// so a test can wait for a line, act on the cluster, and end it with SIGINT.
final class Followed: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var outText = ""
    private var errText = ""

    init(_ args: [String], state: String, kubeconfig: String) throws {
        process.executableURL = URL(fileURLWithPath: try slimctlBinary())
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["SLIMCTL_STATE_DIR"] = state
        env["SLIMCTL_HOME"] = root
        env["NO_COLOR"] = "1"
        env["HOME"] = state
        env["KUBECONFIG"] = kubeconfig
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock(); self.outText += String(decoding: d, as: UTF8.self); self.lock.unlock()
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock(); self.errText += String(decoding: d, as: UTF8.self); self.lock.unlock()
        }
        try process.run()
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return outText }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return errText }
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// Waits (bounded) until `ok` holds on what was printed so far; fails with everything seen.
    func wait(_ what: String, timeout: Double = 30, _ ok: (Followed) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !ok(self) {
            guard Date() < deadline, process.isRunning else {
                throw TestFailure("slimctl logs -f: \(what) did not happen (running: \(process.isRunning))\nstdout:\n\(stdout)\nstderr:\n\(stderr)")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Ctrl-C; returns the exit status.
    func interrupt() async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 50_000_000) }
        if process.isRunning { process.terminate(); return -1 }
        try? await Task.sleep(nanoseconds: 100_000_000)  // the last bytes reach the handlers
        return process.terminationStatus
    }
}

/// A bare pod in `namespace` (the scheduler places it, the kubelet stand-in runs it).
func makePod(
    _ cluster: SimCluster, _ name: String, namespace: String = "default", labels: [String: String],
    containers: [String] = ["receiver"]
) throws {
    _ = try cluster.create(
        "pods", namespace: namespace,
        .map([
            "apiVersion": "v1", "kind": "Pod",
            "metadata": .map([
                "name": .string(name), "namespace": .string(namespace),
                "labels": .map(.init(uniqueKeysWithValues: labels.map { ($0.key, Value.string($0.value)) }))
            ]),
            "spec": .map(["containers": .list(containers.map { .map(["name": .string($0), "image": "slimctl/slim-test-apps:1.4.1"]) })])
        ]))
}

/// Waits (bounded) until `count` pods of the namespace run.
func waitRunning(_ cluster: SimCluster, namespace: String, count: Int, timeout: Double = 60) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        let running = cluster.list("pods", namespace: namespace).filter {
            ($0.lookup(["status", "containerStatuses"])?.listValue ?? []).contains { $0.lookup(["state", "running"]) != nil }
        }
        if running.count >= count { return }
        guard Date() < deadline else { throw TestFailure("\(running.count)/\(count) pods running in \(namespace)") }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
}
