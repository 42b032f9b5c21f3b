import Foundation
import Kube
import Tools

/// Pod names from a cluster for completion: best effort, bounded, silent. A shell waits for the
/// answer with the user's cursor frozen, so every request has a short timeout and one attempt,
/// and whatever has not answered by the deadline is given up (the answer is then empty). A user
/// whose kubeconfig runs an exec credential plugin gets no cluster call at all: a plugin may
/// prompt or open a browser for a login, and would be left running when completion ends.
enum ClusterPodNames {
    /// 2 s unless `SLIMCTL_COMPLETION_TIMEOUT` (seconds, > 0) says otherwise: a slow cluster
    /// (a VPN, a busy control plane) may need more, and a shell user may want less.
    static func deadline(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration {
        guard let text = environment["SLIMCTL_COMPLETION_TIMEOUT"], let seconds = Double(text), seconds > 0, seconds.isFinite else {
            return .seconds(2)
        }
        return .milliseconds(Int(min(seconds, 3600) * 1000))
    }

    static func list(kubeconfig: String?, context: String?, namespaces: [String], deadline: Duration) async -> [String] {
        guard !namespaces.isEmpty, let config = try? KubeconfigLoader.load(explicitPath: kubeconfig),
            let resolved = try? config.resolve(context: context), resolved.user.exec == nil
        else { return [] }
        var options = KubeClientOptions()
        // Each request may take the whole deadline, the connection (TLS included) half of it.
        options.requestTimeout = deadline.inSeconds
        options.connectTimeout = deadline.inSeconds / 2
        options.maxAttempts = 1
        options.warning = { _ in }  // no TLS note in the middle of a command line
        let client = KubeClient(config: resolved, options: options)
        let answer = FirstAnswer()
        return await withCheckedContinuation { continuation in
            answer.set(continuation)
            Task {
                var names: [String] = []
                for ns in namespaces {
                    guard let pods = try? await client.list(apiVersion: "v1", kind: "Pod", namespace: ns) else { continue }
                    names += pods.items.compactMap { $0.lookup(["metadata", "name"])?.stringValue }
                }
                answer.give(names)
            }
            Task {
                try? await Task.sleep(for: deadline)
                answer.give([])
            }
        }
    }
}

/// Resumes a continuation with whichever answer comes first; later ones are dropped.
private final class FirstAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<[String], Never>?

    func set(_ c: CheckedContinuation<[String], Never>) {
        lock.lock(); defer { lock.unlock() }
        continuation = c
    }

    func give(_ names: [String]) {
        lock.lock()
        let c = continuation
        continuation = nil
        lock.unlock()
        c?.resume(returning: names)
    }
}
