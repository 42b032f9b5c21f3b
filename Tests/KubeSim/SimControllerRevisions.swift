import OrderedCollections
import YAML

/// DaemonSet history as the controller keeps it: one ControllerRevision per template, named
/// `<ds>-<hash>`, whose `data` is the patch restoring that template
/// (`{"spec":{"template":{…,"$patch":"replace"}}}`) and whose `revision` orders them. The
/// current template's revision is always the highest (a rollback renumbers the old one), which
/// is what `kubectl rollout history daemonset` lists and what slimctl reads to tell current
/// pods from outdated ones.
extension SimCluster {
    /// The current revision's hash, creating or renumbering it as needed, and the old revisions.
    func daemonSetHistory(_ ds: Value) -> (hash: String, old: [Value]) {
        let r = Self.res("controllerrevisions")
        let ns = ds[path: ["metadata", "namespace"]]?.str ?? "default"
        let uid = Self.uid(ds)
        let template = ds[path: ["spec", "template"]] ?? .map([:])
        let owned = allLocked(r, namespace: ns).filter { Self.controllerUID($0) == uid }
        var current: [Value] = []
        var old: [Value] = []
        for rev in owned {
            var t = rev[path: ["data", "spec", "template"]]
            t?[path: ["$patch"]] = nil
            if SimTemplates.equal(t, template) { current.append(rev) } else { old.append(rev) }
        }
        let next = (old.compactMap { $0["revision"]?.intValue }.max() ?? 0) + 1
        guard let keep = current.max(by: { ($0["revision"]?.intValue ?? 0) < ($1["revision"]?.intValue ?? 0) }) else {
            let hash = SimTemplates.hash(template)
            var patchTemplate = template
            patchTemplate[path: ["$patch"]] = "replace"
            var labels = template[path: ["metadata", "labels"]]?.mapValue ?? [:]
            labels[Self.revisionHashLabel] = .string(hash)
            var meta: OrderedDictionary<String, Value> = ["name": .string("\(Self.name(ds))-\(hash)"), "namespace": .string(ns), "labels": .map(labels)]
            if let a = ds[path: ["metadata", "annotations"]], !(a.mapValue ?? [:]).isEmpty { meta["annotations"] = a }
            meta["ownerReferences"] = .list([ownerRef(ds, kind: "DaemonSet")])
            let revision: Value = .map([
                "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": .map(meta),
                "data": .map(["spec": .map(["template": patchTemplate])]), "revision": .int(next)
            ])
            _ = try? createLocked(r, namespace: ns, object: revision, manager: "kube-controller-manager")
            return (hash, old)
        }
        for dup in current where Self.name(dup) != Self.name(keep) {
            _ = try? deleteLocked(r, namespace: ns, name: Self.name(dup), propagation: nil, gracePeriod: nil)
        }
        if (keep["revision"]?.intValue ?? 0) < next {
            var renumbered = keep
            renumbered[path: ["revision"]] = .int(next)
            updateLocked(r, renumbered)
        }
        return (keep[path: ["metadata", "labels", Self.revisionHashLabel]]?.str ?? Self.name(keep), old)
    }

    /// Deletes the oldest old revisions beyond `revisionHistoryLimit` (default 10) that no pod
    /// still runs.
    func cleanupDaemonHistory(_ ds: Value, old: [Value], pods: [Value]) {
        let limit = Int(ds[path: ["spec", "revisionHistoryLimit"]]?.intValue ?? 10)
        var excess = old.count - limit
        guard excess > 0 else { return }
        let live = Set(pods.compactMap { $0[path: ["metadata", "labels", Self.revisionHashLabel]]?.str })
        for rev in old.sorted(by: { ($0["revision"]?.intValue ?? 0) < ($1["revision"]?.intValue ?? 0) }) where excess > 0 {
            if let h = rev[path: ["metadata", "labels", Self.revisionHashLabel]]?.str, live.contains(h) { continue }
            _ = try? deleteLocked(
                Self.res("controllerrevisions"), namespace: rev[path: ["metadata", "namespace"]]?.str, name: Self.name(rev),
                propagation: nil, gracePeriod: nil)
            excess -= 1
        }
    }
}
