import Kube
import YAML

/// The watch of the pods (stern's "targets"): one per source, from the list's resourceVersion.
/// It is the only place that learns of pods appearing, changing and going away; it tells the
/// hub, and starts a container tail for each container of a pod it has not seen. Kept apart
/// from the tails because it lives as long as the whole `logs -f`, while a tail lives as long
/// as its container.
extension LogTail {
    /// Keeps the hub's picture of one source's pods current and starts followers for new pods.
    func watch(_ hub: LogTailHub, source i: Int, from rv: String) async {
        let s = sources[i]
        await withTaskGroup(of: Void.self) { group in
            do {
                for try await ev in client.watch(
                    apiVersion: "v1", kind: "Pod", namespace: s.namespace, labelSelector: s.labelSelector,
                    fieldSelector: s.fieldSelector, resourceVersion: rv)
                {
                    switch ev {
                    case .added(let v), .modified(let v):
                        if let p = await hub.upsert(Pod(v), raw: v, source: i, announce: true) {
                            for c in p.containers { group.addTask { await follow(hub, pod: p, container: c, tailLines: nil, sinceSeconds: nil) } }
                        }
                    case .deleted(let v):
                        await hub.remove(Pod(v).metadata, source: i)
                    case .relisted(let items):
                        let pods = items.map { (Pod($0), $0) }
                        await hub.keep(Set(pods.map { LogTailHub.key($0.0.metadata) }), source: i)
                        for (p, raw) in pods {
                            if let fresh = await hub.upsert(p, raw: raw, source: i, announce: true) {
                                for c in fresh.containers { group.addTask { await follow(hub, pod: fresh, container: c, tailLines: nil, sinceSeconds: nil) } }
                            }
                        }
                    case .bookmark:
                        continue
                    }
                }
            } catch {
                hub.out.yield(.failed("\(error)"))
                group.cancelAll()
            }
        }
    }
}
