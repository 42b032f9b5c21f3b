import Engine
import Foundation

/// What the local target has running, kept on disk so `status`, `verify`, `logs`, `test` and
/// `delete` (separate invocations) find the processes that `deploy` started.
public struct LocalState: Codable, Sendable {
    public struct SimNode: Codable, Sendable, Hashable {
        public var name: String
        public var labels: [String: String]
        public var taints: [String]
        public var ready: Bool
        /// `spec.unschedulable` (cordoned); optional so that older state files still load.
        public var unschedulable: Bool? = nil

        public init(name: String, labels: [String: String], taints: [String], ready: Bool, unschedulable: Bool? = nil) {
            self.name = name
            self.labels = labels
            self.taints = taints
            self.ready = ready
            self.unschedulable = unschedulable
        }
    }

    public struct Proc: Codable, Sendable, Hashable {
        /// Pod-equivalent name (`slim-x7k2p`, `slim-0`, `alice-4fj2k`, `bob`).
        public var name: String
        /// `slim`, `receiver` or `sender`.
        public var component: String
        /// `DaemonSet/slim`, `StatefulSet/slim`, `Pod/bob`.
        public var workload: String
        public var node: String
        public var pid: Int32
        public var argv: [String]
        public var logPath: String
        public var configPath: String?
        public var port: Int?
        public var startedAt: Date
        /// A sender is expected to exit; a SLIM node or receiver exiting is a crash.
        public var runsToCompletion: Bool
        public var exitCode: Int32?
        /// SLIM nodes: the DaemonSet revision (hash of the release's values and the bindings)
        /// it was started from; nil for processes recorded before revisions existed.
        public var revision: String? = nil
        /// SLIM nodes: false until its runner said `slimctl-node ready`; nil when not tracked
        /// (a live process then counts as ready, as before).
        public var ready: Bool? = nil
    }

    /// A Service applied by a manifests step (no app) that selects SLIM pods, e.g. `slim-any`.
    public struct AppliedService: Codable, Sendable, Hashable {
        public var name: String
        public var namespace: String
        public var routing: ServiceMap.Routing
        public var step: String
    }

    /// The slim-bindings the running SLIM nodes use, as paired when they started.
    public struct Bindings: Codable, Sendable, Hashable {
        public var version: String
        public var slimRelease: String
        public var match: BindingsPairing.Match
        public var note: String
        /// Whether the nodes were started as a static full mesh (false: each routes only its own apps).
        public var meshed: Bool
    }

    public var strategy: String
    public var nodes: [SimNode] = []
    /// Fingerprint of the strategy's cluster layout the nodes were made from: a changed layout
    /// makes them anew, an unchanged one keeps what `slimctl local-node` changed.
    public var layout: String? = nil
    /// The revision each SLIM DaemonSet was last deployed with (`DaemonSet/slim` → revision):
    /// what verify compares the running pods against, as a cluster's newest ControllerRevision.
    public var revisions: [String: String]? = nil
    /// Optional so that state files written before these existed still load.
    public var services: [AppliedService]? = nil
    public var bindings: Bindings? = nil
    public var processes: [Proc] = []
    public var notices: [String] = []
    /// Owner of the deployment lock (pid of a running `deploy`), to refuse a second one.
    public var deployingPID: Int32?

    public init(strategy: String) { self.strategy = strategy }

    public static func load(_ path: String) -> LocalState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return try? d.decode(LocalState.self, from: data)
    }

    public func save(_ path: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        try AtomicFile.write(try e.encode(self), to: path, mode: 0o600)
    }

    public func processes(component: String) -> [Proc] { processes.filter { $0.component == component } }
}
