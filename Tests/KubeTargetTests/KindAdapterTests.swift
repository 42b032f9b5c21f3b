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
              "load docker-image") ;;
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
            #expect(
                record == [
                    "get clusters",
                    "create cluster --name slim-cluster --config \(config) --wait 60s",
                    "get kubeconfig --name slim-cluster",
                    "get clusters",
                    "get kubeconfig --name slim-cluster",
                    "get clusters",
                    "delete cluster --name slim-cluster"
                ], "\(record)")
            let kindConfig = try YAML.load(try String(contentsOfFile: "\(bin)/clusters.config", encoding: .utf8), file: "kind-config")
            #expect(kindConfig["kind"]?.stringValue == "Cluster")
            #expect(kindConfig["nodes"]?.listValue?.map { $0["role"]?.stringValue ?? "" } == ["control-plane", "worker", "worker"])
            #expect(!FileManager.default.fileExists(atPath: "\(state)/kind/slim-cluster.kubeconfig"), "cluster down forgets the kubeconfig")
            _ = server
        }
    }

    /// slimctl with the stand-in kind first on PATH and its files named in the environment
    /// given to the child (not `setenv`: tests run in parallel).
    func slimctlWithKind(_ args: [String], state: String, bin: String) async throws -> (Int32, String) {
        var env = try slimctlEnvironment(state: state, path: try toolsPath(extra: [bin]))
        env["KIND_RECORD"] = "\(bin)/record"
        env["KIND_STATE"] = "\(bin)/clusters"
        env["KIND_KUBECONFIG"] = "\(bin)/kind-kubeconfig"
        return try await Spawn.capture([try slimctlBinary()] + args, environment: env, timeout: .seconds(300))
    }

    func record(_ bin: String) -> [String] {
        ((try? String(contentsOfFile: "\(bin)/record", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func planShowsEachLoadImageAsAnActionOfTheClusterStep() async throws {
        let state = tempDir(), bin = tempDir()
        try await standIn(bin)
        let (code, out) = try await slimctlWithKind(
            [
                "plan", "daemonset", "--target", "kind", "--load-image", "example/app:dev",
                "--load-image", "example/tools:1"
            ], state: state, bin: bin)
        #expect(code == 0, "\(out)")
        let lines = out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let wait = try #require(lines.firstIndex(of: "- wait: all 3 nodes Ready (watch)"), "\(out)")
        #expect(
            Array(lines[(wait + 1)...].prefix(2)) == [
                "- run: kind load docker-image example/app:dev --name slim-cluster",
                "- run: kind load docker-image example/tools:1 --name slim-cluster"
            ], "\(out)")
        #expect(record(bin).isEmpty, "plan runs nothing: \(record(bin))")
        let (jcode, json) = try await slimctlWithKind(
            ["plan", "daemonset", "--target", "kind", "--load-image", "example/app:dev", "-o", "json"],
            state: state, bin: bin)
        #expect(jcode == 0, "\(json)")
        let cluster = try Value(json: json)["steps"]?.listValue?.first { $0["name"]?.stringValue == "cluster" }
        #expect(cluster?["actions"]?.listValue?.last?.stringValue == "run: kind load docker-image example/app:dev --name slim-cluster", "\(json)")
    }

    /// Each image is loaded once per run of the cluster step, after the nodes are Ready; an
    /// unchanged list leaves the step skipped, a new image re-runs it, saying why.
    @Test func deployLoadsEachImageOnceAndReRunsTheClusterStepWhenTheListChanges() async throws {
        try await withKindShapedCluster { server, _ in
            let state = tempDir(), bin = tempDir()
            try await standIn(bin)
            try server.kubeconfig(name: "kind-slim-cluster").write(toFile: "\(bin)/kind-kubeconfig", atomically: true, encoding: .utf8)
            let base = ["deploy", "daemonset", "--target", "kind", "--skip", "controller", "--skip", "slim", "--skip", "slim-any-node"] + (try realChartArgs())
            let images = ["--load-image", "example/app:dev", "--load-image", "example/tools:1"]
            var (code, out) = try await slimctlWithKind(base + images, state: state, bin: bin)
            #expect(code == 0, "\(out)")
            #expect(out.contains("loading example/app:dev into kind cluster slim-cluster"), "\(out)")
            let config = "\(state)/rendered/daemonset/kind-config.yaml"
            #expect(
                record(bin) == [
                    "get clusters", "create cluster --name slim-cluster --config \(config) --wait 60s", "get kubeconfig --name slim-cluster",
                    "load docker-image example/app:dev --name slim-cluster", "load docker-image example/tools:1 --name slim-cluster"
                ],
                "\(record(bin))")

            (code, out) = try await slimctlWithKind(base + images, state: state, bin: bin)
            #expect(code == 0, "\(out)")
            #expect(record(bin).count == 5, "the same images: the cluster step is unchanged and skipped: \(record(bin)) \(out)")

            (code, out) = try await slimctlWithKind(base + images + ["--load-image", "example/third:2"], state: state, bin: bin)
            #expect(code == 0, "\(out)")
            #expect(out.contains("re-running (image to load changed: example/third:2)"), "\(out)")
            #expect(
                Array(record(bin).dropFirst(5)) == [
                    "get clusters", "get kubeconfig --name slim-cluster", "load docker-image example/app:dev --name slim-cluster",
                    "load docker-image example/tools:1 --name slim-cluster",
                    "load docker-image example/third:2 --name slim-cluster"
                ], "\(record(bin))")
        }
    }

    @Test(arguments: [
        ["deploy", "daemonset"], ["ci", "daemonset"], ["plan", "daemonset"], ["deploy", "daemonset", "--target", "cluster"],
        ["plan", "daemonset", "--target", "cluster"]
    ])
    func loadImageIsRefusedOffKind(_ command: [String]) async throws {
        let state = tempDir()
        let (code, out) = try await slimctl(command + ["--load-image", "example/app:dev"], state: state)
        #expect(code == 2, "\(out)")
        #expect(out.contains("--load-image is for the kind target only (`kind load docker-image`)"), "\(out)")
        #expect(!FileManager.default.fileExists(atPath: "\(state)/local"), "nothing started: \(out)")
    }

    @Test func aLoadImageThatIsNoImageIsAUsageError() async throws {
        let (code, out) = try await slimctl(["plan", "daemonset", "--target", "kind", "--load-image=--name"], state: tempDir())
        #expect(code == 2, "\(out)")
        #expect(out.contains("--load-image `--name`: expected an image reference"), "\(out)")
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
