import Foundation
import Kube
import KubeSim
import Placement
import Testing
import YAML

/// The suites that run the real helm on the released charts, one test at a time: each starts
/// several helm and kubectl processes, and running them all at once on a small machine starves
/// the timing-sensitive simulator tests that run beside them.
@Suite("released charts", .serialized) enum ReleasedCharts {}

/// The released charts in the shared folder (`../shared/charts` beside the repository, or
/// `SLIMCTL_CHARTS_DIR`): a missing chart fails the test, it is never skipped.
enum RealCharts {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static var dir: String {
        ProcessInfo.processInfo.environment["SLIMCTL_CHARTS_DIR"] ?? (repoRoot as NSString).appendingPathComponent("../shared/charts")
    }

    static func path(_ file: String) throws -> String {
        let p = (dir as NSString).appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: p) else {
            throw KubeError(
                kind: .config, message: "released chart \(file) not found in \(dir): the tests need the shared charts folder (or SLIMCTL_CHARTS_DIR)")
        }
        return p
    }

    static var helm: String { ProcessInfo.processInfo.environment["SLIMCTL_HELM"] ?? "\(repoRoot)/.tools/bin/helm" }
}

/// The real helm (and kubectl) against one simulated cluster, with helm's config, cache and
/// data in the test's own folder so parallel tests share nothing.
struct HelmSession {
    let server: KubeSimServer
    let client: KubeClient
    let kubeconfig: String
    let home: String

    func run(_ tool: String, _ args: [String]) throws -> (code: Int32, out: String, err: String) {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw KubeError(kind: .config, message: "\(tool) not found: run `make tools`")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.environment = [
            "HOME": home, "PATH": "/usr/bin:/bin", "KUBECONFIG": kubeconfig,
            "HELM_CONFIG_HOME": home + "/helm-config", "HELM_CACHE_HOME": home + "/helm-cache", "HELM_DATA_HOME": home + "/helm-data"
        ]
        let outFile = home + "/out-\(UUID().uuidString.prefix(6))", errFile = outFile + ".err"
        _ = FileManager.default.createFile(atPath: outFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        try p.run()
        p.waitUntilExit()
        return (
            p.terminationStatus, (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
        )
    }

    func helm(_ args: [String]) throws -> (code: Int32, out: String, err: String) { try run(RealCharts.helm, args) }

    func kubectl(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        try run("\(RealCharts.repoRoot)/.tools/bin/kubectl", args)
    }

    /// `helm upgrade --install` with helm's default validation and the given values file.
    func install(_ release: String, _ chart: String, namespace: String, values: String = "{}\n") throws -> (code: Int32, out: String, err: String) {
        let file = home + "/values-\(release).yaml"
        try values.write(toFile: file, atomically: true, encoding: .utf8)
        return try helm(["upgrade", "--install", release, try RealCharts.path(chart), "-n", namespace, "--create-namespace", "-f", file])
    }

    /// The release's status as `helm list` reports it, nil when not listed.
    func releaseStatus(_ release: String, namespace: String) throws -> String? {
        let (code, out, err) = try helm(["list", "-n", namespace, "-o", "json"])
        guard code == 0 else { throw KubeError(kind: .other, message: "helm list: \(err)") }
        let list = try Value(json: out.isEmpty ? "[]" : out)
        return list.listValue?.first { $0["name"]?.stringValue == release }?["status"]?.stringValue
    }

    /// A request's status and body, errors included.
    func raw(_ method: String, _ path: String, body: Value? = nil, accept: String = "application/json") async throws -> (status: Int, body: String) {
        do {
            let r = try await client.request(method, path, body: body?.jsonBytes, contentType: body == nil ? nil : "application/json", accept: accept)
            return (r.status, String(decoding: r.body, as: UTF8.self))
        } catch let e as KubeError where e.code >= 400 {
            return (e.code, e.status?.jsonString() ?? e.message)
        }
    }

    /// One object by its API path, nil when it is not there.
    func get(_ path: String) async throws -> Value? {
        let (status, body) = try await raw("GET", path)
        if status == 404 { return nil }
        guard status == 200 else { throw KubeError(kind: .other, message: "GET \(path): \(status) \(body)") }
        return try Value(json: body)
    }

    func items(_ path: String) async throws -> [Value] { try await get(path)?["items"]?.listValue ?? [] }

    /// Polls (test support only) until `check` holds, for at most 60 s.
    func eventually(_ what: String, _ check: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while try await !check() {
            guard Date() < deadline else { throw KubeError(kind: .timeout, message: "never happened: \(what)") }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }
}

/// A simulated cluster shaped like kind's (a tainted control plane, two workers) with helm
/// set up to talk to it.
func withHelm<T>(_ body: (HelmSession) async throws -> T) async throws -> T {
    try await withCluster { server, client, kubeconfig in
        server.cluster.setNodes([
            .init(
                name: "sim-control-plane", labels: ["node-role.kubernetes.io/control-plane": ""],
                taints: [.init(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule)]),
            .init(name: "sim-worker"), .init(name: "sim-worker2")
        ])
        chmod(kubeconfig, 0o600)
        return try await body(HelmSession(server: server, client: client, kubeconfig: kubeconfig, home: tempDir()))
    }
}

extension Value {
    var objectName: String { lookup(["metadata", "name"])?.stringValue ?? "" }
    subscript(path path: [String]) -> Value? { lookup(path) }
    var conditions: [String: String] {
        var out: [String: String] = [:]
        for c in lookup(["status", "conditions"])?.listValue ?? [] {
            if let t = c["type"]?.stringValue, let s = c["status"]?.stringValue { out[t] = s }
        }
        return out
    }
}
