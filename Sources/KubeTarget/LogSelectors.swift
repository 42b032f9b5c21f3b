import Plan
import Strategy
import YAML

/// Which pods one component of a strategy runs, in terms the API server can answer: a namespace
/// and a label selector. When the strategy names the workload (a release's `expect`, a test
/// app's manifest), the live workload's own `spec.selector` is the authority, because charts
/// differ in the labels they put on pods; the label selector is the fallback for when that
/// workload cannot be read (not deployed yet, or a chart whose workload names the strategy
/// does not list).
public struct PodQuery: Sendable, Hashable, CustomStringConvertible {
    public var component: String
    public var namespace: String
    /// nil: every pod of the namespace (SPIRE's releases share theirs with nothing else).
    public var labelSelector: String?
    /// `metadata.name=…` when a single pod was asked for by name.
    public var fieldSelector: String?
    public var workload: WorkloadRef?

    public init(component: String, namespace: String, labelSelector: String? = nil, fieldSelector: String? = nil, workload: WorkloadRef? = nil) {
        self.component = component; self.namespace = namespace; self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector; self.workload = workload
    }

    public var description: String {
        var s = "pods in namespace \(namespace)"
        if let w = workload { s += " of \(w.kind) \(w.name)" } else if let l = labelSelector { s += " with labels \(l)" }
        if let f = fieldSelector { s += " (\(f))" }
        return s
    }
}

public struct WorkloadRef: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public init(apiVersion: String, kind: String, name: String) { self.apiVersion = apiVersion; self.kind = kind; self.name = name }
}

/// What the user's selector word means.
public enum LogSelection: Sendable, Equatable {
    /// A component word (or none: every component): the queries to run.
    case components([PodQuery])
    /// Anything else is a pod name, looked up in every namespace the strategy uses.
    case pod(name: String, namespaces: [String])
}

/// The pure mapping from `slimctl logs [component|pod]` to pod queries, derived from the strategy.
public enum LogSelectors {
    public static let components = ["slim", "controller", "spire", "receiver", "sender"]

    public static func select(_ word: String?, rendered: Rendered) -> LogSelection {
        guard let word else { return .components(components.flatMap { queries(for: $0, rendered: rendered) }) }
        if components.contains(word) { return .components(queries(for: word, rendered: rendered)) }
        return .pod(name: word, namespaces: namespaces(rendered))
    }

    /// Every namespace a strategy deploys into, in step order (where a pod name is looked for).
    public static func namespaces(_ rendered: Rendered) -> [String] { namespaces(rendered.strategy) }

    /// The same from the strategy alone, for callers that do not render values (completion).
    public static func namespaces(_ strategy: Strategy) -> [String] {
        var out: [String] = []
        for s in strategy.steps {
            let ns: String?
            switch s.action {
            case .helm(let h): ns = h.namespace
            case .manifests(let m): ns = m.namespace
            case .cluster: ns = nil
            }
            if let ns, !out.contains(ns) { out.append(ns) }
        }
        return out
    }

    public static func queries(for component: String, rendered: Rendered) -> [PodQuery] {
        let strategy = rendered.strategy
        switch component {
        case "slim":
            return strategy.primaryRelease.map { releaseQueries($0, component: component) } ?? []
        case "controller":
            return strategy.helmReleases.filter { isControlPlane($0.release) }.flatMap { releaseQueries($0.release, component: component) }
        case "spire":
            var seen = Set<String>()
            return strategy.helmReleases.filter { isSpire($0.release) }.compactMap { h in
                seen.insert(h.release.namespace).inserted ? PodQuery(component: component, namespace: h.release.namespace) : nil
            }
        case "receiver", "sender":
            return rendered.manifests.filter { $0.app?.rawValue == component }.flatMap { appQueries($0, component: component) }
        default:
            return []
        }
    }

    static func isControlPlane(_ h: HelmRelease) -> Bool { h.chart.ref.hasSuffix("slim-control-plane") }

    static func isSpire(_ h: HelmRelease) -> Bool {
        let chartName = h.chart.ref.split(separator: "/").last.map(String.init) ?? h.chart.ref
        return chartName.hasPrefix("spire") || (h.chart.repo ?? "").contains("spiffe")
    }

    static let workloadAPIs = ["DaemonSet": "apps/v1", "StatefulSet": "apps/v1", "Deployment": "apps/v1", "ReplicaSet": "apps/v1", "Job": "batch/v1"]

    /// A release's pods: one query per workload the strategy expects it to render; without any,
    /// the standard Helm selector label for the release.
    static func releaseQueries(_ h: HelmRelease, component: String) -> [PodQuery] {
        let fallback = "app.kubernetes.io/instance=\(h.release)"
        let workloads = h.expect.compactMap { e in workloadAPIs[e.kind].map { WorkloadRef(apiVersion: $0, kind: e.kind, name: e.name) } }
        if workloads.isEmpty { return [PodQuery(component: component, namespace: h.namespace, labelSelector: fallback)] }
        return workloads.map { PodQuery(component: component, namespace: h.namespace, labelSelector: fallback, workload: $0) }
    }

    /// A test app's pods, from its rendered manifests: a workload's `spec.selector`, a bare pod's
    /// `app.kubernetes.io/name` label (or its name when it has none).
    static func appQueries(_ m: RenderedManifests, component: String) -> [PodQuery] {
        m.objects.compactMap { o in
            guard let kind = o["kind"]?.stringValue else { return nil }
            let ns = o.lookup(["metadata", "namespace"])?.stringValue ?? m.namespace
            if kind == "Pod" {
                let labels = o.lookup(["metadata", "labels"])
                if let n = labels?["app.kubernetes.io/name"]?.stringValue {
                    return PodQuery(component: component, namespace: ns, labelSelector: "app.kubernetes.io/name=\(n)")
                }
                return o.lookup(["metadata", "name"])?.stringValue.map { PodQuery(component: component, namespace: ns, fieldSelector: "metadata.name=\($0)") }
            }
            guard workloadAPIs[kind] != nil, let selector = selector(from: o) else { return nil }
            return PodQuery(component: component, namespace: ns, labelSelector: selector)
        }
    }

    /// A workload's `spec.selector` (matchLabels and matchExpressions) as a label selector
    /// string; nil when it has none (which the API server would not accept for these kinds).
    public static func selector(from workload: Value) -> String? {
        guard let sel = workload.lookup(["spec", "selector"]) else { return nil }
        var parts: [String] = []
        for (k, v) in (sel["matchLabels"]?.mapValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let s = v.stringValue { parts.append("\(k)=\(s)") }
        }
        for e in sel["matchExpressions"]?.listValue ?? [] {
            guard let key = e["key"]?.stringValue, let op = e["operator"]?.stringValue else { continue }
            let values = (e["values"]?.listValue ?? []).compactMap(\.stringValue)
            switch op {
            case "In": parts.append("\(key) in (\(values.joined(separator: ",")))")
            case "NotIn": parts.append("\(key) notin (\(values.joined(separator: ",")))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: continue
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: ",")
    }
}
