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
    /// release → local chart directory, for people working on SLIM's charts.
    public var chartOverrides: [String: String]

    public init(kind: TargetKind, context: String? = nil, kubeconfig: String? = nil, renderDir: String,
                chartOverrides: [String: String] = [:]) {
        self.kind = kind
        self.context = context
        self.kubeconfig = kubeconfig
        self.renderDir = renderDir
        self.chartOverrides = chartOverrides
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
}

public struct Plan: Sendable {
    public var strategy: String
    public var target: TargetKind
    public var steps: [PlannedStep]
}

public enum Planner {
    public static func plan(_ rendered: Rendered, target: TargetOptions) -> Plan {
        let strategy = rendered.strategy
        var steps: [PlannedStep] = []
        for step in StepOrder.ordered(strategy.steps) {
            var actions: [PlannedAction] = []
            var hashInput = "\(target.kind.rawValue)|\(step.name)|\(step.needs)"
            switch step.action {
            case .cluster:
                actions = clusterActions(strategy.cluster, target: target)
                hashInput += rendered.kindConfig
            case .helm(let rel):
                guard let r = rendered.release(forStep: step.name) else { continue }
                actions = helmActions(r, rel: rel, target: target)
                hashInput += r.text + rel.chart.ref + rel.chart.version + (target.chartOverrides[rel.release] ?? "")
            case .manifests(let set):
                guard let m = rendered.manifests(forStep: step.name) else { continue }
                actions = manifestActions(m, set: set, target: target)
                hashInput += YAML.emitAll(m.objects)
            }
            steps.append(PlannedStep(name: step.name, kind: step.kindName, description: step.description, needs: step.needs,
                                     timeoutSeconds: step.timeoutSeconds, actions: actions, inputsHash: Hash.fnv1a(hashInput)))
        }
        return Plan(strategy: strategy.name, target: target.kind, steps: steps)
    }

    static func kubeFlags(_ t: TargetOptions) -> [String] {
        var f: [String] = []
        if let k = t.kubeconfig { f += ["--kubeconfig", k] }
        if let c = t.context { f += ["--kube-context", c] }
        return f
    }

    static func clusterActions(_ c: ClusterLayout, target: TargetOptions) -> [PlannedAction] {
        switch target.kind {
        case .kind:
            let config = "\(target.renderDir)/kind-config.yaml"
            return [.run(["kind", "get", "clusters"]),
                    .notice("reused when a cluster named \(c.name) exists; created otherwise"),
                    .run(["kind", "create", "cluster", "--name", c.name, "--config", config, "--wait", "60s"]),
                    .wait("all \(c.nodes.count) nodes Ready")]
        case .cluster:
            return [.notice("uses the existing cluster of context \(target.context ?? "<current-context>"); never creates or deletes it"),
                    .api(method: "GET", path: "/api/v1/nodes", summary: "check the cluster is reachable and list its nodes")]
        case .local:
            let names = LocalNames.nodes(c)
            return [.local("simulate \(names.count) nodes: " + names.map { $0.tainted ? "\($0.name) (tainted control-plane)" : $0.name }.joined(separator: ", "))]
        }
    }

    static func helmActions(_ r: RenderedRelease, rel: HelmRelease, target: TargetOptions) -> [PlannedAction] {
        let valuesFile = "\(target.renderDir)/\(r.fileName)"
        switch target.kind {
        case .kind, .cluster:
            var actions: [PlannedAction] = []
            var chart = rel.chart.ref
            var argv = ["helm", "upgrade", "--install", rel.release]
            if let local = target.chartOverrides[rel.release] {
                chart = local
                argv.append(chart)
            } else {
                if let repo = rel.chart.repo, let alias = chart.split(separator: "/").first {
                    actions.append(.run(["helm", "repo", "add", "--force-update", String(alias), repo]))
                }
                argv += [chart, "--version", rel.chart.version]
            }
            argv += ["--namespace", rel.namespace]
            if rel.createNamespace { argv.append("--create-namespace") }
            argv += ["--values", valuesFile] + kubeFlags(target)
            actions.append(.run(["helm", "template", rel.release] + Array(argv.dropFirst(4)).filter { $0 != "--create-namespace" }
                .filter { !kubeFlags(target).contains($0) }))
            actions.append(.notice("the rendered chart must contain: " + (rel.expect.isEmpty ? "(no expectations)" : rel.expect.map { "\($0.kind) \($0.name)" }.joined(separator: ", "))))
            actions.append(.run(argv))
            for e in rel.expect where ["DaemonSet", "StatefulSet", "Deployment"].contains(e.kind) {
                actions.append(.wait("\(e.kind) \(rel.namespace)/\(e.name) ready (watch)"))
            }
            return actions
        case .local:
            if r.values.lookup(["slim", "config"]) != nil {
                let mode = r.values.lookup(["slim", "daemonset"])?.boolValue == false ? "StatefulSet" : "DaemonSet"
                return [.local("write node configs from \(valuesFile) (slim.config), listen addresses on loopback ports"),
                        .local("start SLIM node processes as a \(mode) would place them"),
                        .wait("every SLIM node reports ready")]
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
                return .api(method: "PATCH", path: ResourcePaths.path(for: o, namespace: ns) + "?fieldManager=slimctl&force=true",
                            summary: "server-side apply \(kind) \(name)")
            }
            if m.app != nil { out.append(.wait("\(m.app?.rawValue ?? "") pods ready")) }
            return out
        case .local:
            let workloads = m.objects.filter { ["Pod", "DaemonSet", "Deployment", "StatefulSet"].contains($0["kind"]?.stringValue ?? "") }
            return workloads.map { o in
                let kind = o["kind"]?.stringValue ?? "?"
                let name = o["metadata"]?["name"]?.stringValue ?? "?"
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
        "ClusterSPIFFEID": "clusterspiffeids",
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
