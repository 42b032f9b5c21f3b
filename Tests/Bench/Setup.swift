import Foundation
import KubeSim
import TestCharts
import YAML

/// Where the binaries are and how each is run: the release slimctl, and the real helm and
/// kubectl from `.tools/bin` (the same ones the tests use).
struct Bench {
    let root: String
    let slimctl: String
    let kubectl: String
    let helm: String
    /// Fewer repetitions (for a quick look; the committed results use the full counts).
    let quick: Bool

    func runs(_ full: Int) -> Int { quick ? max(3, full / 4) : full }

    static func locate(quick: Bool) throws -> Bench {
        let root = FileManager.default.currentDirectoryPath
        let bench = Bench(
            root: root, slimctl: "\(root)/.build/release/slimctl", kubectl: "\(root)/.tools/bin/kubectl",
            helm: "\(root)/.tools/bin/helm", quick: quick)
        for (what, path, fix) in [
            ("slimctl", bench.slimctl, "swift build -c release"), ("kubectl", bench.kubectl, "make tools"),
            ("helm", bench.helm, "make tools")
        ] where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchError("\(what) not found at \(path): run `\(fix)` (make bench does both)")
        }
        return bench
    }

    func tempDir(_ name: String) -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-bench-\(name)-\(UUID().uuidString.prefix(6))").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The environment slimctl, helm and kubectl all get: a state folder, the kubeconfig, no colour.
    func env(state: String, kubeconfig: String? = nil) -> [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["SLIMCTL_STATE_DIR"] = state
        e["SLIMCTL_HOME"] = root
        e["NO_COLOR"] = "1"
        e["HOME"] = state
        e["PATH"] = "\(root)/.tools/bin:" + (e["PATH"] ?? "/usr/bin:/bin")
        if let kubeconfig { e["KUBECONFIG"] = kubeconfig } else { e.removeValue(forKey: "KUBECONFIG") }
        return e
    }

    /// A simulated cluster shaped like the daemonset strategy's kind cluster, with its kubeconfig.
    func kindShapedCluster() async throws -> (KubeSimServer, String) {
        let server = try await KubeSimServer.start()
        server.cluster.setNodes([
            .init(
                name: "slim-cluster-control-plane", labels: ["node-role.kubernetes.io/control-plane": ""],
                taints: [.init(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule)]),
            .init(name: "slim-cluster-worker"),
            .init(name: "slim-cluster-worker2")
        ])
        let path = tempDir("kubeconfig") + "/kubeconfig"
        try server.kubeconfig().write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return (server, path)
    }

    /// Runs `body` against a fresh kind-shaped cluster and always shuts the server down.
    func withKindShapedCluster<T>(_ body: (KubeSimServer, String) throws -> T) async throws -> T {
        let (server, kubeconfig) = try await kindShapedCluster()
        do {
            let result = try body(server, kubeconfig)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// The released charts of the daemonset strategy's default generation, as packaged files.
    var chartFlags: [String] {
        get throws {
            [
                "--chart", "slim=\(try RealCharts.path("slim-2.2.0.tgz"))",
                "--chart", "slim-control=\(try RealCharts.path("slim-control-plane-2.2.0.tgz"))"
            ]
        }
    }

    /// Waits until the server has received watch requests and no new one for a moment: the tool
    /// under test is then listening, and the measured instant can start.
    func waitForWatches(_ server: KubeSimServer, atLeast: Int = 1) throws {
        var last = -1
        var stableSince = ContinuousClock.now
        try waitUntil("the tool's watches", timeout: 30) {
            let n = server.cluster.requestLog.filter { $0.contains("watch=true") || $0.contains("watch=1") }.count
            if n != last { last = n; stableSince = .now }
            return n >= atLeast && ContinuousClock.now - stableSince > .milliseconds(250)
        }
    }
}
