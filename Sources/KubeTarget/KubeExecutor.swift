import Engine
import Foundation
import Kube
import Plan
import Strategy
import Tools
import YAML

/// Everything the kind and cluster targets need besides the rendered strategy.
public struct KubeTargetConfig: Sendable {
    /// Target kind, kubeconfig/context (for kind: the file the cluster step writes and
    /// `kind-<name>`), the folder holding the rendered values and kind config, chart overrides.
    public var target: TargetOptions
    public var helm: Helm
    public var kind: Kind
    /// The test apps' image, built and loaded into kind when missing (kind target only).
    public var testImage: TestImage?
    /// `namespace/name` of the releases helm reported before the run; a finished helm step whose
    /// release is gone is redone. nil: not known, trust the state file.
    public var knownReleases: Set<String>?

    public init(target: TargetOptions, helm: Helm? = nil, kind: Kind = Kind(), testImage: TestImage? = nil, knownReleases: Set<String>? = nil) {
        self.target = target
        self.helm = helm ?? Planner.helm(target)
        self.kind = kind
        self.testImage = testImage
        self.knownReleases = knownReleases
    }
}

/// Carries out a plan's steps on Kubernetes: kind or an existing cluster, helm for releases, the
/// Kubernetes client for manifests and for waiting. Each step is safe to run again.
public final class KubeExecutor: StepExecutor {
    public let rendered: Rendered
    public let config: KubeTargetConfig
    let clients: ClientBox

    public init(rendered: Rendered, config: KubeTargetConfig) {
        self.rendered = rendered
        self.config = config
        self.clients = ClientBox(kubeconfig: config.target.kubeconfig, context: config.target.context)
    }

    /// The client for the target's cluster (for kind, after the cluster step wrote its kubeconfig).
    public func client() async throws -> KubeClient { try await clients.get() }

    public func stillSatisfied(_ step: PlannedStep) -> Bool {
        guard let action = step.action else { return true }
        switch action {
        case .cluster:
            return config.target.kind != .kind || config.target.kubeconfig.map { FileManager.default.fileExists(atPath: $0) } ?? true
        case .helm(let rel):
            guard let known = config.knownReleases else { return true }
            return known.contains("\(rel.namespace)/\(rel.release)")
        case .manifests:
            return true
        }
    }

    /// Runs what the plan carries for the step: its typed action and, for helm, the commands
    /// `plan` showed.
    public func execute(_ step: PlannedStep, context: StepContext) async throws {
        switch step.action {
        case .cluster: try await cluster(context)
        case .helm(let rel):
            guard let commands = step.helm else { throw KubeStepError("the plan carries no helm commands for `\(step.name)`") }
            try await helm(step: step.name, rel, commands: commands, context)
        case .manifests(let set):
            guard let m = step.manifests else { throw KubeStepError("the plan carries no rendered manifests for `\(step.name)`") }
            try await manifests(m, set, context)
        case nil: throw KubeStepError("the plan carries no action for `\(step.name)`")
        }
    }

    // MARK: cluster

    func cluster(_ ctx: StepContext) async throws {
        let layout = rendered.strategy.cluster
        switch config.target.kind {
        case .kind:
            let existing = try await config.kind.clusters(log: ctx.logPath)
            if existing.contains(layout.name) {
                ctx.report("kind cluster \(layout.name) exists: reusing it")
            } else {
                ctx.report("creating kind cluster \(layout.name) (\(layout.nodes.count) nodes)")
                try await config.kind.create(name: layout.name, config: "\(config.target.renderDir)/kind-config.yaml", log: ctx.logPath)
            }
            guard let path = config.target.kubeconfig else { throw KubeStepError("no kubeconfig path for the kind cluster") }
            let text = try await config.kind.kubeconfig(name: layout.name, log: ctx.logPath)
            try AtomicFile.write(text, to: path, mode: 0o600)
            await clients.reset()
            let c = try await client()
            try await Readiness.waitForNodes(c, count: layout.nodes.count, report: ctx.report)
            // kind's own loader, once the nodes are up: it copies the image into every node and
            // skips those already holding the same image ID.
            for image in config.target.loadImages {
                ctx.report("loading \(image) into kind cluster \(layout.name)")
                try await config.kind.loadImage(image, cluster: layout.name, log: ctx.logPath)
            }
        case .cluster:
            let c = try await client()
            ctx.report("context \(c.config.contextName), server \(c.config.cluster.server)")
            let version = try await c.request("GET", "/version", operation: "get the server version")
            let v = (try? Value(jsonBytes: version.body))?["gitVersion"]?.stringValue ?? "?"
            let nodes = try await c.list(apiVersion: "v1", kind: "Node").items.map(Node.init)
            ctx.report("Kubernetes \(v), \(nodes.count) node(s), \(nodes.filter(\.ready).count) Ready; this cluster is never created or deleted by slimctl")
        case .local:
            throw KubeStepError("the local target is run by LocalTarget")
        }
    }

    // MARK: helm

    func helm(step: String, _ rel: HelmRelease, commands: HelmCommands, _ ctx: StepContext) async throws {
        let chart = Planner.chart(for: rel, strategyFile: rendered.strategy.file, target: config.target)
        if let repoAdd = commands.repoAdd { try await config.helm.run(repoAdd, log: ctx.logPath) }
        let text = try await config.helm.render(commands.template, log: ctx.logPath).manifests
        let docs = try YAML.loadAll(text, file: "helm template \(rel.release)")
        let chartName = chart.ref + (chart.version.map { " \($0)" } ?? "")
        try ChartCheck.check(manifests: docs, expect: rel.expect.map(Expected.init), release: rel.release, chart: chartName, generation: rel.chart.generation)
        ctx.report("helm template: \(rel.expect.count) expected object(s) present")
        try await config.helm.run(commands.upgrade, log: ctx.logPath)
        let c = try await client()
        for e in rel.expect where Readiness.workloadKinds.contains(e.kind) {
            let object = docs.first { $0["kind"]?.stringValue == e.kind && $0.lookup(["metadata", "name"])?.stringValue == e.name }
            let apiVersion = object?["apiVersion"]?.stringValue ?? (e.kind == "Pod" ? "v1" : "apps/v1")
            let ns = object?.lookup(["metadata", "namespace"])?.stringValue ?? rel.namespace
            try await Readiness.wait(c, apiVersion: apiVersion, kind: e.kind, name: e.name, namespace: ns, report: ctx.report)
        }
    }

    // MARK: manifests

    func manifests(_ m: RenderedManifests, _ set: ManifestSet, _ ctx: StepContext) async throws {
        let c = try await client()
        if config.target.kind == .kind, let image = config.testImage, m.objects.contains(where: { $0.jsonString().contains(image.reference) }) {
            try await image.ensureLoaded(kind: config.kind, cluster: rendered.strategy.cluster.name, log: ctx.logPath, report: ctx.report)
        }
        let objects = try await ManifestApplier.placed(m.objects, defaultNamespace: m.namespace, client: c)
        try await ManifestApplier.ensureNamespaces(objects, client: c, report: ctx.report)
        for o in objects {
            try await c.apply(o)
            Log.append(ctx.logPath, "applied \(ManifestApplier.describe(o))\n")
        }
        ctx.report("applied \(objects.count) object(s) (server-side apply, field manager slimctl)")
        for o in objects {
            guard let kind = o["kind"]?.stringValue, Readiness.workloadKinds.contains(kind),
                let name = o.lookup(["metadata", "name"])?.stringValue
            else { continue }
            try await Readiness.wait(
                c, apiVersion: o["apiVersion"]?.stringValue ?? "v1", kind: kind, name: name,
                namespace: o.lookup(["metadata", "namespace"])?.stringValue ?? m.namespace, report: ctx.report)
        }
    }
}

/// The client is made on first use: for kind, its kubeconfig exists only after the cluster step.
actor ClientBox {
    let kubeconfig: String?
    let context: String?
    var client: KubeClient?

    init(kubeconfig: String?, context: String?) {
        self.kubeconfig = kubeconfig
        self.context = context
    }

    func get() throws -> KubeClient {
        if let client { return client }
        let c = try KubeClient(kubeconfig: kubeconfig, context: context)
        client = c
        return c
    }

    func reset() { client = nil }
}

public struct KubeStepError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
