import Foundation
import Testing
import Tools

/// The kubeconfig protections as a user meets them through the binary: the TLS warning on
/// stderr and `SLIMCTL_EXEC_TIMEOUT` ending a credential plugin that hangs.
@Suite(.serialized) struct KubeconfigSafetyCLI {
    /// A loopback port nothing listens on, so the command fails fast after making its client.
    func closedPort() -> Int32 {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) == 0 && getsockname(s, $0, &len) == 0 }
        }
        return s
    }

    func port(of fd: Int32) -> Int {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    @Test func insecureSkipTLSVerifyIsWarnedAboutOnceOnStderr() async throws {
        let dir = tempDir(), state = tempDir()
        let fd = closedPort()
        defer { close(fd) }
        let kubeconfig = "\(dir)/config"
        try """
        current-context: lab
        clusters:
        - {name: lab-cluster, cluster: {server: "https://127.0.0.1:\(port(of: fd))", insecure-skip-tls-verify: true}}
        users:
        - {name: u, user: {token: secret-token}}
        contexts:
        - {name: lab, context: {cluster: lab-cluster, user: u}}
        """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let (code, text) = try await BadInputCorpus.runSlimctl(["verify", "daemonset", "--target", "cluster", "--kubeconfig", kubeconfig], state: state)
        #expect(code == 3, "the cluster cannot be reached: \(text)")
        let warning =
            "warning: TLS verification is off for cluster lab-cluster (insecure-skip-tls-verify in \(kubeconfig)): the server's identity is not checked"
        #expect(text.components(separatedBy: warning).count == 2, "exactly one warning:\n\(text)")
        #expect(!text.contains("secret-token"))
    }

    @Test func aHangingExecPluginEndsAtSLIMCTL_EXEC_TIMEOUTWithNoProcessLeft() async throws {
        let dir = tempDir(), state = tempDir()
        let fd = closedPort()
        defer { close(fd) }
        let plugin = "\(dir)/hanging-plugin"
        try """
        #!/bin/sh
        echo $$ >> "\(dir)/pids"
        sleep 100000 &
        echo $! >> "\(dir)/pids"
        echo "waiting for you to sign in" >&2
        wait
        """.write(toFile: plugin, atomically: true, encoding: .utf8)
        chmod(plugin, 0o755)
        let kubeconfig = "\(dir)/config"
        try """
        current-context: x
        clusters:
        - {name: c, cluster: {server: "https://127.0.0.1:\(port(of: fd))"}}
        users:
        - {name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: \(plugin), interactiveMode: Never}}}
        contexts:
        - {name: x, context: {cluster: c, user: u}}
        """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let (code, text) = try await BadInputCorpus.runSlimctl(
            ["verify", "daemonset", "--target", "cluster", "--kubeconfig", kubeconfig],
            state: state, env: ["SLIMCTL_EXEC_TIMEOUT": "2s"])
        #expect(code == 3, "\(text)")
        #expect(text.contains("exec plugin \(plugin) did not finish within 2s"), "\(text)")
        #expect(text.contains("waiting for you to sign in"), "\(text)")
        let pids = ((try? String(contentsOfFile: "\(dir)/pids", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == 2, "\(pids)")
        for pid in pids {
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            let gone = stat.map { s in s[s.index(after: s.lastIndex(of: ")") ?? s.startIndex)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") } ?? true
            #expect(gone, "plugin process \(pid) outlived slimctl")
        }
    }

    @Test func anUnreadableSLIMCTL_EXEC_TIMEOUTIsNamed() async throws {
        let dir = tempDir(), state = tempDir()
        let kubeconfig = "\(dir)/config"
        try """
        current-context: x
        clusters:
        - {name: c, cluster: {server: "https://127.0.0.1:1"}}
        users:
        - {name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true, interactiveMode: Never}}}
        contexts:
        - {name: x, context: {cluster: c, user: u}}
        """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let (code, text) = try await BadInputCorpus.runSlimctl(
            ["verify", "daemonset", "--target", "cluster", "--kubeconfig", kubeconfig],
            state: state, env: ["SLIMCTL_EXEC_TIMEOUT": "soon"])
        #expect(code == 3, "a kubeconfig problem, as verify reports them: \(text)")
        #expect(text.contains("SLIMCTL_EXEC_TIMEOUT=soon"), "\(text)")
    }
}
