import Foundation

/// `insecure-skip-tls-verify: true` makes the client accept any server certificate, and it still
/// sends the bearer token or client certificate — to whoever answers. kubectl says nothing about
/// it; slimctl says so on stderr every time it makes such a client, once per cluster per run.
enum TLSWarning {
    static func message(_ config: ResolvedConfig) -> String? {
        guard config.cluster.insecureSkipTLSVerify, !config.cluster.server.lowercased().hasPrefix("http://") else { return nil }
        return
            "warning: TLS verification is off for cluster \(config.clusterName) (insecure-skip-tls-verify in \(config.cluster.file ?? "the kubeconfig")): the server's identity is not checked"
    }

    private static let printed = Printed()

    /// The default sink: stderr, each distinct message once (a command makes several clients).
    @Sendable static func printOnce(_ message: String) {
        guard printed.first(message) else { return }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        // Under GitHub Actions the same words as a workflow annotation, shown on the run's page.
        if ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true" {
            FileHandle.standardOutput.write(Data(("::warning title=slimctl::" + message.replacingOccurrences(of: "warning: ", with: "") + "\n").utf8))
        }
    }

    final class Printed: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: Set<String> = []
        func first(_ m: String) -> Bool { lock.lock(); defer { lock.unlock() }; return seen.insert(m).inserted }
    }
}
