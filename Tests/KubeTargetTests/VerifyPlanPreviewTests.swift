import Foundation
import KubeSim
import Placement
import Testing
import YAML

/// `slimctl plan daemonset --target cluster` previews where the SLIM DaemonSet will run on the
/// live nodes, before anything is installed.
@Suite(.serialized) struct VerifyPlanPreviewTests {
    var charts: [String] { get throws { try realChartArgs() } }

    @Test func planPreviewsPlacementOnTheLiveNodesWithoutWriting() async throws {
        try await withKindShapedCluster { server, kubeconfig in
            server.cluster.setNodes([.init(name: "slim-cluster-worker3", taints: [.init(key: "dedicated", value: "gpu", effect: .noSchedule)])])
            let state = tempDir()
            server.cluster.clearRequestLog()
            let (code, out) = try await slimctl(["plan", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out.contains("placement on the live nodes (context kind-sim, server \(server.url)):"), "\(out)")
            #expect(out.contains("DaemonSet slim/slim (release slim): a pod on 2 of 4 node(s)"), "\(out)")
            #expect(out.contains("    + slim-cluster-worker\n"), "\(out)")
            #expect(out.contains("    + slim-cluster-worker2\n"), "\(out)")
            #expect(out.contains("    - slim-cluster-worker3: taint dedicated=gpu:NoSchedule not tolerated"), "\(out)")
            #expect(out.contains("    - slim-cluster-control-plane: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"), "\(out)")
            #expect(server.cluster.requestLog.allSatisfy { $0.hasPrefix("GET ") }, "plan only reads: \(server.cluster.requestLog)")
            #expect(server.cluster.get("daemonsets", namespace: "slim", name: "slim") == nil)

            // A toleration in the values changes the preview: worker3 gets a pod too.
            let (code2, out2) = try await slimctl(
                [
                    "plan", "daemonset", "--target", "cluster", "--output", "json",
                    "--set-json", #"tolerations=[{"key":"dedicated","operator":"Equal","value":"gpu","effect":"NoSchedule"}]"#
                ] + charts,
                state: state, kubeconfig: kubeconfig)
            #expect(code2 == 0, "\(out2)")
            let plan = try Value(json: out2)
            let nodes = plan.lookup(["placement", "workloads"])?.listValue?.first?["nodes"]?.listValue ?? []
            let runs = Set(nodes.filter { $0["runs"]?.boolValue == true }.compactMap { $0["node"]?.stringValue })
            #expect(runs == ["slim-cluster-worker", "slim-cluster-worker2", "slim-cluster-worker3"], "\(out2)")
        }
    }

    @Test func planStillWorksWhenTheClusterIsUnreachable() async throws {
        let server = try await KubeSimServer.start()
        let dir = tempDir()
        let kubeconfig = dir + "/kubeconfig"
        // A port bound and never listened on refuses every connection, and no other test's
        // server can take it meanwhile (a shut-down server's port could be reused at once).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        #expect(bound == 0)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let closedPort = Int(UInt16(bigEndian: addr.sin_port))
        let live = try #require(URLComponents(string: server.url)?.port)
        try server.kubeconfig().replacingOccurrences(of: "127.0.0.1:\(live)", with: "127.0.0.1:\(closedPort)")
            .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        await server.shutdown()
        let (code, out) = try await slimctl(["plan", "daemonset", "--target", "cluster"] + charts, state: dir, kubeconfig: kubeconfig)
        #expect(code == 0, "\(out)")
        #expect(out.contains("helm upgrade --install"), "the plan itself: \(out)")
        #expect(out.contains("placement not previewed: the cluster cannot be reached"), "\(out)")
    }

    @Test func aPreviewThatHelmCannotRenderShowsHelmsOwnError() async throws {
        try await withKindShapedCluster { _, kubeconfig in
            let state = tempDir()
            // A scalar where the chart reads a map: helm stops with its own message.
            let (code, out) = try await slimctl(
                ["plan", "daemonset", "--target", "cluster", "--set", "slim.service=5"] + charts,
                state: state, kubeconfig: kubeconfig)
            #expect(code == 0, "\(out)")
            #expect(out.contains("helm template failed: Error: "), "helm's words, not only its exit status: \(out)")
            #expect(out.contains("can't evaluate field"), "\(out)")
        }
    }
}
