import Foundation
import NIOCore
import NIOPosix
import OrderedCollections
import YAML

/// Knobs tests turn to shape the simulated cluster's timing and scale behaviour.
public struct SimOptions: Sendable {
    /// Kubelet: how long a scheduled pod stays Pending (ContainerCreating) before Running.
    public var startDelay: Double = 0.05
    /// Kubelet: how long a Running pod waits before its readiness condition turns true.
    public var readyDelay: Double = 0.05
    /// How long a deleted pod stays Terminating before it is gone (0: immediately).
    public var terminationDelay: Double = 0.02
    /// Interval between BOOKMARK events on watches that allow them.
    public var bookmarkInterval: Double = 1.0
    /// Watch events retained; a watch resuming from an older resourceVersion gets 410 Gone.
    public var watchHistory: Int = 20_000
    /// Record Events (Scheduled, Pulling, Started, BackOff...) like the kubelet and controllers do.
    public var recordEvents: Bool = true
    /// Offer HTTP/2 in the TLS handshake (ALPN `h2`, then `http/1.1`) as kube-apiserver does;
    /// off, the server speaks HTTP/1.1 only (clients must fall back).
    public var http2: Bool = true
    /// SETTINGS_MAX_CONCURRENT_STREAMS the server announces on HTTP/2 connections: 100, what
    /// kube-apiserver announces since the HTTP/2 rapid-reset fixes (CVE-2023-44487). A client
    /// following more streams than that must spread them over several connections.
    public var http2MaxConcurrentStreams: Int = 100
    /// Set: the kubelet runs real processes in per-pod network namespaces (see SimRuntime);
    /// nil: it plays pods through their phases without running anything.
    public var runtime: SimRuntime?
    public init() {}
}

/// What the kubelet stand-in makes of a pod's containers.
public enum PodBehavior: Sendable, Equatable {
    case normal
    /// The container exits with this code each time it starts; the kubelet backs off (CrashLoopBackOff).
    case crashLoop(exitCode: Int)
    /// The image cannot be pulled: ErrImagePull, then ImagePullBackOff.
    case imagePullFailure
    /// Runs but never passes its readiness probe.
    case neverReady
}

/// One line of a container's log, as the kubelet stores it (timestamp for `timestamps=true`
/// and `sinceSeconds`).
struct LogLine: Sendable {
    var time: Date
    var text: String
}

/// Anything a watch or log follow streams to: the HTTP layer implements it per connection.
protocol SimStreamSink: AnyObject, Sendable {
    func send(_ bytes: [UInt8])
    func finish()
    /// Sends, then calls `written` once the bytes have left for the client (false: they never
    /// will, the client went away): a producer that waits for it goes no faster than the client.
    func send(_ bytes: [UInt8], written: @escaping @Sendable (Bool) -> Void)
}

extension SimStreamSink {
    func send(_ bytes: [UInt8], written: @escaping @Sendable (Bool) -> Void) {
        send(bytes)
        written(true)
    }
}

final class SimWatcher: @unchecked Sendable {
    let id: Int
    let resource: SimResource
    let namespace: String?
    let labels: LabelSelector
    let fields: FieldSelector?
    let sink: SimStreamSink
    init(id: Int, resource: SimResource, namespace: String?, labels: LabelSelector, fields: FieldSelector?, sink: SimStreamSink) {
        self.id = id; self.resource = resource; self.namespace = namespace; self.labels = labels; self.fields = fields; self.sink = sink
    }

    func matches(_ obj: Value) -> Bool {
        if let namespace, obj[path: ["metadata", "namespace"]]?.str != namespace { return false }
        if !labels.isEmpty, !labels.matches(obj[path: ["metadata", "labels"]]?.stringMap ?? [:]) { return false }
        if let fields, !fields.matches(obj) { return false }
        return true
    }
}

struct WatchLogEntry {
    var rv: Int
    var resource: SimResource
    var type: String
    var object: Value
    var old: Value?
}

/// The in-memory cluster: objects, resourceVersions, watches, controllers and kubelet. One lock
/// guards everything; every operation is short, so the NIO event loops never wait long.
public final class SimCluster: @unchecked Sendable {
    let lock = NSRecursiveLock()
    public internal(set) var options: SimOptions
    let loop: EventLoop

    var revision = 1
    /// resource → namespace ("" for cluster-scoped) → name → object.
    var objects: [SimResource: [String: [String: Value]]] = [:]
    /// uid → manager → field paths owned through server-side apply.
    var managedPaths: [String: [String: Set<[String]>]] = [:]
    var watchLog: [WatchLogEntry] = []
    var watchLogStart = 0
    var watchers: [SimResource: [Int: SimWatcher]] = [:]
    var nextWatcherID = 1
    var logFollowers: [String: [Int: (container: String, sink: SimStreamSink, timestamps: Bool)]] = [:]

    // Kubelet state.
    var behaviors: [String: PodBehavior] = [:]
    var scripts: [String: SimScript] = [:]
    var podLogs: [String: [String: [LogLine]]] = [:]
    var previousLogs: [String: [String: [LogLine]]] = [:]
    var podTimers: [String: Scheduled<Void>] = [:]
    /// Pods the process-running kubelet runs, by uid (see SimRealKubelet).
    var realPods: [String: RealPod] = [:]
    /// Recorded events by what they say and about whom (see recordEvent).
    var eventKeys: [String: String] = [:]
    /// Which endpoint each pod's Service names resolve to, as they change ("ns/pod: svc.ns →
    /// endpoint pod (ip, node)"), for reports of what talked to what.
    public internal(set) var serviceRoutes: [String] = []
    var reconcileScheduled = false
    /// Sorted all-namespace lists by resource, valid while `revision` is unchanged (see SimListCache).
    var listCache: [SimResource: SortedList] = [:]
    var serviceIPCounter = 1
    /// Resources of Established CRDs, served after the built-in ones (see SimCRDs).
    var customResources: [SimResource] = []
    /// Set while a `dryRun=All` request runs: writes are validated and answered, not stored.
    var dryRunning = false
    /// Namespaces whose pods, Services or EndpointSlices changed since the slice controller ran.
    var endpointsDirty: Set<String> = []
    /// Controller re-runs already scheduled (by key), so a pass that asks again adds no timer.
    var requeueAt: [String: Date] = [:]
    /// The revision of the last node write, and the one the node lifecycle pass last saw.
    var nodesWrittenAt = 0
    var nodesLifecycleAt = -1
    /// The node write the pod garbage collector last looked at (see SimPodGC).
    var podGCAt = -1

    /// Requests seen, in order (method and path with query), for tests that check what a client asked.
    public internal(set) var requestLog: [String] = []
    /// One entry per accepted TLS connection: the protocol negotiated with ALPN (`h2` or
    /// `http/1.1`), so tests can tell how a client used its connections.
    public internal(set) var connectionLog: [String] = []
    /// Requests that arrived as HTTP/2 streams.
    public internal(set) var http2Requests = 0
    var faults: [SimFaultRule] = []
    public var tokens: [String: SimUser] = [:]
    /// Users (by name) that are authenticated but allowed nothing: every request is 403.
    public var forbiddenUsers: Set<String> = []

    init(options: SimOptions, loop: EventLoop) {
        self.options = options
        self.loop = loop
        // Under the lock: the first write already schedules a controller pass on the loop, which
        // must not run while the rest of the initial objects are still being stored.
        withLock {
            for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                _ = try? createLocked(
                    Self.namespaceResource, namespace: nil,
                    object: .map([
                        "apiVersion": "v1", "kind": "Namespace", "metadata": .map(["name": .string(ns)])
                    ]), manager: "kube-apiserver")
            }
            installDefaultStorageClass()
        }
    }

    /// Everything served now: the built-in kinds, then custom resources.
    var servedLocked: [SimResource] { SimCatalog.all + customResources }
    func served() -> [SimResource] { withLock { servedLocked } }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    static let namespaceResource = SimCatalog.all[0]
    static func res(_ name: String) -> SimResource {
        SimCatalog.all.first { $0.name == name } ?? namespaceResource
    }

    // MARK: Reading

    func getLocked(_ r: SimResource, namespace: String?, name: String) throws -> Value {
        guard let obj = objects[r]?[namespace ?? ""]?[name] else { throw SimError.notFound(r, name) }
        return obj
    }

    public func get(_ resource: String, namespace: String? = nil, name: String) -> Value? {
        withLock { objects[Self.res(resource)]?[namespace ?? ""]?[name] }
    }

    /// All objects of a resource, sorted by namespace then name as etcd returns them.
    func allLocked(_ r: SimResource, namespace: String?) -> [Value] {
        guard let byNS = objects[r] else { return [] }
        if let namespace {
            return (byNS[namespace] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
        }
        return sortedAllLocked(r).items
    }

    public func list(_ resource: String, namespace: String? = nil) -> [Value] {
        withLock { allLocked(Self.res(resource), namespace: namespace) }
    }

    public var resourceVersion: Int { withLock { revision } }

    // MARK: Writing

    /// Stores an object under a fresh resourceVersion, records the watch event, notifies
    /// watchers and lets controllers react.
    @discardableResult
    func putLocked(_ r: SimResource, _ object: Value, type: String) -> Value {
        var obj = type == "DELETED" ? object : pruneCustomLocked(r, object)
        if type != "DELETED" { prepareWorkloadLocked(r, &obj) }
        if r.name == "nodes" { nodesWrittenAt = revision + 1 }
        if dryRunning { return obj }
        revision += 1
        obj[path: ["metadata", "resourceVersion"]] = .string(String(revision))
        let ns = r.namespaced ? (obj[path: ["metadata", "namespace"]]?.str ?? "") : ""
        let name = obj[path: ["metadata", "name"]]?.str ?? ""
        let old = objects[r]?[ns]?[name]
        if type == "DELETED" {
            objects[r]?[ns]?.removeValue(forKey: name)
            if let uid = obj[path: ["metadata", "uid"]]?.str { managedPaths.removeValue(forKey: uid) }
        } else {
            objects[r, default: [:]][ns, default: [:]][name] = obj
        }
        record(WatchLogEntry(rv: revision, resource: r, type: type, object: obj, old: old))
        if r == Self.crdResource { refreshCustomResourcesLocked() }
        noteEndpointsChange(r, obj)
        if r.name != "events" { scheduleReconcile() }
        return obj
    }

    func record(_ e: WatchLogEntry) {
        watchLog.append(e)
        if watchLog.count > options.watchHistory * 2 {
            let drop = watchLog.count - options.watchHistory
            watchLog.removeFirst(drop)
            watchLogStart = watchLog.first?.rv ?? revision
        }
        for w in (watchers[e.resource] ?? [:]).values {
            deliver(e, to: w)
        }
    }

    func deliver(_ e: WatchLogEntry, to w: SimWatcher) {
        let now = w.matches(e.object)
        let before = e.old.map(w.matches) ?? false
        var type = e.type
        if e.type == "MODIFIED" {
            if now && !before { type = "ADDED" } else if !now && before { type = "DELETED" } else if !now { return }
        } else if !now {
            return
        }
        w.sink.send(Self.watchEventBytes(type: type, object: e.object))
    }

    static func watchEventBytes(type: String, object: Value) -> [UInt8] {
        Array((Value.map(["type": .string(type), "object": object]).jsonString() + "\n").utf8)
    }

    func newMetadata(_ r: SimResource, _ obj: inout Value, namespace: String?, manager: String, operation: String, fields: Value = .map([:])) throws {
        var name = obj[path: ["metadata", "name"]]?.str ?? ""
        if name.isEmpty, let gen = obj[path: ["metadata", "generateName"]]?.str, !gen.isEmpty {
            name = gen + SimID.suffix()
            obj[path: ["metadata", "name"]] = .string(name)
        }
        guard !name.isEmpty else { throw SimError.invalid(r, "", field: "metadata.name", detail: "Required value: name or generateName is required") }
        if r.namespaced {
            let ns = namespace ?? obj[path: ["metadata", "namespace"]]?.str ?? "default"
            if let given = obj[path: ["metadata", "namespace"]]?.str, given != ns {
                throw SimError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            guard objects[Self.namespaceResource]?[""]?[ns] != nil else {
                throw SimError.notFound(Self.namespaceResource, ns)
            }
            obj[path: ["metadata", "namespace"]] = .string(ns)
        } else {
            obj[path: ["metadata", "namespace"]] = nil
        }
        guard objects[r]?[r.namespaced ? (obj[path: ["metadata", "namespace"]]?.str ?? "") : ""]?[name] == nil else {
            throw SimError.alreadyExists(r, name)
        }
        obj[path: ["metadata", "uid"]] = .string(SimID.uid())
        obj[path: ["metadata", "creationTimestamp"]] = .string(SimTime.rfc3339())
        if obj["spec"] != nil, r.name != "pods", r.name != "nodes", r.name != "namespaces", r.name != "services" {
            obj[path: ["metadata", "generation"]] = .int(1)
        }
        obj[path: ["metadata", "managedFields"]] = .list([Self.managedEntry(manager: manager, operation: operation, apiVersion: r.groupVersion, fields: fields)]
        )
        obj[path: ["apiVersion"]] = .string(r.groupVersion)
        obj[path: ["kind"]] = .string(r.kind)
    }

    static func managedEntry(manager: String, operation: String, apiVersion: String, fields: Value = .map([:])) -> Value {
        .map([
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
            "time": .string(SimTime.rfc3339()), "fieldsType": "FieldsV1", "fieldsV1": fields
        ])
    }

    func createLocked(
        _ r: SimResource, namespace: String?, object: Value, manager: String, operation: String = "Update", fields: Value = .map([:])
    ) throws -> Value {
        var obj = object
        if let kind = obj["kind"]?.str, kind != r.kind {
            throw SimError.badRequest(
                "the API version in the data (\(obj["apiVersion"]?.str ?? "")) does not match the expected API version (\(r.groupVersion))")
        }
        try newMetadata(r, &obj, namespace: namespace, manager: manager, operation: operation, fields: fields)
        try validate(r, obj)
        applyDefaults(r, &obj)
        return putLocked(r, obj, type: "ADDED")
    }

    public func create(_ resource: String, namespace: String? = nil, _ object: Value) throws -> Value {
        try withLock { try createLocked(Self.res(resource), namespace: namespace, object: object, manager: "kubesim") }
    }

    /// Replaces an object's status (as a controller or the kubelet would) and bumps its version.
    func updateLocked(_ r: SimResource, _ obj: Value) {
        putLocked(r, obj, type: "MODIFIED")
    }

    func validate(_ r: SimResource, _ obj: Value) throws {
        let name = obj[path: ["metadata", "name"]]?.str ?? ""
        switch r.name {
        case "pods":
            if obj[path: ["spec", "containers"]]?.list.isEmpty ?? true {
                throw SimError.invalid(r, name, field: "spec.containers")
            }
        case "deployments", "daemonsets", "statefulsets", "replicasets":
            guard let sel = obj[path: ["spec", "selector"]], sel.mapValue != nil else {
                throw SimError.invalid(r, name, field: "spec.selector")
            }
            let labels = obj[path: ["spec", "template", "metadata", "labels"]]?.stringMap ?? [:]
            if !LabelSelector(selector: sel).matches(labels) {
                throw SimError.invalid(
                    r, name, field: "spec.template.metadata.labels", reason: "FieldValueInvalid",
                    detail: "Invalid value: \(Value.strings(labels).jsonString()): `selector` does not match template `labels`")
            }
            if obj[path: ["spec", "template", "spec", "containers"]]?.list.isEmpty ?? true {
                throw SimError.invalid(r, name, field: "spec.template.spec.containers")
            }
        default: try admitValidate(r, obj)
        }
        let fieldErrors = builtinFieldErrors(r, obj)
        if !fieldErrors.isEmpty { throw SimError.invalid(r, name, fieldErrors) }
        // RBAC objects take any path segment as a name (`system:controller:...`).
        if r.group == "rbac.authorization.k8s.io" {
            if name == "." || name == ".." || name.contains("/") || name.contains("%") {
                throw SimError.invalid(
                    r, name, field: "metadata.name", reason: "FieldValueInvalid",
                    detail: "Invalid value: \"\(name)\": may not contain '/' or '%', and may not be '.' or '..'")
            }
        } else if name.count > 253 || name.contains(where: { !($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }) {
            throw SimError.invalid(
                r, name, field: "metadata.name", reason: "FieldValueInvalid",
                detail:
                    "Invalid value: \"\(name)\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            )
        }
    }

    func applyDefaults(_ r: SimResource, _ obj: inout Value) {
        switch r.name {
        case "pods":
            if obj[path: ["spec", "restartPolicy"]] == nil { obj[path: ["spec", "restartPolicy"]] = "Always" }
            if obj[path: ["spec", "schedulerName"]] == nil { obj[path: ["spec", "schedulerName"]] = "default-scheduler" }
            if obj[path: ["status", "phase"]] == nil {
                obj[path: ["status"]] = .map(["phase": "Pending", "qosClass": "BestEffort"])
            }
        case "services":
            if obj[path: ["spec", "type"]] == nil { obj[path: ["spec", "type"]] = "ClusterIP" }
            if obj[path: ["spec", "clusterIP"]] == nil {
                serviceIPCounter += 1
                let ip = "10.96.\(serviceIPCounter / 250).\(serviceIPCounter % 250 + 1)"
                obj[path: ["spec", "clusterIP"]] = .string(ip)
                obj[path: ["spec", "clusterIPs"]] = .list([.string(ip)])
            }
            if obj["status"] == nil { obj[path: ["status"]] = .map(["loadBalancer": .map([:])]) }
        case "deployments", "statefulsets", "replicasets":
            if obj[path: ["spec", "replicas"]] == nil { obj[path: ["spec", "replicas"]] = 1 }
            if r.name == "statefulsets", obj[path: ["spec", "podManagementPolicy"]] == nil {
                obj[path: ["spec", "podManagementPolicy"]] = "OrderedReady"
            }
            if obj["status"] == nil { obj[path: ["status"]] = .map([:]) }
        case "daemonsets":
            if obj["status"] == nil {
                obj[path: ["status"]] = .map(["currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0])
            }
        case "namespaces":
            if obj["status"] == nil { obj[path: ["status"]] = .map(["phase": "Active"]) }
            obj[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = obj[path: ["metadata", "name"]]
            obj[path: ["spec", "finalizers"]] = .list(["kubernetes"])
        default: admitDefaults(r, &obj)
        }
    }

    // MARK: Delete

    /// Deletes an object; pods terminate gracefully like the kubelet does, dependents are
    /// garbage-collected (Background/Foreground) or orphaned (Orphan).
    func deleteLocked(_ r: SimResource, namespace: String?, name: String, propagation: String?, gracePeriod: Int?) throws -> Value {
        var obj = try getLocked(r, namespace: r.namespaced ? namespace : nil, name: name)
        let uid = obj[path: ["metadata", "uid"]]?.str ?? ""
        if r.name == "pods", options.runtime != nil, !dryRunning {
            if gracePeriod == 0 {
                // A forced delete: the object goes now; forgetting the pod kills its processes.
                removeLocked(r, obj, propagation: propagation)
                return obj
            }
            if obj[path: ["metadata", "deletionTimestamp"]] == nil {
                let grace = gracePeriod ?? Int(obj[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue ?? 30)
                obj[path: ["metadata", "deletionTimestamp"]] = .string(SimTime.rfc3339())
                obj[path: ["metadata", "deletionGracePeriodSeconds"]] = .int(Int64(grace))
                obj = putLocked(r, obj, type: "MODIFIED")
                if realPods[uid] != nil {
                    terminateRealPod(uid: uid, grace: grace)
                } else {
                    removeLocked(r, obj, propagation: propagation)
                }
            }
            return obj
        }
        if r.name == "pods", gracePeriod != 0, options.terminationDelay > 0, !dryRunning {
            if obj[path: ["metadata", "deletionTimestamp"]] == nil {
                obj[path: ["metadata", "deletionTimestamp"]] = .string(SimTime.rfc3339())
                obj[path: ["metadata", "deletionGracePeriodSeconds"]] = .int(Int64(gracePeriod ?? 30))
                obj = putLocked(r, obj, type: "MODIFIED")
                let ns = namespace ?? ""
                let delay = options.terminationDelay
                loop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { [self] in
                    withLock { finishPodDeletion(namespace: ns, name: name, uid: uid) }
                }
            }
            return obj
        }
        removeLocked(r, obj, propagation: propagation)
        return obj
    }

    func finishPodDeletion(namespace: String, name: String, uid: String) {
        let r = Self.res("pods")
        guard let obj = objects[r]?[namespace]?[name], obj[path: ["metadata", "uid"]]?.str == uid else { return }
        removeLocked(r, obj, propagation: nil)
    }

    func removeLocked(_ r: SimResource, _ obj: Value, propagation: String?) {
        guard !dryRunning else { return }
        let uid = obj[path: ["metadata", "uid"]]?.str ?? ""
        let ns = obj[path: ["metadata", "namespace"]]?.str
        if r.name == "pods" { kubeletForget(uid: uid) }
        if r == Self.crdResource { removeCustomObjectsLocked(of: obj) }
        putLocked(r, obj, type: "DELETED")
        if r.name == "namespaces" {
            let name = obj[path: ["metadata", "name"]]?.str ?? ""
            for res in servedLocked where res.namespaced {
                for o in allLocked(res, namespace: name) {
                    removeLocked(res, o, propagation: "Background")
                }
            }
            return
        }
        // Garbage collection of dependents.
        for res in servedLocked where res.namespaced {
            for o in allLocked(res, namespace: ns) {
                let refs = o[path: ["metadata", "ownerReferences"]]?.list ?? []
                guard refs.contains(where: { $0["uid"]?.str == uid }) else { continue }
                if propagation == "Orphan" {
                    var orphan = o
                    let rest = refs.filter { $0["uid"]?.str != uid }
                    orphan[path: ["metadata", "ownerReferences"]] = rest.isEmpty ? nil : .list(rest)
                    putLocked(res, orphan, type: "MODIFIED")
                } else if let n = o[path: ["metadata", "name"]]?.str {
                    _ = try? deleteLocked(res, namespace: ns, name: n, propagation: propagation, gracePeriod: nil)
                }
            }
        }
    }

    // MARK: Watch

    /// Registers a watch. Returns the initial events to send (synthetic ADDED for a watch
    /// without resourceVersion, the replayed history for one with), or throws 410 Expired.
    func addWatcher(
        _ r: SimResource, namespace: String?, labels: LabelSelector, fields: FieldSelector?,
        resourceVersion: String?, sink: SimStreamSink
    ) throws -> (Int, [[UInt8]]) {
        try withLock {
            let w = SimWatcher(id: nextWatcherID, resource: r, namespace: namespace, labels: labels, fields: fields, sink: sink)
            var initial: [[UInt8]] = []
            if let rvText = resourceVersion, !rvText.isEmpty, rvText != "0" {
                guard let rv = Int(rvText) else { throw SimError.badRequest("invalid resource version: \(rvText)") }
                if rv < watchLogStart - 1 { throw SimError.expired(rv, watchLogStart) }
                for e in watchLog where e.rv > rv && e.resource == r {
                    let collect = CollectingSink()
                    deliver(e, to: SimWatcher(id: 0, resource: r, namespace: namespace, labels: labels, fields: fields, sink: collect))
                    initial.append(contentsOf: collect.chunks)
                }
            } else {
                for o in allLocked(r, namespace: namespace) where w.matches(o) {
                    initial.append(Self.watchEventBytes(type: "ADDED", object: o))
                }
            }
            nextWatcherID += 1
            watchers[r, default: [:]][w.id] = w
            return (w.id, initial)
        }
    }

    func removeWatcher(_ r: SimResource, id: Int) {
        withLock { _ = watchers[r]?.removeValue(forKey: id) }
    }

    func bookmark(_ r: SimResource) -> [UInt8] {
        withLock {
            Self.watchEventBytes(
                type: "BOOKMARK",
                object: .map([
                    "kind": .string(r.kind), "apiVersion": .string(r.groupVersion),
                    "metadata": .map([
                        "resourceVersion": .string(String(revision)),
                        "annotations": .map(["k8s.io/initial-events-end": "true"])
                    ])
                ]))
        }
    }

    // MARK: Fault hooks a test calls directly

    /// Closes every open watch stream, as an API server restart or a load balancer would.
    public func dropWatches() {
        let all = withLock { () -> [SimWatcher] in
            let ws = watchers.values.flatMap(\.values)
            watchers = [:]
            return ws
        }
        for w in all { w.sink.finish() }
    }

    /// Forgets watch history (as etcd compaction does): a watch resuming from any version
    /// older than now is answered 410 Gone.
    public func compactWatchHistory() {
        withLock {
            watchLog.removeAll()
            watchLogStart = revision + 1
        }
    }

    /// Adds a fault rule; rules are consulted in order for each request.
    public func inject(_ rule: SimFaultRule) {
        withLock { faults.append(rule) }
    }

    public func clearFaults() { withLock { faults.removeAll() } }

    public func clearRequestLog() {
        withLock {
            requestLog.removeAll(); connectionLog.removeAll(); http2Requests = 0
        }
    }

    func noteConnection(_ proto: String) { withLock { connectionLog.append(proto) } }
}

final class CollectingSink: SimStreamSink, @unchecked Sendable {
    var chunks: [[UInt8]] = []
    func send(_ bytes: [UInt8]) { chunks.append(bytes) }
    func finish() {}
}
