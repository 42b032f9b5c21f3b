import Engine
import Foundation
import Kube
import Plan
import Strategy
import Tools
import YAML

/// What `slimctl diff` compares on kind and cluster: each object a step would apply (the chart
/// rendered by `helm template` with the rendered values, as deploy's chart check renders it; or
/// a manifests step's objects) against the live object, through `ManifestProjection`.
public struct LiveDiff: Sendable {
    /// One object that differs; `live` nil when it does not exist yet.
    public struct Object: Sendable {
        /// `DaemonSet slim/slim`.
        public var name: String
        public var diff: String
        public var missing: Bool
    }

    public let rendered: Rendered
    public let target: TargetOptions
    public let helm: Helm
    public let client: KubeClient

    public init(rendered: Rendered, target: TargetOptions, helm: Helm, client: KubeClient) {
        self.rendered = rendered
        self.target = target
        self.helm = helm
        self.client = client
    }

    /// The objects of one step that differ from the live ones, secrets masked; `log` takes helm's output.
    public func objects(step: String, deployedSecrets: [String: String], log: String) async throws -> [Object] {
        guard let s = rendered.strategy.step(named: step) else { return [] }
        let docs: [Value], namespace: String
        switch s.action {
        case .cluster: return []
        case .helm(let rel):
            guard let r = rendered.release(forStep: step) else { return [] }
            docs = try await template(rel, r, log: log)
            namespace = rel.namespace
        case .manifests:
            guard let m = rendered.manifests(forStep: step) else { return [] }
            docs = m.objects
            namespace = m.namespace
        }
        var out: [Object] = []
        for doc in docs {
            guard let apiVersion = doc["apiVersion"]?.stringValue, let kind = doc["kind"]?.stringValue,
                let name = doc.lookup(["metadata", "name"])?.stringValue
            else { continue }
            let ns = doc.lookup(["metadata", "namespace"])?.stringValue ?? namespace
            let (live, namespaced) = try await get(apiVersion: apiVersion, kind: kind, name: name, namespace: ns)
            let (want, have) = ManifestProjection.compared(rendered: doc, live: live)
            guard
                let d = SecretDiff.diff(
                    deployed: have.map { [$0] } ?? [], wouldDeploy: [want],
                    deployedSecrets: deployedSecrets, secrets: rendered.secrets)
            else { continue }
            out.append(Object(name: namespaced ? "\(kind) \(ns)/\(name)" : "\(kind) \(name)", diff: d, missing: live == nil))
        }
        return out
    }

    /// The live object (nil when it, or its kind, a CRD not installed yet, does not exist) and
    /// whether its kind is namespaced.
    func get(apiVersion: String, kind: String, name: String, namespace: String) async throws -> (Value?, Bool) {
        let resource: APIResource
        do {
            resource = try await client.resource(apiVersion: apiVersion, kind: kind)
        } catch let e as KubeError where e.kind == .notFound {
            return (nil, true)
        }
        return (try await client.get(apiVersion: apiVersion, kind: kind, name: name, namespace: namespace), resource.namespaced)
    }

    /// `helm template` with the rendered values, written to a private folder removed afterwards.
    func template(_ rel: HelmRelease, _ r: RenderedRelease, log: String) async throws -> [Value] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-diff-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let values = "\(dir)/\(r.fileName)"
        try AtomicFile.write(r.text, to: values, mode: 0o600)
        if let repo = Planner.repository(for: rel, target: target) {
            try await helm.run(helm.repoAddArgv(name: repo.name, url: repo.url, caFile: target.caFile), log: log)
        }
        let chart = Planner.chart(for: rel, strategyFile: rendered.strategy.file, target: target)
        let text = try await helm.template(release: rel.release, chart: chart, namespace: rel.namespace, valuesFile: values, log: log)
        return try YAML.loadAll(text, file: "helm template \(rel.release)").filter { !$0.isNull }
    }
}
