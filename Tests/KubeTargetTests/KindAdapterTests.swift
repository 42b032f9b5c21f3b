import Foundation
import KubeSim
import Testing
import Tools
import YAML

/// kind cannot run on the project's machines (no container engine), so the kind flow is tested
/// with a recording stand-in `kind` on PATH: it records every argv, remembers created clusters,
/// and hands out the simulated cluster's kubeconfig as `kind get kubeconfig` would.
@Suite struct KindAdapter {
    func standIn(_ dir: String) async throws {
        let script = """
        #!/bin/sh
        echo "$*" >> "$KIND_RECORD"
        case "$1 $2" in
          "get clusters") if [ -s "$KIND_STATE" ]; then cat "$KIND_STATE"; else echo "No kind clusters found." >&2; fi ;;
          "create cluster") echo "$4" >> "$KIND_STATE"; cp "$6" "$KIND_STATE.config" ;;
          "get kubeconfig") cat "$KIND_KUBECONFIG" ;;
          "delete cluster") : > "$KIND_STATE" ;;
          *) echo "stand-in kind: unexpected $*" >&2; exit 2 ;;
        esac
        """
        // Written by `install`, never by this process: a child forked by a test running in
        // parallel would otherwise inherit the open descriptor and exec would fail with ETXTBSY.
        try script.write(toFile: "\(dir)/kind.sh", atomically: true, encoding: .utf8)
        let (status, out) = try await Spawn.capture(["install", "-m", "0755", "\(dir)/kind.sh", "\(dir)/kind"])
        guard status == 0 else { throw TestFailure("install of the stand-in kind failed: \(out)") }
    }

    @Test func clusterUpCreatesOnceFromTheGeneratedConfigThenReusesAndDownDeletes() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            let state = tempDir(), bin = tempDir()
            try await standIn(bin)
            setenv("KIND_RECORD", "\(bin)/record", 1)
            setenv("KIND_STATE", "\(bin)/clusters", 1)
            // What `kind get kubeconfig` prints: context and user named kind-<cluster>.
            try server.kubeconfig(name: "kind-slim-cluster").write(toFile: "\(bin)/kind-kubeconfig", atomically: true, encoding: .utf8)
            setenv("KIND_KUBECONFIG", "\(bin)/kind-kubeconfig", 1)
            _ = kubeconfig
            let path = try toolsPath(extra: [bin])
            let (code, out) = try await slimctl(["cluster", "up", "daemonset", "--target", "kind"], state: state, path: path)
            #expect(code == 0, "\(out)")
            #expect(out.contains("nodes: 3/3 Ready"), "waits for the nodes by watch: \(out)")
            let (code2, out2) = try await slimctl(["cluster", "up", "daemonset", "--target", "kind"], state: state, path: path)
            #expect(code2 == 0, "\(out2)")
            #expect(out2.contains("exists: reusing it"), "\(out2)")
            let (code3, out3) = try await slimctl(["cluster", "down", "daemonset", "--target", "kind"], state: state, path: path)
            #expect(code3 == 0, "\(out3)")
            let record = try String(contentsOfFile: "\(bin)/record", encoding: .utf8).split(separator: "\n").map(String.init)
            let config = "\(state)/rendered/daemonset/kind-config.yaml"
            #expect(record == [
                "get clusters",
                "create cluster --name slim-cluster --config \(config) --wait 60s",
                "get kubeconfig --name slim-cluster",
                "get clusters",
                "get kubeconfig --name slim-cluster",
                "get clusters",
                "delete cluster --name slim-cluster",
            ], "\(record)")
            let kindConfig = try YAML.load(try String(contentsOfFile: "\(bin)/clusters.config", encoding: .utf8), file: "kind-config")
            #expect(kindConfig["kind"]?.stringValue == "Cluster")
            #expect(kindConfig["nodes"]?.listValue?.map { $0["role"]?.stringValue ?? "" } == ["control-plane", "worker", "worker"])
            #expect(!FileManager.default.fileExists(atPath: "\(state)/kind/slim-cluster.kubeconfig"), "cluster down forgets the kubeconfig")
            _ = server
        }
    }

    @Test func clusterTargetRefusesToCreateOrDelete() async throws {
        let state = tempDir()
        let (code, out) = try await slimctl(["cluster", "up", "daemonset", "--target", "cluster"], state: state)
        #expect(code == 2, "\(out)")
        #expect(out.contains("never creates"))
        let (code2, out2) = try await slimctl(["cluster", "down", "daemonset", "--target", "cluster"], state: state)
        #expect(code2 == 2, "\(out2)")
        #expect(out2.contains("never deletes"))
    }
}
