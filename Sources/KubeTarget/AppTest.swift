import Foundation
import Kube
import Plan
import Tools
import YAML

/// `slimctl test` on kind and cluster: the test apps' manifests go to the cluster by
/// server-side apply, every wait is a watch bounded by a deadline, and the logs come back
/// through the API. It collects; judging the logs is the caller's (Checks), so both targets
/// judge the same way. A wait that runs out throws `AppTestError` naming what did not happen.
public struct AppTest: Sendable {
    public var rendered: Rendered
    public var config: KubeTargetConfig
    public var client: KubeClient
    /// The step log (applied objects, deletions).
    public var log: String
    public var report: @Sendable (String) -> Void

    public init(rendered: Rendered, config: KubeTargetConfig, client: KubeClient, log: String, report: @escaping @Sendable (String) -> Void) {
        self.rendered = rendered
        self.config = config
        self.client = client
        self.log = log
        self.report = report
    }

    /// A test app's pod as the test reports it.
    public struct AppPod: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var node: String
        public var container: String?
        public var restarts: Int
    }

    /// A step's objects, namespaces filled in.
    public func objects(step: String) async throws -> [Value] {
        guard let m = rendered.manifests(forStep: step) else {
            throw AppTestError("step `\(step)` has no manifests to run as a test app")
        }
        return try await ManifestApplier.placed(m.objects, defaultNamespace: m.namespace, client: client)
    }

    /// Server-side apply of a step's objects; on kind the test image is loaded first when one
    /// of them uses it (as `deploy --only <step>` does).
    public func apply(_ objects: [Value]) async throws {
        if config.target.kind == .kind, let image = config.testImage, objects.contains(where: { $0.jsonString().contains(image.reference) }) {
            try await image.ensureLoaded(kind: config.kind, cluster: rendered.strategy.cluster.name, log: log, report: report)
        }
        try await ManifestApplier.ensureNamespaces(objects, client: client, report: report)
        for o in objects {
            try await client.apply(o)
            Log.append(log, "applied \(ManifestApplier.describe(o))\n")
        }
        report("applied \(objects.count) object(s) (server-side apply, field manager slimctl)")
    }

    /// Waits (watch) until every workload among `objects` is ready — for a DaemonSet, one
    /// Ready pod on every eligible node. After `timeout` seconds, throws naming each pod that
    /// is not ready, its node and why ("alice-x7k2p on worker-1: ImagePullBackOff (…)").
    public func waitReady(_ objects: [Value], role: String, timeout: Double) async throws {
        enum Outcome: Sendable { case ready, stuck }
        for o in workloads(objects) {
            // Readiness and a stuck pod race: an image that cannot be pulled or a crash loop is
            // reported at once instead of after the whole timeout.
            let outcome = try await Self.within(timeout) { [client, report] in
                try await withThrowingTaskGroup(of: Outcome.self) { group in
                    group.addTask {
                        try await Readiness.wait(client, apiVersion: o.apiVersion, kind: o.kind, name: o.name, namespace: o.namespace, report: report)
                        return .ready
                    }
                    group.addTask {
                        try await AppDiagnosis.untilStuck(client, o)
                        return .stuck
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? .ready
                }
            }
            switch outcome {
            case .ready?: continue
            case .stuck?:
                throw AppTestError("\(role) cannot become ready: " + (try await AppDiagnosis.notReady(client, o)))
            case nil:
                let why = try await AppDiagnosis.notReady(client, o)
                throw AppTestError("\(role) never ready within \(Self.seconds(timeout)): " + why)
            }
        }
    }

    /// The pods of the workloads among `objects` (terminating ones left out), by name.
    public func pods(_ objects: [Value]) async throws -> [AppPod] {
        var out: [AppPod] = []
        for w in workloads(objects) {
            for v in try await AppDiagnosis.pods(client, w) {
                let p = Pod(v)
                guard !p.metadata.deleting else { continue }
                out.append(
                    AppPod(
                        name: p.metadata.name, namespace: p.metadata.namespace ?? w.namespace, node: p.nodeName ?? "(not scheduled)",
                        container: p.containers.first, restarts: p.restarts))
            }
        }
        return out.sorted { $0.name < $1.name }
    }

    /// Follows each pod's log until `isListening` holds for what it printed so far, at most
    /// `timeout` seconds. Returns the pods that never got there.
    public func waitListening(_ pods: [AppPod], timeout: Double, isListening: @escaping @Sendable (String) -> Bool) async -> [AppPod] {
        await withTaskGroup(of: AppPod?.self) { group in
            for p in pods {
                group.addTask { [client] in
                    let seen = try? await Self.within(timeout) {
                        var text = ""
                        for try await line in client.logs(pod: p.name, namespace: p.namespace, options: LogOptions(container: p.container, follow: true)) {
                            text += line + "\n"
                            if isListening(text) { return true }
                        }
                        return isListening(text)
                    }
                    return seen == true ? nil : p
                }
            }
            var missing: [AppPod] = []
            for await p in group { if let p { missing.append(p) } }
            return missing.sorted { $0.name < $1.name }
        }
    }

    /// A pod's whole log (`previous`: the container instance before the last restart).
    public func logText(_ pod: AppPod, previous: Bool = false) async throws -> String {
        var lines: [String] = []
        for try await line in client.logs(pod: pod.name, namespace: pod.namespace, options: LogOptions(container: pod.container, previous: previous)) {
            lines.append(line)
        }
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }

    /// Deletes the objects (in reverse order; namespaces never) and waits until each is gone.
    @discardableResult
    public func remove(_ objects: [Value]) async throws -> [String] {
        var removed: [String] = []
        for o in objects.reversed() {
            guard let apiVersion = o["apiVersion"]?.stringValue, let kind = o["kind"]?.stringValue, kind != "Namespace",
                let name = o.lookup(["metadata", "name"])?.stringValue
            else { continue }
            let ns = o.lookup(["metadata", "namespace"])?.stringValue
            // The garbage collector removes a controller's pods after the controller itself;
            // the test waits for them too, so "removed" means no test pod is left running.
            let owned = kind == "Pod" ? [] : (try? await workloads([o]).asyncFlatMap { try await AppDiagnosis.pods(client, $0) }) ?? []
            if try await client.delete(apiVersion: apiVersion, kind: kind, name: name, namespace: ns, wait: true, timeout: 120) {
                removed.append(ManifestApplier.describe(o))
                Log.append(log, "deleted \(ManifestApplier.describe(o))\n")
            }
            for pod in owned.map(Pod.init) {
                try await client.delete(
                    apiVersion: "v1", kind: "Pod", name: pod.metadata.name, namespace: pod.metadata.namespace ?? ns, wait: true, timeout: 120)
            }
        }
        return removed
    }

    // MARK: helpers

    func workloads(_ objects: [Value]) -> [Workload] {
        objects.compactMap { o in
            guard let kind = o["kind"]?.stringValue, Readiness.workloadKinds.contains(kind), let name = o.lookup(["metadata", "name"])?.stringValue else {
                return nil
            }
            return Workload(
                apiVersion: o["apiVersion"]?.stringValue ?? "v1", kind: kind, name: name,
                namespace: o.lookup(["metadata", "namespace"])?.stringValue ?? client.namespace, object: o)
        }
    }

    /// The body's result, or nil when `seconds` passed first (the body is cancelled).
    static func within<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(max(seconds, 0) * 1e9))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s))s" : "\(s)s" }
}

extension Array where Element: Sendable {
    func asyncFlatMap<T>(_ f: (Element) async throws -> [T]) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out += try await f(e) }
        return out
    }
}

/// A workload object of a test step.
struct Workload: Sendable {
    var apiVersion: String, kind: String, name: String, namespace: String
    var object: Value
}

/// Something the test waited for did not happen; the message says what, where and why.
public struct AppTestError: Error, Sendable, CustomStringConvertible {
    /// `config`: the command cannot run as asked (exit 2); `failed`: the test failed (exit 1).
    public enum Kind: Sendable { case failed, config }
    public var message: String
    public var kind: Kind
    public init(_ message: String, kind: Kind = .failed) {
        self.message = message
        self.kind = kind
    }
    public var description: String { message }
}
