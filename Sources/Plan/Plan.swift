import Commands
import Foundation
import Strategy
import YAML

public enum TargetKind: String, Sendable, CaseIterable, Codable {
    case local, kind, cluster
}

/// What the plan needs to know about where it will run. No I/O happens here; the values come from
/// the command line and the environment.
public struct TargetOptions: Sendable {
    public var kind: TargetKind
    public var context: String?
    public var kubeconfig: String?
    /// Folder the rendered values files and kind config are written to before helm runs.
    public var renderDir: String
    /// release → local chart directory or packaged `.tgz`, for people working on SLIM's charts.
    public var chartOverrides: [String: String]
    /// Registry and repository mirrors, tried in order; `plainHTTP`/`caFile` are passed to helm
    /// for every remote chart (a mirror without TLS, or with a private CA).
    public var chartMirrors: [ChartMirror]
    public var plainHTTP: Bool
    public var caFile: String?
    /// kind: images (`--load-image`) the cluster step loads into the nodes once they are Ready,
    /// for images built on this machine that no registry holds.
    public var loadImages: [String]

    public init(
        kind: TargetKind, context: String? = nil, kubeconfig: String? = nil, renderDir: String,
        chartOverrides: [String: String] = [:], chartMirrors: [ChartMirror] = [], plainHTTP: Bool = false, caFile: String? = nil,
        loadImages: [String] = []
    ) {
        self.kind = kind
        self.context = context
        self.kubeconfig = kubeconfig
        self.renderDir = renderDir
        self.chartOverrides = chartOverrides
        self.chartMirrors = chartMirrors
        self.plainHTTP = plainHTTP
        self.caFile = caFile
        self.loadImages = loadImages
    }
}

/// One thing a step will do, precise enough to reproduce by hand.
public enum PlannedAction: Sendable, Hashable {
    /// An external command, as an argv (never a shell string).
    case run([String])
    /// A Kubernetes API call the client makes itself.
    case api(method: String, path: String, summary: String)
    /// Waiting for a condition, with watches.
    case wait(String)
    /// Something the local target does with processes.
    case local(String)
    /// A deliberate difference from the Kubernetes flow, shown so nobody is surprised.
    case notice(String)

    public var text: String {
        switch self {
        case .run(let argv): return "run: " + argv.map(ShellQuote.quote).joined(separator: " ")
        case .api(let m, let p, let s): return "api: \(m) \(p)  (\(s))"
        case .wait(let s): return "wait: \(s)"
        case .local(let s): return "local: \(s)"
        case .notice(let s): return "note: \(s)"
        }
    }
}

public struct PlannedStep: Sendable {
    public var name: String
    public var kind: String
    public var description: String
    public var needs: [String]
    public var timeoutSeconds: Int
    public var actions: [PlannedAction]
    /// Hash of everything that decides what the step does; the engine skips a finished step whose
    /// hash has not changed.
    public var inputsHash: String
    /// The same inputs one by one, so that a re-run names the ones that changed.
    public var inputs: [StepInput] = []
    /// What the step deploys (`DeployedSnapshot`, JSON), kept by the engine once the step has
    /// finished, for `slimctl diff`; nil for steps with nothing to compare (the cluster).
    public var snapshot: String? = nil
    /// The strategy step's typed action, carried here so executors read the plan, never the
    /// strategy by step name: what `plan` shows is what `deploy` runs.
    public var action: Step.Action? = nil
    /// kind/cluster helm steps: the helm commands exactly as the plan shows them.
    public var helm: HelmCommands? = nil
    /// Helm steps: the values the plan rendered for the release (the local target runs them).
    public var release: RenderedRelease? = nil
    /// Manifests steps: the objects the plan rendered, placeholders substituted.
    public var manifests: RenderedManifests? = nil
}

/// A helm step's commands, built once by the planner: shown by `plan`, run by the executor.
public struct HelmCommands: Sendable, Hashable {
    /// `helm repo add` for a `repo/name` chart; nil for OCI and local charts.
    public var repoAdd: [String]?
    /// `helm show chart`: the chart preflight reads its Chart.yaml.
    public var showChart: [String]
    /// `helm template`, run with `--output-dir` added, checked against the step's expectations.
    public var template: [String]
    /// `helm upgrade --install`.
    public var upgrade: [String]
}

public struct Plan: Sendable {
    public var strategy: String
    public var target: TargetKind
    public var steps: [PlannedStep]
    /// kind/cluster: what `deploy` does before the first step (every chart read and rendered
    /// with its values, so a combination that cannot work changes nothing).
    public var preflight: [PlannedAction] = []
}

public enum Planner {
    public static func plan(_ rendered: Rendered, target: TargetOptions) -> Plan {
        let strategy = rendered.strategy
        var steps: [PlannedStep] = []
        for step in StepOrder.ordered(strategy.steps) {
            var actions: [PlannedAction] = []
            var hashInput = "\(target.kind.rawValue)|\(step.name)|\(step.needs)"
            let inputs: [StepInput]
            var snapshot: String?
            var helmCommands: HelmCommands?
            switch step.action {
            case .cluster:
                actions = clusterActions(strategy.cluster, target: target)
                hashInput += rendered.kindConfig
                // Only when given, so a cluster step recorded before `--load-image` existed stays unchanged.
                if !target.loadImages.isEmpty { hashInput += "|load-image " + target.loadImages.joined(separator: " ") }
                inputs = StepInputs.cluster(rendered.kindConfig, needs: step.needs, images: target.loadImages)
            case .helm(let rel):
                guard let r = rendered.release(forStep: step.name) else { continue }
                helmCommands = target.kind == .local ? nil : commands(r, rel: rel, strategyFile: strategy.file, target: target)
                actions = helmActions(r, rel: rel, strategyFile: strategy.file, target: target, commands: helmCommands)
                // The mirror is not part of the hash: the same chart fetched from elsewhere changes nothing.
                let chart = rel.chart.ref + rel.chart.version + (target.chartOverrides[rel.release] ?? "")
                // The namespace too: the same release in another namespace is another release.
                hashInput += r.text + chart + "|namespace " + rel.namespace
                inputs = StepInputs.helm(r, chart: chart, needs: step.needs)
                snapshot = DeployedSnapshot.values(r, secrets: rendered.secrets).encoded
            case .manifests(let set):
                guard let m = rendered.manifests(forStep: step.name) else { continue }
                actions = manifestActions(m, set: set, target: target)
                hashInput += YAML.emitAll(m.objects)
                inputs = StepInputs.manifests(m, needs: step.needs)
                snapshot = DeployedSnapshot.manifests(m, secrets: rendered.secrets).encoded
            }
            steps.append(
                PlannedStep(
                    name: step.name, kind: step.kindName, description: step.description, needs: step.needs,
                    timeoutSeconds: step.timeoutSeconds, actions: actions, inputsHash: Hash.fnv1a(hashInput),
                    inputs: inputs, snapshot: snapshot, action: step.action, helm: helmCommands,
                    release: rendered.release(forStep: step.name), manifests: rendered.manifests(forStep: step.name)))
        }
        return Plan(strategy: strategy.name, target: target.kind, steps: steps, preflight: preflightActions(steps))
    }

    /// The chart preflight, from the helm steps' own commands: the same `helm template` the step
    /// runs later, after `helm show chart`.
    static func preflightActions(_ steps: [PlannedStep]) -> [PlannedAction] {
        steps.compactMap(\.helm).flatMap { c in
            (c.repoAdd.map { [PlannedAction.run($0)] } ?? []) + [.run(c.showChart), .run(c.template)]
        }
    }

    /// The helm wrapper the kind and cluster targets use, with the target's kubeconfig flags.
    public static func helm(_ t: TargetOptions) -> Helm { Helm(kubeconfig: t.kubeconfig, context: t.context) }

    /// Which chart a release installs: a `--chart RELEASE=DIR` override, a local directory named
    /// in the strategy (relative to the strategy file), or the pinned OCI/repository chart.
    public static func chart(for rel: HelmRelease, strategyFile: String, target: TargetOptions) -> Helm.Chart {
        if let local = target.chartOverrides[rel.release] { return .local(local) }
        let ref = rel.chart.ref
        if ref.hasPrefix("oci://") {
            return .remote(
                ChartMirror.apply(target.chartMirrors, to: ref) ?? ref, version: rel.chart.version,
                plainHTTP: target.plainHTTP, caFile: target.caFile)
        }
        if rel.chart.repo != nil { return .remote(ref, version: rel.chart.version, caFile: target.caFile) }
        if ref.hasPrefix("/") { return .local(ref) }
        let dir = (strategyFile as NSString).deletingLastPathComponent
        return .local(((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(ref))
    }

    /// The alias and URL `helm repo add` needs for a `repo/name` chart; nil for OCI and local charts.
    public static func repository(for rel: HelmRelease, target: TargetOptions) -> (name: String, url: String)? {
        guard target.chartOverrides[rel.release] == nil, let url = rel.chart.repo,
            let alias = rel.chart.ref.split(separator: "/").first
        else { return nil }
        return (String(alias), ChartMirror.apply(target.chartMirrors, to: url) ?? url)
    }

    /// Where a mirror sends the release's chart, for the plan; nil when no mirror applies.
    static func mirrored(_ rel: HelmRelease, chart: Helm.Chart, target: TargetOptions) -> String? {
        if let repo = rel.chart.repo, let url = ChartMirror.apply(target.chartMirrors, to: repo) { return url }
        return chart.isLocal || chart.ref == rel.chart.ref ? nil : chart.ref
    }

    static func clusterActions(_ c: ClusterLayout, target: TargetOptions) -> [PlannedAction] {
        switch target.kind {
        case .kind:
            let kind = Kind()
            let config = "\(target.renderDir)/kind-config.yaml"
            return [
                .run(kind.getClustersArgv()),
                .notice("reused when a cluster named \(c.name) exists; created otherwise"),
                .run(kind.createArgv(name: c.name, config: config)),
                .run(kind.kubeconfigArgv(name: c.name)),
                .wait("all \(c.nodes.count) nodes Ready (watch)")
            ]
                + target.loadImages.map { .run(kind.loadImageArgv(image: $0, cluster: c.name)) }
        case .cluster:
            return [
                .notice("uses the existing cluster of context \(target.context ?? "<current-context>"); never creates or deletes it"),
                .api(method: "GET", path: "/version", summary: "check the cluster is reachable; print its context and server"),
                .api(method: "GET", path: "/api/v1/nodes", summary: "list its nodes")
            ]
        case .local:
            let names = LocalNames.nodes(c)
            return [
                .local("simulate \(names.count) nodes: " + names.map { $0.tainted ? "\($0.name) (tainted control-plane)" : $0.name }.joined(separator: ", "))
            ]
        }
    }

    /// The helm commands of a release on kind/cluster, as shown and as run.
    static func commands(_ r: RenderedRelease, rel: HelmRelease, strategyFile: String, target: TargetOptions) -> HelmCommands {
        let valuesFile = "\(target.renderDir)/\(r.fileName)"
        let helm = helm(target)
        let chart = chart(for: rel, strategyFile: strategyFile, target: target)
        return HelmCommands(
            repoAdd: repository(for: rel, target: target).map { helm.repoAddArgv(name: $0.name, url: $0.url, caFile: target.caFile) },
            showChart: helm.showChartArgv(chart),
            template: helm.templateArgv(release: rel.release, chart: chart, namespace: rel.namespace, valuesFile: valuesFile),
            upgrade: helm.upgradeInstallArgv(
                release: rel.release, chart: chart, namespace: rel.namespace,
                createNamespace: rel.createNamespace, valuesFile: valuesFile))
    }

    static func helmActions(_ r: RenderedRelease, rel: HelmRelease, strategyFile: String, target: TargetOptions, commands: HelmCommands?) -> [PlannedAction] {
        let valuesFile = "\(target.renderDir)/\(r.fileName)"
        switch target.kind {
        case .kind, .cluster:
            let commands = commands ?? Self.commands(r, rel: rel, strategyFile: strategyFile, target: target)
            let chart = chart(for: rel, strategyFile: strategyFile, target: target)
            var actions: [PlannedAction] = []
            if let repoAdd = commands.repoAdd { actions.append(.run(repoAdd)) }
            if let to = mirrored(rel, chart: chart, target: target) { actions.append(.notice("chart mirror: \(rel.chart.ref) → \(to)")) }
            actions.append(.run(commands.template))
            actions.append(
                .notice(
                    "the rendered chart must contain: "
                        + (rel.expect.isEmpty ? "(no expectations)" : rel.expect.map { "\($0.kind) \($0.name)" }.joined(separator: ", "))
                        + (rel.chart.generation.map { " (values written for chart generation \($0))" } ?? "")))
            actions.append(.run(commands.upgrade))
            for e in rel.expect where ["DaemonSet", "StatefulSet", "Deployment"].contains(e.kind) {
                actions.append(.wait("\(e.kind) \(rel.namespace)/\(e.name) ready (watch)"))
            }
            return actions
        case .local:
            if r.values.lookup(["slim", "config"]) != nil {
                // 2.x charts: `slim.deploymentMode` (default Deployment); 1.x: `slim.daemonset` (default false).
                let mode: String
                if let m = r.values.lookup(["slim", "deploymentMode"])?.stringValue {
                    mode = m == "DaemonSet" ? "DaemonSet" : "Deployment"
                } else if let ds = r.values.lookup(["slim", "daemonset"])?.boolValue {
                    mode = ds ? "DaemonSet" : "StatefulSet"
                } else {
                    mode = (Int(r.chart.version.split(separator: ".").first ?? "") ?? 0) >= 2 ? "Deployment" : "StatefulSet"
                }
                return [
                    .local("write node configs from \(valuesFile) (slim.config), listen addresses on loopback ports"),
                    .local("start SLIM node processes as a \(mode) would place them"),
                    .wait("every SLIM node reports ready")
                ]
            }
            if rel.chart.ref.hasSuffix("slim-control-plane") {
                return [.notice("the SLIM controller does not run locally; controller clients are dropped from node configs")]
            }
            return [.notice("\(rel.release) (\(rel.chart.ref)) does not run locally; SPIRE TLS becomes insecure transport locally")]
        }
    }

    static func manifestActions(_ m: RenderedManifests, set: ManifestSet, target: TargetOptions) -> [PlannedAction] {
        switch target.kind {
        case .kind, .cluster:
            var out: [PlannedAction] = m.objects.map { o in
                let kind = o["kind"]?.stringValue ?? "?"
                let name = o["metadata"]?["name"]?.stringValue ?? "?"
                let ns = o["metadata"]?["namespace"]?.stringValue ?? m.namespace
                return .api(
                    method: "PATCH", path: ResourcePaths.path(for: o, namespace: ns) + "?fieldManager=slimctl&force=true",
                    summary: "server-side apply \(kind) \(name)")
            }
            if m.app != nil { out.append(.wait("\(m.app?.rawValue ?? "") pods ready")) }
            return out
        case .local:
            let shown = m.objects.filter { ["Pod", "DaemonSet", "Deployment", "StatefulSet", "Service"].contains($0["kind"]?.stringValue ?? "") }
            return shown.map { o in
                let kind = o["kind"]?.stringValue ?? "?"
                let name = o["metadata"]?["name"]?.stringValue ?? "?"
                if kind == "Service" {
                    let local = o["spec"]?["internalTrafficPolicy"]?.stringValue == "Local"
                    return .local(
                        "register Service \(name): apps' addresses naming it resolve to " + (local ? "the SLIM node on their own node" : "any SLIM node")
                            + " (when it selects SLIM pods)")
                }
                return .local(kind == "DaemonSet" ? "start \(name) once per eligible node (as its DaemonSet)" : "start \(name) (\(kind)) as a process")
            }
        }
    }
}

/// Names the local target gives the simulated nodes (kind's naming), shared with Local.
public enum LocalNames {
    public static func nodes(_ c: ClusterLayout) -> [(name: String, tainted: Bool)] {
        var counters: [String: Int] = [:]
        let single = c.nodes.count == 1
        return c.nodes.map { n in
            let count = (counters[n.role.rawValue] ?? 0) + 1
            counters[n.role.rawValue] = count
            let name = "\(c.name)-\(n.role.rawValue)" + (count == 1 ? "" : String(count))
            return (name, (n.role == .controlPlane && !single) || !n.taints.isEmpty)
        }
    }
}

/// The REST path of a manifest object, for the kinds the strategies use. The Kubernetes client
/// maps any kind through discovery; the plan only needs a readable, exact path.
public enum ResourcePaths {
    static let plural: [String: String] = [
        "Pod": "pods", "Service": "services", "ConfigMap": "configmaps", "Secret": "secrets",
        "ServiceAccount": "serviceaccounts", "Namespace": "namespaces", "DaemonSet": "daemonsets",
        "StatefulSet": "statefulsets", "Deployment": "deployments", "Job": "jobs",
        "ClusterSPIFFEID": "clusterspiffeids"
    ]
    static let clusterScoped: Set<String> = ["Namespace", "ClusterSPIFFEID", "Node", "ClusterRole", "ClusterRoleBinding"]

    public static func path(for object: Value, namespace: String) -> String {
        let kind = object["kind"]?.stringValue ?? ""
        let apiVersion = object["apiVersion"]?.stringValue ?? "v1"
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let prefix = apiVersion.contains("/") ? "/apis/\(apiVersion)" : "/api/\(apiVersion)"
        let plural = plural[kind] ?? kind.lowercased() + "s"
        if clusterScoped.contains(kind) { return "\(prefix)/\(plural)/\(name)" }
        return "\(prefix)/namespaces/\(namespace)/\(plural)/\(name)"
    }
}

public enum ShellQuote {
    /// Only for display: slimctl never runs a shell string.
    public static func quote(_ s: String) -> String {
        if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=@,+".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

public enum Hash {
    /// FNV-1a, 64 bit: a change detector for step inputs, not a security hash.
    public static func fnv1a(_ s: String) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100000001b3
        }
        return String(h, radix: 16)
    }
}
