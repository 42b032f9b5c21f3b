import Foundation
import Kube
import KubeSim
import Testing
import YAML

/// The real kubectl as a second client: if it works against the simulator, the simulator
/// speaks the API as kube-apiserver does.
@Suite("real kubectl against the simulated cluster")
struct KubectlTests {
    static let kubectl = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".tools/bin/kubectl").path

    func run(_ args: [String], kubeconfig: String, stdin: String? = nil) throws -> (Int32, String, String) {
        guard FileManager.default.isExecutableFile(atPath: Self.kubectl) else {
            throw KubeError(kind: .config, message: "kubectl not found at \(Self.kubectl): run `make tools`")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.kubectl)
        p.arguments = ["--kubeconfig", kubeconfig] + args
        p.environment = ["HOME": NSTemporaryDirectory(), "PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func getPodsWideApplyAndLogs() async throws {
        try await withCluster { server, client, kubeconfig in
            server.cluster.addWorkers(2)
            let dir = tempDir()
            let manifest = """
                apiVersion: apps/v1
                kind: DaemonSet
                metadata:
                  name: slim
                  namespace: default
                spec:
                  selector:
                    matchLabels: {app: slim}
                  template:
                    metadata:
                      labels: {app: slim}
                    spec:
                      containers:
                      - name: slim
                        image: ghcr.io/agntcy/slim:0.4
                """
            try manifest.write(toFile: dir + "/ds.yaml", atomically: true, encoding: .utf8)
            let (ssa, ssaOut, ssaErr) = try run(["apply", "--server-side", "-f", dir + "/ds.yaml"], kubeconfig: kubeconfig)
            #expect(ssa == 0, "\(ssaErr)")
            #expect(ssaOut.contains("daemonset.apps/slim serverside-applied"), "\(ssaOut)")
            _ = try await waitFor(client, apiVersion: "apps/v1", kind: "DaemonSet", name: "slim") { DaemonSet($0).numberReady == 2 }

            let (get, getOut, getErr) = try run(["get", "pods", "-o", "wide"], kubeconfig: kubeconfig)
            #expect(get == 0, "\(getErr)")
            let lines = getOut.split(separator: "\n")
            #expect(lines.first?.contains("NAME") == true && lines.first?.contains("NODE") == true, "\(getOut)")
            #expect(lines.count == 3, "\(getOut)")
            #expect(lines.dropFirst().allSatisfy { $0.contains("1/1") && $0.contains("Running") && $0.contains("sim-worker") }, "\(getOut)")

            let pods = try await client.list(apiVersion: "v1", kind: "Pod")
            let pod = try #require(pods.items.first?.lookup(["metadata", "name"])?.stringValue)
            server.cluster.appendLog(pod: pod, "hello from slim")
            server.cluster.appendLog(pod: pod, "second line")
            let (logs, logsOut, logsErr) = try run(["logs", pod, "--tail=1"], kubeconfig: kubeconfig)
            #expect(logs == 0, "\(logsErr)")
            #expect(logsOut == "second line\n")

            // Client-side apply of a ConfigMap (create, then patch).
            try "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '1'}\n".write(toFile: dir + "/cm.yaml", atomically: true, encoding: .utf8)
            let (csa, csaOut, csaErr) = try run(["apply", "-f", dir + "/cm.yaml"], kubeconfig: kubeconfig)
            #expect(csa == 0, "\(csaErr)")
            #expect(csaOut.contains("configmap/cfg created"), "\(csaOut) \(csaErr)")
            try "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '2'}\n".write(toFile: dir + "/cm.yaml", atomically: true, encoding: .utf8)
            let (csa2, csa2Out, csa2Err) = try run(["apply", "-f", dir + "/cm.yaml"], kubeconfig: kubeconfig)
            #expect(csa2 == 0, "\(csa2Err)")
            #expect(csa2Out.contains("configmap/cfg configured"), "\(csa2Out)")
            let cm = try await client.get(apiVersion: "v1", kind: "ConfigMap", name: "cfg")
            #expect(cm?.lookup(["data", "a"])?.stringValue == "2")

            let (missing, _, missingErr) = try run(["get", "pod", "nope"], kubeconfig: kubeconfig)
            #expect(missing != 0)
            #expect(missingErr.contains("pods \"nope\" not found"), "\(missingErr)")
        }
    }
}
