import Foundation
import Kube
import KubeSim
import YAML

/// Starts a simulated cluster, writes its kind-style kubeconfig, and hands both to the test.
func withCluster<T>(
    _ options: SimOptions = SimOptions(), clientOptions: KubeClientOptions = KubeClientOptions(),
    _ body: (KubeSimServer, KubeClient, String) async throws -> T
) async throws -> T {
    let server = try await KubeSimServer.start(options: options)
    let dir = tempDir()
    let path = dir + "/config"
    try server.kubeconfig().write(toFile: path, atomically: true, encoding: .utf8)
    let client = try KubeClient(kubeconfig: path, options: clientOptions)
    do {
        let r = try await body(server, client, path)
        await server.shutdown()
        return r
    } catch {
        await server.shutdown()
        throw error
    }
}

func tempDir() -> String {
    let d = NSTemporaryDirectory() + "kubetests-" + UUID().uuidString.prefix(8)
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

func json(_ s: String) throws -> Value { try Value(json: s) }

func configMap(_ name: String, _ data: [String: String], namespace: String = "default") -> Value {
    var d: [String: Value] = [:]
    for (k, v) in data { d[k] = .string(v) }
    return .map([
        "apiVersion": .string("v1"), "kind": .string("ConfigMap"),
        "metadata": .map(["name": .string(name), "namespace": .string(namespace)]),
        "data": .map(.init(uniqueKeysWithValues: d.sorted { $0.key < $1.key }))
    ])
}

func daemonSet(_ name: String, image: String = "slim:1", extra: String = "") throws -> Value {
    try YAML.load(
        """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: \(name)
        spec:
          selector:
            matchLabels: {app: \(name)}
          template:
            metadata:
              labels: {app: \(name)}\(extra)
            spec:
              containers:
              - name: main
                image: \(image)
        """, file: "ds.yaml")
}

/// Collects a watch until `done` says so or the time runs out.
func waitFor(
    _ client: KubeClient, apiVersion: String, kind: String, name: String, timeout: Double = 60,
    _ done: @escaping @Sendable (Value) -> Bool
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value.self) { group in
        group.addTask {
            // The watch starts at the version the get saw: a change in between is not missed
            // (without it, a busy machine could let the awaited update slip past unseen).
            let current = try await client.get(apiVersion: apiVersion, kind: kind, name: name)
            if let v = current, done(v) { return v }
            let rv = current?.lookup(["metadata", "resourceVersion"])?.stringValue
            for try await e in client.watch(apiVersion: apiVersion, kind: kind, fieldSelector: "metadata.name=\(name)", resourceVersion: rv) {
                if let o = e.object, done(o) { return o }
            }
            throw KubeError(kind: .other, message: "watch ended")
        }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
            throw KubeError(kind: .timeout, message: "timed out waiting for \(kind) \(name)")
        }
        guard let v = try await group.next() else { throw KubeError(kind: .other, message: "no result") }
        group.cancelAll()
        return v
    }
}

/// Waits (polling, test support only) until `done` holds, for at most 20 s.
func until(_ done: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(60)
    while !done() {
        guard Date() < deadline else { throw KubeError(kind: .timeout, message: "condition never held") }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
}

/// A loopback port bound but never listened on: connecting is refused at once, for as long as
/// the test holds it.
struct ClosedPort {
    let fd: Int32
    let port: Int

    init() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) == 0 && getsockname(s, $0, &len) == 0 }
        }
        guard s >= 0, bound else { throw KubeError(kind: .other, message: "cannot reserve a loopback port") }
        fd = s
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    func release() { close(fd) }
}
