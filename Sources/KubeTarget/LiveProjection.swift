import OrderedCollections
import YAML

/// The part of a Node or Pod that verify reads. A cluster of 5,000 nodes and pods held whole
/// (node image lists, managedFields, env, volumes) is hundreds of megabytes; what the checks
/// and the explanations use is a small fraction. Workloads, Services and revisions are few and
/// kept whole.
public enum LiveProjection {
    public static func keep(kind: String, _ v: Value) -> Value {
        switch kind {
        case "Node": return node(v)
        case "Pod": return pod(v)
        default: return v
        }
    }

    static func pick(_ v: Value?, _ keys: [String]) -> Value? {
        guard let m = v?.mapValue else { return v }
        var out: OrderedDictionary<String, Value> = [:]
        for k in keys { if let x = m[k] { out[k] = x } }
        return .map(out)
    }

    static func put(_ out: inout OrderedDictionary<String, Value>, _ key: String, _ v: Value?) {
        if let v { out[key] = v }
    }

    static let metadataKeys = [
        "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "labels", "ownerReferences"
    ]

    static func metadata(_ v: Value) -> Value? {
        guard var m = pick(v["metadata"], metadataKeys)?.mapValue else { return nil }
        // Only the annotation the DaemonSet revision rule reads.
        if let gen = v.lookup(["metadata", "annotations", "deprecated.daemonset.template.generation"]) {
            m["annotations"] = .map(["deprecated.daemonset.template.generation": gen])
        }
        return .map(m)
    }

    static func conditions(_ v: Value?) -> Value? {
        v?.listValue.map { .list($0.map { pick($0, ["type", "status", "reason", "message"]) ?? $0 }) }
    }

    static func node(_ v: Value) -> Value {
        var out: OrderedDictionary<String, Value> = [:]
        put(&out, "apiVersion", v["apiVersion"])
        put(&out, "kind", v["kind"])
        put(&out, "metadata", metadata(v))
        put(&out, "spec", pick(v["spec"], ["unschedulable", "taints"]))
        var status: OrderedDictionary<String, Value> = [:]
        put(&status, "conditions", conditions(v.lookup(["status", "conditions"])))
        put(&status, "allocatable", v.lookup(["status", "allocatable"]))
        out["status"] = .map(status)
        return .map(out)
    }

    static func pod(_ v: Value) -> Value {
        var out: OrderedDictionary<String, Value> = [:]
        put(&out, "apiVersion", v["apiVersion"])
        put(&out, "kind", v["kind"])
        put(&out, "metadata", metadata(v))
        if var spec = pick(v["spec"], ["nodeName", "affinity", "tolerations", "nodeSelector", "hostNetwork", "restartPolicy"])?.mapValue {
            put(&spec, "containers", v.lookup(["spec", "containers"])?.listValue.map { .list($0.map { pick($0, ["name", "image"]) ?? $0 }) })
            out["spec"] = .map(spec)
        }
        if var status = pick(
            v["status"],
            [
                "phase", "reason", "message", "podIP", "hostIP", "startTime", "containerStatuses",
                "initContainerStatuses"
            ])?.mapValue
        {
            put(&status, "conditions", conditions(v.lookup(["status", "conditions"])))
            out["status"] = .map(status)
        }
        return .map(out)
    }
}
