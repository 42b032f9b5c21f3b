import Foundation
import YAML

/// Service names as a pod resolves them, written into the pod's hosts file: the cluster DNS
/// names of every Service (`name.ns.svc.cluster.local`, `name.ns.svc`, `name.ns`, and `name`
/// in the pod's own namespace) map to a ready endpoint, as kube-proxy would route the Service's
/// ClusterIP: with `internalTrafficPolicy: Local` only an endpoint on the caller's node (none:
/// the name does not resolve, as traffic would be dropped), otherwise one endpoint per caller
/// chosen by a stable hash of caller and Service (kube-proxy picks per connection; a hosts
/// file can hold one address, so the spread is across callers). Headless Services list every
/// ready endpoint, and pods with `hostname`/`subdomain` get their own names.
extension SimCluster {
    func hostsText(for pod: Value, ip: String) -> String {
        let name = pod[path: ["metadata", "name"]]?.str ?? ""
        let ns = pod[path: ["metadata", "namespace"]]?.str ?? ""
        let node = pod[path: ["spec", "nodeName"]]?.str ?? ""
        let uid = pod[path: ["metadata", "uid"]]?.str ?? ""
        var lines = ["# Kubernetes-managed hosts file (simulated kubelet).", "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        let hostname = pod[path: ["spec", "hostname"]]?.str ?? name
        if let sub = pod[path: ["spec", "subdomain"]]?.str {
            lines.append("\(ip)\t\(hostname).\(sub).\(ns).svc.cluster.local\t\(hostname)")
        } else {
            lines.append("\(ip)\t\(hostname)")
        }
        if let gw = runtime?.network.gateway {
            lines.append("\(gw)\tkubernetes.default.svc.cluster.local kubernetes.default.svc kubernetes.default kubernetes")
        }
        for svc in allLocked(Self.res("services"), namespace: nil) {
            let sns = svc[path: ["metadata", "namespace"]]?.str ?? ""
            let sname = svc[path: ["metadata", "name"]]?.str ?? ""
            guard sname != "kubernetes" || sns != "default" else { continue }
            let selector = svc[path: ["spec", "selector"]]?.stringMap ?? [:]
            guard !selector.isEmpty else { continue }
            var ready: [(name: String, node: String, ip: String, hostname: String?, subdomain: String?)] = []
            for p in allLocked(Self.res("pods"), namespace: sns) where Self.isReady(p) {
                let labels = p[path: ["metadata", "labels"]]?.stringMap ?? [:]
                guard selector.allSatisfy({ labels[$0.key] == $0.value }),
                    let puid = p[path: ["metadata", "uid"]]?.str, let pip = realPods[puid]?.ip
                else { continue }
                ready.append(
                    (
                        p[path: ["metadata", "name"]]?.str ?? "", p[path: ["spec", "nodeName"]]?.str ?? "", pip,
                        p[path: ["spec", "hostname"]]?.str, p[path: ["spec", "subdomain"]]?.str
                    ))
            }
            var names = ["\(sname).\(sns).svc.cluster.local", "\(sname).\(sns).svc", "\(sname).\(sns)"]
            if sns == ns { names.append(sname) }
            let headless = svc[path: ["spec", "clusterIP"]]?.str == "None"
            if headless {
                for e in ready {
                    lines.append("\(e.ip)\t" + names.joined(separator: " "))
                    if let h = e.hostname, e.subdomain == sname { lines.append("\(e.ip)\t\(h).\(sname).\(sns).svc.cluster.local") }
                }
                continue
            }
            if svc[path: ["spec", "internalTrafficPolicy"]]?.str == "Local" { ready = ready.filter { $0.node == node } }
            guard !ready.isEmpty else { continue }
            let pick = ready[Int(Self.fnv(uid + "/" + sns + "/" + sname) % UInt64(ready.count))]
            lines.append("\(pick.ip)\t" + names.joined(separator: " "))
            let route = "\(ns)/\(name): \(sname).\(sns) → \(pick.name) (\(pick.ip), node \(pick.node))"
            if serviceRoutes.last(where: { $0.hasPrefix("\(ns)/\(name): \(sname).\(sns) ") }) != route { serviceRoutes.append(route) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func fnv(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }
}
