import Foundation
import Kube
import KubeSim
import Placement
import TestCharts
import Testing
import Tools

/// The repository root, found from this file.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
/// The released charts of the daemonset strategy's default generation (2), as `--chart` arguments.
func realChartArgs(slim: String = "2.2.0", control: String = "2.2.0") throws -> [String] {
    [
        "--chart", "slim-control=\(try RealCharts.path("slim-control-plane-\(control).tgz"))",
        "--chart", "slim=\(try RealCharts.path("slim-\(slim).tgz"))"
    ]
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}

/// The real helm binary; a missing one fails the test with the fix.
func helmBinary() throws -> String {
    let p = ProcessInfo.processInfo.environment["SLIMCTL_HELM"] ?? "\(root)/.tools/bin/helm"
    guard FileManager.default.isExecutableFile(atPath: p) else { throw TestFailure("helm not found at \(p): run `make tools` (scripts/fetch-tools.sh)") }
    return p
}

func tempDir() -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("kubetarget-\(UUID().uuidString.prefix(8))").path
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// The slimctl binary of the same build as this test bundle (`swift test` builds it too).
func slimctlBinary() throws -> String {
    let bundleDir = (CommandLine.arguments.first.map { ($0 as NSString).deletingLastPathComponent }) ?? ""
    var candidates = [ProcessInfo.processInfo.environment["SLIMCTL_BIN"]].compactMap { $0 }
    var dir = bundleDir
    for _ in 0..<4 {
        candidates.append("\(dir)/slimctl")
        dir = (dir as NSString).deletingLastPathComponent
    }
    candidates.append("\(root)/.build/debug/slimctl")
    guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw TestFailure("slimctl binary not found (\(candidates.joined(separator: ", "))): run `swift build` first (make test does)")
    }
    return bin
}

/// PATH with the project's tools (helm) first, so slimctl finds the real helm.
func toolsPath(extra: [String] = []) throws -> String {
    let helmDir = (try helmBinary() as NSString).deletingLastPathComponent
    return (extra + [helmDir, ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]).joined(separator: ":")
}

/// Runs slimctl with its own state folder and the given kubeconfig.
func slimctl(_ args: [String], state: String, kubeconfig: String? = nil, path: String? = nil) async throws -> (Int32, String) {
    try await Spawn.capture(
        [try slimctlBinary()] + args, environment: try slimctlEnvironment(state: state, kubeconfig: kubeconfig, path: path),
        timeout: .seconds(300))
}

/// The environment every slimctl a test starts gets: its own state folder and HOME (helm's
/// caches and config stay in the test's folder), the tools, no colour.
func slimctlEnvironment(state: String, kubeconfig: String? = nil, path: String? = nil) throws -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["SLIMCTL_STATE_DIR"] = state
    env["SLIMCTL_HOME"] = root
    env["NO_COLOR"] = "1"
    env["PATH"] = try path ?? toolsPath()
    env["HOME"] = state
    if let kubeconfig { env["KUBECONFIG"] = kubeconfig }
    return env
}

/// A simulated cluster shaped like the daemonset strategy's kind cluster: a tainted
/// control-plane and two workers.
func withKindShapedCluster<T>(_ body: (KubeSimServer, String) async throws -> T) async throws -> T {
    let server = try await KubeSimServer.start()
    server.cluster.setNodes([
        .init(
            name: "slim-cluster-control-plane", labels: ["node-role.kubernetes.io/control-plane": ""],
            taints: [.init(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule)]),
        .init(name: "slim-cluster-worker"),
        .init(name: "slim-cluster-worker2")
    ])
    let dir = tempDir()
    let path = dir + "/kubeconfig"
    try server.kubeconfig().write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o600)
    do {
        let r = try await body(server, path)
        await server.shutdown()
        return r
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Starts slimctl, sends SIGINT once `ready` holds (within 60 s), and returns its exit code and
/// output: how the interrupt tests end a command in the middle.
func interrupted(_ args: [String], environment: [String: String], log: String, when ready: () async throws -> Bool) async throws -> (Int32, String) {
    let pid = try Spawn.start([try slimctlBinary()] + args, environment: environment, output: .file(log))
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline, !(try await ready()) {
        try await Task.sleep(for: .milliseconds(20))
    }
    kill(pid, SIGINT)
    var st: Int32 = 0
    waitpid(pid, &st, 0)
    return ((st >> 8) & 0xff, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}
