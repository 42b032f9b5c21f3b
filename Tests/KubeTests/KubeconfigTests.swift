import Foundation
import Kube
import KubeSim
import Testing
import YAML

@Suite("kubeconfig corpus: kind-style, token, exec plugin, merge, broken files")
struct KubeconfigTests {
    func write(_ dir: String, _ name: String, _ text: String) throws -> String {
        let p = dir + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @Test func kubeconfigListMergesFirstWins() throws {
        let dir = tempDir()
        let a = try write(
            dir, "a",
            """
            apiVersion: v1
            kind: Config
            clusters:
            - {name: shared, cluster: {server: "https://a.example:6443", insecure-skip-tls-verify: true}}
            users:
            - {name: u, user: {token: from-a}}
            contexts:
            - {name: ctx-a, context: {cluster: shared, user: u}}
            """)
        let b = try write(
            dir, "b",
            """
            apiVersion: v1
            kind: Config
            current-context: ctx-b
            clusters:
            - {name: shared, cluster: {server: "https://b.example:6443"}}
            - {name: only-b, cluster: {server: "https://onlyb.example"}}
            users:
            - {name: u, user: {token: from-b}}
            contexts:
            - {name: ctx-b, context: {cluster: only-b, user: u, namespace: team}}
            - {name: ctx-a, context: {cluster: only-b, user: u}}
            """)
        let c = try write(dir, "c", "current-context: ctx-a\n")
        let env = ["KUBECONFIG": "\(dir)/missing:\(a):\(b):\(c)"]
        let cfg = try KubeconfigLoader.load(environment: env)
        #expect(cfg.currentContext == "ctx-b")
        #expect(cfg.clusters["shared"]?.server == "https://a.example:6443")
        #expect(cfg.contexts["ctx-a"]?.cluster == "shared")
        let resolved = try cfg.resolve()
        #expect(resolved.contextName == "ctx-b")
        #expect(resolved.cluster.server == "https://onlyb.example")
        #expect(resolved.user.token == "from-a")
        #expect(resolved.namespace == "team")
        let other = try cfg.resolve(context: "ctx-a", namespace: "override")
        #expect(other.cluster.insecureSkipTLSVerify)
        #expect(other.namespace == "override")
        // --kubeconfig wins over KUBECONFIG and reads only that file.
        let explicit = try KubeconfigLoader.load(explicitPath: c, environment: env)
        #expect(explicit.clusters.isEmpty)
        #expect(throws: KubeError.self) { try explicit.resolve() }
    }

    @Test func relativePathsResolveAgainstTheFile() throws {
        let dir = tempDir()
        let cfg = try KubeconfigLoader.parse(
            """
            clusters:
            - {name: c, cluster: {server: "https://x", certificate-authority: certs/ca.crt}}
            users:
            - {name: u, user: {client-certificate: /abs/u.crt, client-key: u.key, tokenFile: tok}}
            """, file: dir + "/config", baseDirectory: dir)
        #expect(cfg.clusters["c"]?.certificateAuthority == dir + "/certs/ca.crt")
        #expect(cfg.users["u"]?.clientCertificate == "/abs/u.crt")
        #expect(cfg.users["u"]?.clientKey == dir + "/u.key")
        #expect(cfg.users["u"]?.tokenFile == dir + "/tok")
    }

    @Test(arguments: [
        ("current-context: nope\ncontexts: []\n", "context \"nope\" does not exist"),
        ("contexts:\n- {name: x, context: {cluster: c, user: u}}\n", "current-context is not set"),
        ("current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n", "refers to cluster \"c\""),
        (
            "current-context: x\nclusters:\n- {name: c, cluster: {server: 'https://h'}}\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n",
            "refers to user \"u\""
        ),
        (
            "current-context: x\nclusters:\n- {name: c, cluster: {}}\nusers:\n- {name: u, user: {}}\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n",
            "has no server"
        ),
        (
            "current-context: x\nclusters:\n- {name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: true, certificate-authority-data: Zm9v}}\nusers:\n- {name: u, user: {}}\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n",
            "insecure"
        ),
        (
            "current-context: x\nclusters:\n- {name: c, cluster: {server: 'https://h'}}\nusers:\n- {name: u, user: {client-certificate-data: Zm9v}}\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n",
            "must be set together"
        ),
        (
            "current-context: x\nclusters:\n- {name: c, cluster: {server: 'https://h'}}\nusers:\n- {name: u, user: {exec: {command: x, apiVersion: client.authentication.k8s.io/v1alpha1}}}\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n",
            "not supported"
        ),
        ("clusters:\n- {name: c, cluster: {server: 'https://h', certificate-authority-data: '%%%'}}\n", "not valid base64"),
        ("clusters: {a: 1}\n", "must be a list"),
        ("clusters: [\n", "not valid YAML")
    ])
    func brokenConfigsFailClearly(text: String, expected: String) throws {
        let dir = tempDir()
        let p = try write(dir, "config", text)
        do {
            _ = try KubeconfigLoader.load(explicitPath: p, environment: [:]).resolve()
            Issue.record("expected an error containing \(expected)")
        } catch let e as KubeError {
            #expect(e.message.contains(expected), "\(e.message)")
        }
    }

    @Test func missingExplicitFileIsAnError() {
        #expect(throws: KubeError.self) { try KubeconfigLoader.load(explicitPath: "/nonexistent/kubeconfig", environment: [:]) }
    }

    @Test func kindStyleWithFileCertsAndTLSServerName() async throws {
        let server = try await KubeSimServer.start()
        let dir = tempDir()
        // Certificates by file path, and a tls-server-name the certificate carries while the
        // URL uses the IP: verification must use the name.
        let p = try write(
            dir, "config",
            """
            apiVersion: v1
            kind: Config
            current-context: files
            clusters:
            - {name: c, cluster: {server: "\(server.url)", certificate-authority: \(server.pki.caCertPath), tls-server-name: kubernetes}}
            users:
            - {name: admin, user: {client-certificate: \(server.pki.clientCertPath), client-key: \(server.pki.clientKeyPath)}}
            contexts:
            - {name: files, context: {cluster: c, user: admin}}
            """)
        let client = try KubeClient(kubeconfig: p)
        let nodes = try await client.list(apiVersion: "v1", kind: "Node")
        #expect(nodes.items.isEmpty)
        #expect(!nodes.resourceVersion.isEmpty)
        await server.shutdown()
    }

    /// `proxy-url`: every connection is a CONNECT tunnel through the proxy (TLS and HTTP/2 end
    /// to end inside it); a proxy that is down is named in the error.
    @Test func proxyURLTunnelsThroughTheProxy() async throws {
        let server = try await KubeSimServer.start()
        let proxy = try await SimConnectProxy.start()
        let dir = tempDir()
        func config(_ proxyURL: String) throws -> String {
            try write(
                dir, "config-\(UUID().uuidString.prefix(4))",
                """
                apiVersion: v1
                kind: Config
                current-context: p
                clusters:
                - {name: c, cluster: {server: "\(server.url)", certificate-authority: \(server.pki.caCertPath), proxy-url: "\(proxyURL)"}}
                users:
                - {name: admin, user: {client-certificate: \(server.pki.clientCertPath), client-key: \(server.pki.clientKeyPath)}}
                contexts:
                - {name: p, context: {cluster: c, user: admin}}
                """)
        }
        let client = try KubeClient(kubeconfig: try config(proxy.url))
        _ = try await client.apply(configMap("through-proxy", ["k": "v"]))
        #expect(try await client.get(apiVersion: "v1", kind: "ConfigMap", name: "through-proxy") != nil)
        #expect(!proxy.connects.isEmpty)
        #expect(proxy.connects.allSatisfy { $0 == "127.0.0.1:\(server.port)" }, "\(proxy.connects)")
        #expect(server.cluster.connectionLog.contains("h2"), "HTTP/2 inside the tunnel: \(server.cluster.connectionLog)")

        await proxy.shutdown()
        // A proxy that is down: a port held bound but not listening refuses every connection,
        // and no other test's server can take it over meanwhile (a freed port can be reused).
        let closed = try ClosedPort()
        defer { closed.release() }
        let downURL = "http://127.0.0.1:\(closed.port)"
        var o = KubeClientOptions()
        o.maxAttempts = 1
        let broken = try KubeClient(kubeconfig: try config(downURL), options: o)
        await #expect {
            _ = try await broken.list(apiVersion: "v1", kind: "Node")
        } throws: { e in
            (e as? KubeError)?.message.contains("proxy-url \(downURL)") == true
        }
        await server.shutdown()
    }

    @Test func wrongCAFailsVerificationUnlessInsecure() async throws {
        let server = try await KubeSimServer.start()
        let dir = tempDir()
        let rogueCA = Data(server.pki.rogueClientCert.utf8).base64EncodedString()
        let cert = Data(server.pki.clientCert.utf8).base64EncodedString()
        let key = Data(server.pki.clientKey.utf8).base64EncodedString()
        func config(_ cluster: String) throws -> String {
            try write(
                dir, "config-\(UUID().uuidString.prefix(4))",
                """
                current-context: x
                clusters:
                - {name: c, cluster: {server: "\(server.url)", \(cluster)}}
                users:
                - {name: u, user: {client-certificate-data: \(cert), client-key-data: \(key)}}
                contexts:
                - {name: x, context: {cluster: c, user: u}}
                """)
        }
        let bad = try KubeClient(kubeconfig: try config("certificate-authority-data: \(rogueCA)"))
        do {
            _ = try await bad.list(apiVersion: "v1", kind: "Node")
            Issue.record("expected a TLS failure")
        } catch let e as KubeError {
            #expect(e.kind == .network)
            #expect(e.message.contains("context \"x\""))
        }
        let insecure = try KubeClient(kubeconfig: try config("insecure-skip-tls-verify: true"))
        #expect(try await insecure.list(apiVersion: "v1", kind: "Namespace").items.count == 4)
        await server.shutdown()
    }

    @Test func noClientCertificateIs401Explained() async throws {
        let server = try await KubeSimServer.start()
        let dir = tempDir()
        let ca = Data(server.pki.caCert.utf8).base64EncodedString()
        let p = try write(
            dir, "config",
            """
            current-context: anon
            clusters:
            - {name: c, cluster: {server: "\(server.url)", certificate-authority-data: \(ca)}}
            users:
            - {name: nobody, user: {}}
            contexts:
            - {name: anon, context: {cluster: c, user: nobody}}
            """)
        let client = try KubeClient(kubeconfig: p)
        do {
            _ = try await client.list(apiVersion: "v1", kind: "Pod")
            Issue.record("expected 401")
        } catch let e as KubeError {
            #expect(e.kind == .unauthorized)
            #expect(e.message.contains("user \"nobody\""))
            #expect(e.message.contains("context \"anon\""))
        }
        await server.shutdown()
    }

    @Test func forbiddenUserGets403Explained() async throws {
        let server = try await KubeSimServer.start()
        server.cluster.tokens["viewer-token"] = SimUser(name: "viewer")
        server.cluster.forbiddenUsers.insert("viewer")
        let dir = tempDir()
        let p = try write(
            dir, "config",
            """
            current-context: v
            clusters:
            - {name: c, cluster: {server: "\(server.url)", certificate-authority: \(server.pki.caCertPath)}}
            users:
            - {name: viewer, user: {tokenFile: tok}}
            contexts:
            - {name: v, context: {cluster: c, user: viewer}}
            """)
        try "viewer-token\n".write(toFile: dir + "/tok", atomically: true, encoding: .utf8)
        let client = try KubeClient(kubeconfig: p)
        do {
            _ = try await client.list(apiVersion: "apps/v1", kind: "DaemonSet")
            Issue.record("expected 403")
        } catch let e as KubeError {
            #expect(e.kind == .forbidden)
            #expect(e.message.contains("User \"viewer\" cannot list resource \"daemonsets\""))
            #expect(e.message.contains("RBAC"))
        }
        await server.shutdown()
    }

    @Test func execPluginTokenIsCachedUntilExpiry() async throws {
        let server = try await KubeSimServer.start()
        server.cluster.tokens["exec-token"] = SimUser(name: "eks-user", groups: ["system:masters"])
        let dir = tempDir()
        let plugin = dir + "/get-token"
        try """
        #!/bin/sh
        echo run >> "\(dir)/runs"
        case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) echo "no exec info" >&2; exit 3;; esac
        [ "$REGION" = "eu-west-1" ] || { echo "env not passed" >&2; exit 4; }
        cat <<JSON
        {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token","expirationTimestamp":"2099-01-01T00:00:00Z"}}
        JSON
        """.write(toFile: plugin, atomically: true, encoding: .utf8)
        chmod(plugin, 0o755)
        let p = try write(
            dir, "config",
            """
            current-context: eks
            clusters:
            - {name: c, cluster: {server: "\(server.url)", certificate-authority: \(server.pki.caCertPath)}}
            users:
            - name: eks
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./get-token
                  args: [token, --cluster, c]
                  env: [{name: REGION, value: eu-west-1}]
                  interactiveMode: Never
            contexts:
            - {name: eks, context: {cluster: c, user: eks}}
            """)
        let client = try KubeClient(kubeconfig: p)
        _ = try await client.list(apiVersion: "v1", kind: "Pod")
        _ = try await client.list(apiVersion: "v1", kind: "ConfigMap")
        let runs = try String(contentsOfFile: dir + "/runs", encoding: .utf8).split(separator: "\n").count
        #expect(runs == 1)
        await server.shutdown()
    }

    @Test func execPluginFailureIsReported() async throws {
        let server = try await KubeSimServer.start()
        let dir = tempDir()
        let p = try write(
            dir, "config",
            """
            current-context: x
            clusters:
            - {name: c, cluster: {server: "\(server.url)", certificate-authority: \(server.pki.caCertPath)}}
            users:
            - name: u
              user:
                exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, "echo token expired, run aws sso login >&2; exit 1"], interactiveMode: Never}
            contexts:
            - {name: x, context: {cluster: c, user: u}}
            """)
        let client = try KubeClient(kubeconfig: p)
        do {
            _ = try await client.list(apiVersion: "v1", kind: "Pod")
            Issue.record("expected failure")
        } catch let e as KubeError {
            #expect(e.message.contains("exited with status 1"))
            #expect(e.message.contains("aws sso login"))
        }
        await server.shutdown()
    }
}
