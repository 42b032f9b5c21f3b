import YAML

/// Typed read-only views of what slimctl inspects. Built from the API's JSON as a `Value` so a
/// field the view does not model is never lost from the object itself.
public struct Condition: Sendable, Equatable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    init(_ v: Value) {
        type = v["type"]?.stringValue ?? ""; status = v["status"]?.stringValue ?? ""
        reason = v["reason"]?.stringValue; message = v["message"]?.stringValue
    }
    static func list(_ v: Value?) -> [Condition] { (v?.listValue ?? []).map(Condition.init) }
}

func strings(_ v: Value?) -> [String: String] {
    var out: [String: String] = [:]
    for (k, x) in v?.mapValue ?? [:] { if let s = x.stringValue { out[k] = s } }
    return out
}

func int(_ v: Value?) -> Int { Int(v?.intValue ?? 0) }

public struct ObjectMeta: Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var uid: String
    public var resourceVersion: String
    public var generation: Int
    public var labels: [String: String]
    public var annotations: [String: String]
    public var deleting: Bool
    init(_ v: Value?) {
        name = v?["name"]?.stringValue ?? ""; namespace = v?["namespace"]?.stringValue
        uid = v?["uid"]?.stringValue ?? ""; resourceVersion = v?["resourceVersion"]?.stringValue ?? ""
        generation = int(v?["generation"]); labels = strings(v?["labels"]); annotations = strings(v?["annotations"])
        deleting = v?["deletionTimestamp"] != nil
    }
}

public struct NodeTaint: Sendable, Equatable {
    public var key: String, value: String?, effect: String
}

public struct Node: Sendable {
    public var metadata: ObjectMeta
    public var unschedulable: Bool
    public var taints: [NodeTaint]
    public var conditions: [Condition]
    public var allocatable: [String: String]
    public var ready: Bool { conditions.first { $0.type == "Ready" }?.status == "True" }
    public init(_ v: Value) {
        metadata = ObjectMeta(v["metadata"])
        unschedulable = v.lookup(["spec", "unschedulable"])?.boolValue ?? false
        taints = (v.lookup(["spec", "taints"])?.listValue ?? []).map {
            NodeTaint(key: $0["key"]?.stringValue ?? "", value: $0["value"]?.stringValue, effect: $0["effect"]?.stringValue ?? "")
        }
        conditions = Condition.list(v.lookup(["status", "conditions"]))
        allocatable = strings(v.lookup(["status", "allocatable"]))
    }
}

public struct ContainerStatus: Sendable, Equatable {
    public var name: String
    public var ready: Bool
    public var restartCount: Int
    /// `waiting.reason` (ContainerCreating, CrashLoopBackOff, ImagePullBackOff, ...).
    public var waitingReason: String?
    public var waitingMessage: String?
    public var running: Bool
    public var terminatedReason: String?
    public var exitCode: Int?
    public var lastTerminatedReason: String?
    init(_ v: Value) {
        name = v["name"]?.stringValue ?? ""; ready = v["ready"]?.boolValue ?? false; restartCount = int(v["restartCount"])
        waitingReason = v.lookup(["state", "waiting", "reason"])?.stringValue
        waitingMessage = v.lookup(["state", "waiting", "message"])?.stringValue
        running = v.lookup(["state", "running"]) != nil
        terminatedReason = v.lookup(["state", "terminated", "reason"])?.stringValue
        exitCode = v.lookup(["state", "terminated", "exitCode"])?.intValue.map { Int($0) }
        lastTerminatedReason = v.lookup(["lastState", "terminated", "reason"])?.stringValue
    }
}

public struct Pod: Sendable {
    public var metadata: ObjectMeta
    public var phase: String
    public var nodeName: String?
    public var podIP: String?
    public var conditions: [Condition]
    public var containerStatuses: [ContainerStatus]
    public var containers: [String]
    public var ownerKind: String?
    public var ready: Bool { !metadata.deleting && conditions.first { $0.type == "Ready" }?.status == "True" }
    public var restarts: Int { containerStatuses.reduce(0) { $0 + $1.restartCount } }
    public init(_ v: Value) {
        metadata = ObjectMeta(v["metadata"])
        phase = v.lookup(["status", "phase"])?.stringValue ?? "Pending"
        nodeName = v.lookup(["spec", "nodeName"])?.stringValue
        podIP = v.lookup(["status", "podIP"])?.stringValue
        conditions = Condition.list(v.lookup(["status", "conditions"]))
        containerStatuses = (v.lookup(["status", "containerStatuses"])?.listValue ?? []).map(ContainerStatus.init)
        containers = (v.lookup(["spec", "containers"])?.listValue ?? []).compactMap { $0["name"]?.stringValue }
        ownerKind = v.lookup(["metadata", "ownerReferences"])?.listValue?.first?["kind"]?.stringValue
    }
}

public struct DaemonSet: Sendable {
    public var metadata: ObjectMeta
    public var observedGeneration: Int
    public var desiredNumberScheduled: Int, currentNumberScheduled: Int, numberReady: Int
    public var updatedNumberScheduled: Int, numberAvailable: Int, numberMisscheduled: Int
    /// The rollout is complete as `kubectl rollout status` judges it.
    public var rolledOut: Bool {
        observedGeneration >= metadata.generation && updatedNumberScheduled == desiredNumberScheduled && numberAvailable == desiredNumberScheduled
    }
    public init(_ v: Value) {
        metadata = ObjectMeta(v["metadata"])
        let s = v["status"]
        observedGeneration = int(s?["observedGeneration"]); desiredNumberScheduled = int(s?["desiredNumberScheduled"])
        currentNumberScheduled = int(s?["currentNumberScheduled"]); numberReady = int(s?["numberReady"])
        updatedNumberScheduled = int(s?["updatedNumberScheduled"]); numberAvailable = int(s?["numberAvailable"])
        numberMisscheduled = int(s?["numberMisscheduled"])
    }
}

public struct StatefulSet: Sendable {
    public var metadata: ObjectMeta
    public var replicas: Int
    public var observedGeneration: Int, readyReplicas: Int, currentReplicas: Int, updatedReplicas: Int
    public var currentRevision: String?, updateRevision: String?
    public var rolledOut: Bool {
        observedGeneration >= metadata.generation && readyReplicas == replicas && updatedReplicas == replicas
            && currentRevision == updateRevision
    }
    public init(_ v: Value) {
        metadata = ObjectMeta(v["metadata"])
        replicas = Int(v.lookup(["spec", "replicas"])?.intValue ?? 1)
        let s = v["status"]
        observedGeneration = int(s?["observedGeneration"]); readyReplicas = int(s?["readyReplicas"])
        currentReplicas = int(s?["currentReplicas"]); updatedReplicas = int(s?["updatedReplicas"])
        currentRevision = s?["currentRevision"]?.stringValue; updateRevision = s?["updateRevision"]?.stringValue
    }
}

public struct Deployment: Sendable {
    public var metadata: ObjectMeta
    public var replicas: Int
    public var observedGeneration: Int, readyReplicas: Int, updatedReplicas: Int, availableReplicas: Int
    /// `status.replicas`: pods of every ReplicaSet, old ones still terminating included.
    public var statusReplicas: Int
    public var conditions: [Condition]
    /// Pods of old ReplicaSets still there: a rollout is not over until they are gone.
    public var oldReplicas: Int { max(0, statusReplicas - updatedReplicas) }
    /// The rollout is complete as `kubectl rollout status` judges it: this generation observed,
    /// every replica updated, no old pod left, every updated pod available. (Counting available
    /// pods alone is not enough: mid-rollout, old pods still available make up for new ones that
    /// are not yet.)
    public var rolledOut: Bool {
        observedGeneration >= metadata.generation && updatedReplicas >= replicas && oldReplicas == 0 && availableReplicas >= updatedReplicas
    }
    public init(_ v: Value) {
        metadata = ObjectMeta(v["metadata"])
        replicas = Int(v.lookup(["spec", "replicas"])?.intValue ?? 1)
        let s = v["status"]
        observedGeneration = int(s?["observedGeneration"]); readyReplicas = int(s?["readyReplicas"])
        updatedReplicas = int(s?["updatedReplicas"]); availableReplicas = int(s?["availableReplicas"])
        statusReplicas = int(s?["replicas"])
        conditions = Condition.list(s?["conditions"])
    }
}

public struct Service: Sendable {
    public var metadata: ObjectMeta
    public var type: String
    public var clusterIP: String?
    public var ports: [(name: String?, port: Int, protocolName: String)]
    public init(_ v: Value) {
        metadata = ObjectMeta(v["metadata"])
        type = v.lookup(["spec", "type"])?.stringValue ?? "ClusterIP"
        clusterIP = v.lookup(["spec", "clusterIP"])?.stringValue
        ports = (v.lookup(["spec", "ports"])?.listValue ?? []).map {
            ($0["name"]?.stringValue, int($0["port"]), $0["protocol"]?.stringValue ?? "TCP")
        }
    }
}

public struct Event: Sendable {
    public var metadata: ObjectMeta
    public var type: String, reason: String, message: String
    public var involvedKind: String, involvedName: String
    public var count: Int
    public var lastTimestamp: String?
    public init(_ v: Value) {
        metadata = ObjectMeta(v["metadata"])
        type = v["type"]?.stringValue ?? ""; reason = v["reason"]?.stringValue ?? ""; message = v["message"]?.stringValue ?? ""
        involvedKind = v.lookup(["involvedObject", "kind"])?.stringValue ?? ""
        involvedName = v.lookup(["involvedObject", "name"])?.stringValue ?? ""
        count = int(v["count"]); lastTimestamp = v["lastTimestamp"]?.stringValue
    }
}
