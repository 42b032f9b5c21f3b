import Foundation
import OrderedCollections
import YAML

/// Pod templates compared and hashed the way the controllers see them: as typed Go structs, in
/// which a null, an empty list or an empty map is the same as an absent field and `1.0` is `1`.
/// That matters when a client sends a template back re-encoded (`kubectl rollout undo` adds
/// `creationTimestamp: null` and `resources: {}`): it must still be recognised as the same
/// template, or a rollback would start a new revision instead of reviving the old one. (A Go
/// pointer to an empty struct, like `emptyDir: {}`, is not absent there; that distinction is
/// lost here, and nothing slimctl deploys depends on it.)
enum SimTemplates {
    static func canonical(_ v: Value) -> Value? {
        switch v {
        case .null: return nil
        case .float(let d) where d == d.rounded() && abs(d) < 9.2e18: return .int(Int64(d))
        case .list(let items):
            let out = items.map { canonical($0) ?? .null }
            return out.isEmpty ? nil : .list(out)
        case .map(let m):
            var out = OrderedDictionary<String, Value>()
            for k in m.keys.sorted() {
                if let c = m[k].flatMap(canonical) { out[k] = c }
            }
            return out.isEmpty ? nil : .map(out)
        default: return v
        }
    }

    static func equal(_ a: Value?, _ b: Value?) -> Bool {
        a.flatMap(canonical) == b.flatMap(canonical)
    }

    /// A short stable hash of a template (label-safe alphabet), for revision and RS names.
    static func hash(_ template: Value?) -> String {
        SimID.hash(template.flatMap(canonical) ?? .null)
    }

    /// `template` with `label=value` added to its labels.
    static func labelled(_ template: Value, _ label: String, _ value: String) -> Value {
        var t = template
        t[path: ["metadata", "labels", label]] = .string(value)
        return t
    }
}

extension SimCluster {
    /// `intstr.GetScaledValueFromIntOrPercent`: an integer as is, `"25%"` of `total` rounded up
    /// or down; nil for a malformed value.
    static func scaled(_ v: Value?, total: Int, roundUp: Bool, default fallback: Int) -> Int? {
        guard let v else { return fallback }
        if let i = v.intValue { return Int(i) }
        guard let s = v.str else { return fallback }
        if s.hasSuffix("%"), let p = Int(s.dropLast()) {
            let x = Double(p) * Double(total) / 100
            return Int(roundUp ? x.rounded(.up) : x.rounded(.down))
        }
        return Int(s)
    }

    /// `podutil.IsPodReady`: the Ready condition is True (deletion is not looked at).
    static func podReady(_ pod: Value) -> Bool {
        (pod[path: ["status", "conditions"]]?.list ?? []).contains { $0["type"]?.str == "Ready" && $0["status"]?.str == "True" }
    }

    /// `podutil.IsPodAvailable`: Ready for at least `minReadySeconds`. `recheck` gets the
    /// seconds until a ready-but-not-yet-available pod becomes available.
    static func podAvailable(_ pod: Value, minReadySeconds: Int, recheck: ((Double) -> Void)? = nil) -> Bool {
        guard podReady(pod) else { return false }
        guard minReadySeconds > 0 else { return true }
        let ready = (pod[path: ["status", "conditions"]]?.list ?? []).first { $0["type"]?.str == "Ready" }
        guard let since = ready?["lastTransitionTime"]?.str.flatMap(SimTime.parse) else { return false }
        let left = since.timeIntervalSinceNow + Double(minReadySeconds)
        if left > 0 { recheck?(left); return false }
        return true
    }

    /// Runs the controllers again after `seconds`, for a change the passage of time makes
    /// (minReadySeconds elapsing, a progress deadline passing) that no write would announce.
    /// One timer per key: a pass asking again for the same or a later time adds none.
    func requeue(key: String, after seconds: Double) {
        let at = Date().addingTimeInterval(seconds + 0.01)
        if let pending = requeueAt[key], pending > Date(), pending <= at { return }
        requeueAt[key] = at
        loop.scheduleTask(in: .nanoseconds(Int64((seconds + 0.01) * 1e9))) { [self] in
            withLock {
                if requeueAt[key] == at { requeueAt.removeValue(forKey: key) }
                scheduleReconcile()
            }
        }
    }

    static func creationOrder(_ a: Value, _ b: Value) -> Bool {
        let ta = a[path: ["metadata", "creationTimestamp"]]?.str ?? "", tb = b[path: ["metadata", "creationTimestamp"]]?.str ?? ""
        if ta != tb { return ta < tb }
        return (a[path: ["metadata", "name"]]?.str ?? "") < (b[path: ["metadata", "name"]]?.str ?? "")
    }

    static func name(_ v: Value) -> String { v[path: ["metadata", "name"]]?.str ?? "" }
    static func uid(_ v: Value) -> String { v[path: ["metadata", "uid"]]?.str ?? "" }
}
