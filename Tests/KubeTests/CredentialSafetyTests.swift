import Foundation
import Kube
import KubeSim
import Testing

/// Warnings collected from a client instead of stderr.
final class Warnings: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
}

/// What slimctl does with credentials a user did not look at twice: a server whose certificate
/// is not checked, a credential plugin that never answers.
@Suite("credential safety: TLS verification off, exec plugins that hang")
struct CredentialSafety {
    func write(_ dir: String, _ name: String, _ text: String) throws -> String {
        let p = dir + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @Test func aClientWithTLSVerificationOffSaysSoOnce() async throws {
        let server = try await KubeSimServer.start()
        server.cluster.tokens["t0k3n"] = SimUser(name: "admin", groups: ["system:masters"])
        let dir = tempDir()
        let insecure = try write(
            dir, "insecure",
            """
            current-context: x
            clusters:
            - {name: lab, cluster: {server: "\(server.url)", insecure-skip-tls-verify: true}}
            users:
            - {name: u, user: {token: t0k3n}}
            contexts:
            - {name: x, context: {cluster: lab, user: u}}
            """)
        let warnings = Warnings()
        var options = KubeClientOptions()
        options.warning = { warnings.add($0) }
        let client = try KubeClient(kubeconfig: insecure, options: options)
        #expect(
            warnings.all == ["warning: TLS verification is off for cluster lab (insecure-skip-tls-verify in \(insecure)): the server's identity is not checked"]
        )
        // It still works, with the token sent: the warning is the point, not a refusal.
        #expect(try await client.list(apiVersion: "v1", kind: "Namespace").items.count == 4)
        #expect(warnings.all.count == 1, "one warning per client, not per request")

        let verified = try write(
            dir, "verified",
            """
            current-context: x
            clusters:
            - {name: lab, cluster: {server: "\(server.url)", certificate-authority: \(server.pki.caCertPath)}}
            users:
            - {name: u, user: {token: t0k3n}}
            contexts:
            - {name: x, context: {cluster: lab, user: u}}
            """)
        let quiet = Warnings()
        var quietOptions = KubeClientOptions()
        quietOptions.warning = { quiet.add($0) }
        _ = try KubeClient(kubeconfig: verified, options: quietOptions)
        #expect(quiet.all.isEmpty)
        await server.shutdown()
    }

    @Test func aHangingExecPluginIsStoppedAtTheTimeoutWithNothingLeft() async throws {
        let dir = tempDir()
        let plugin = dir + "/get-token"
        // Records its pid and its child's, says what it waits for, then waits for good.
        try """
        #!/bin/sh
        echo $$ >> "\(dir)/pids"
        sleep 100000 &
        echo $! >> "\(dir)/pids"
        echo "open https://login.example to sign in" >&2
        wait
        """.write(toFile: plugin, atomically: true, encoding: .utf8)
        chmod(plugin, 0o755)
        // No server is needed: credentials come before the first connection.
        let port = try ClosedPort()
        defer { port.release() }
        let p = try write(
            dir, "config",
            """
            current-context: x
            clusters:
            - {name: c, cluster: {server: "https://127.0.0.1:\(port.port)"}}
            users:
            - {name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: \(plugin), interactiveMode: Never}}}
            contexts:
            - {name: x, context: {cluster: c, user: u}}
            """)
        var options = KubeClientOptions()
        options.execTimeout = 2
        let client = try KubeClient(kubeconfig: p, options: options)
        do {
            // Two requests at once share the one plugin run.
            async let a = client.list(apiVersion: "v1", kind: "Pod")
            async let b = client.list(apiVersion: "v1", kind: "ConfigMap")
            _ = try await (a, b)
            Issue.record("expected the plugin to time out")
        } catch let e as KubeError {
            #expect(e.kind == .timeout)
            #expect(e.message.contains("exec plugin \(plugin) did not finish within 2s"), "\(e.message)")
            #expect(e.message.contains("SLIMCTL_EXEC_TIMEOUT"), "\(e.message)")
            #expect(e.message.contains("open https://login.example to sign in"), "its stderr is shown: \(e.message)")
        }
        let started = ((try? String(contentsOfFile: dir + "/pids", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
        #expect(started.count == 2, "one plugin run, with its child: \(started)")
        for pid in started {
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            let zombie = stat.map { $0[$0.index(after: $0.lastIndex(of: ")") ?? $0.startIndex)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") } ?? true
            #expect(zombie, "plugin process \(pid) is still running")
        }
    }

    @Test func theTimeoutComesFromTheEnvironmentAsSecondsOrAGoDuration() throws {
        #expect(try ExecTimeout.seconds(environment: [:]) == 60)
        #expect(try ExecTimeout.seconds(environment: ["SLIMCTL_EXEC_TIMEOUT": ""]) == 60)
        #expect(try ExecTimeout.seconds(environment: ["SLIMCTL_EXEC_TIMEOUT": "2"]) == 2)
        #expect(try ExecTimeout.seconds(environment: ["SLIMCTL_EXEC_TIMEOUT": "2.5"]) == 2.5)
        #expect(try ExecTimeout.seconds(environment: ["SLIMCTL_EXEC_TIMEOUT": "90s"]) == 90)
        #expect(try ExecTimeout.seconds(environment: ["SLIMCTL_EXEC_TIMEOUT": "2m"]) == 120)
        for bad in ["0", "-1", "0s", "soon", "5x"] {
            #expect(throws: KubeError.self, "\(bad)") { try ExecTimeout.seconds(environment: ["SLIMCTL_EXEC_TIMEOUT": bad]) }
        }
    }
}
