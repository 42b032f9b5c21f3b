import Foundation
import Kube
import Plan
import Strategy
import Tools
import YAML

/// `delete` on Kubernetes, in reverse order of deploy: test apps (each object deleted and waited
/// for), then releases with `helm uninstall`, then — only when asked — the namespaces.
public struct KubeTeardown: Sendable {
    public var rendered: Rendered
    public var config: KubeTargetConfig

    public init(rendered: Rendered, config: KubeTargetConfig) {
        self.rendered = rendered
        self.config = config
    }

    /// What was removed, in order, as human-readable entries.
    public func run(client: KubeClient, deleteNamespaces: Bool, log: String, report: @Sendable (String) -> Void) async throws -> [String] {
        var removed: [String] = []
        for step in rendered.strategy.steps.reversed() {
            guard case .manifests = step.action, let m = rendered.manifests(forStep: step.name) else { continue }
            let objects = try await ManifestApplier.placed(m.objects, defaultNamespace: m.namespace, client: client)
            for o in objects.reversed() {
                guard let apiVersion = o["apiVersion"]?.stringValue, let kind = o["kind"]?.stringValue,
                    let name = o.lookup(["metadata", "name"])?.stringValue
                else { continue }
                if kind == "Namespace" { continue }
                let ns = o.lookup(["metadata", "namespace"])?.stringValue
                if try await client.delete(apiVersion: apiVersion, kind: kind, name: name, namespace: ns, wait: true) {
                    removed.append(ManifestApplier.describe(o))
                    report("deleted \(ManifestApplier.describe(o))")
                }
            }
        }
        let present = Set(try await config.helm.list(log: log).map { "\($0.namespace)/\($0.name)" })
        for (_, rel) in rendered.strategy.helmReleases.reversed() where present.contains("\(rel.namespace)/\(rel.release)") {
            try await config.helm.run(config.helm.uninstallArgv(release: rel.release, namespace: rel.namespace), log: log)
            removed.append("release \(rel.namespace)/\(rel.release)")
            report("uninstalled release \(rel.namespace)/\(rel.release)")
        }
        if deleteNamespaces {
            for ns in namespaces() where try await client.delete(apiVersion: "v1", kind: "Namespace", name: ns, wait: true, timeout: 300) {
                removed.append("namespace \(ns)")
                report("deleted namespace \(ns)")
            }
        }
        return removed
    }

    /// Namespaces the strategy puts things in, except the ones Kubernetes itself owns.
    public func namespaces() -> [String] {
        var out: [String] = []
        for (_, rel) in rendered.strategy.helmReleases where !out.contains(rel.namespace) { out.append(rel.namespace) }
        for m in rendered.manifests where !out.contains(m.namespace) { out.append(m.namespace) }
        return out.filter { !["default", "kube-system", "kube-public", "kube-node-lease"].contains($0) }
    }
}

/// What `status` shows for a Kubernetes target: releases with their charts, and the readiness of
/// every workload the strategy expects.
public struct KubeStatus: Sendable {
    public struct Workload: Sendable {
        public var kind: String, namespace: String, name: String
        public var exists: Bool, ready: Bool, progress: String
    }
    public var releases: [Helm.Release]
    public var workloads: [Workload]

    public static func collect(rendered: Rendered, helm: Helm, client: KubeClient, log: String) async throws -> KubeStatus {
        let all = try await helm.list(log: log)
        let mine = Set(rendered.strategy.helmReleases.map { "\($0.release.namespace)/\($0.release.release)" })
        var workloads: [Workload] = []
        for (_, rel) in rendered.strategy.helmReleases {
            for e in rel.expect where Readiness.workloadKinds.contains(e.kind) {
                workloads.append(try await one(client, apiVersion: e.kind == "Pod" ? "v1" : "apps/v1", kind: e.kind, name: e.name, namespace: rel.namespace))
            }
        }
        for m in rendered.manifests {
            for o in m.objects {
                guard let kind = o["kind"]?.stringValue, Readiness.workloadKinds.contains(kind),
                    let name = o.lookup(["metadata", "name"])?.stringValue
                else { continue }
                workloads.append(
                    try await one(
                        client, apiVersion: o["apiVersion"]?.stringValue ?? "v1", kind: kind, name: name,
                        namespace: o.lookup(["metadata", "namespace"])?.stringValue ?? m.namespace))
            }
        }
        return KubeStatus(releases: all.filter { mine.contains("\($0.namespace)/\($0.name)") }, workloads: workloads)
    }

    static func one(_ c: KubeClient, apiVersion: String, kind: String, name: String, namespace: String) async throws -> Workload {
        guard let v = try await c.get(apiVersion: apiVersion, kind: kind, name: name, namespace: namespace) else {
            return Workload(kind: kind, namespace: namespace, name: name, exists: false, ready: false, progress: "not found")
        }
        let (ready, progress) = Readiness.judge(kind: kind, v)
        return Workload(kind: kind, namespace: namespace, name: name, exists: true, ready: ready, progress: progress)
    }
}
