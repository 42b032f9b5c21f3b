import YAML

/// A deployment strategy: the whole flow (cluster, releases, test apps, checks) as data, so a new
/// topology is a new file rather than a new Taskfile.
public struct Strategy: Sendable {
    public var name: String
    public var description: String
    /// The file the strategy was read from; relative paths inside it resolve against its folder.
    public var file: String
    public var variables: [Variable]
    public var cluster: ClusterLayout
    public var steps: [Step]
    public var verify: [VerifyRule]
    public var test: TestSpec?
    /// The chart generations the strategy is written for (empty: one, unnamed), and the one in use.
    public var generations: [ChartGeneration] = []
    public var generation: String? = nil

    public func step(named name: String) -> Step? { steps.first { $0.name == name } }
    public func variable(named name: String) -> Variable? { variables.first { $0.name == name } }

    /// The helm step whose release is the SLIM data plane; `-f`/`--set` without a release prefix go here.
    public var primaryRelease: HelmRelease? {
        let helm = steps.compactMap { s -> HelmRelease? in if case .helm(let h) = s.action { return h } else { return nil } }
        return helm.first { $0.primary } ?? helm.last
    }

    public var helmReleases: [(step: Step, release: HelmRelease)] {
        steps.compactMap { s in if case .helm(let h) = s.action { return (s, h) } else { return nil } }
    }
}

public struct Variable: Sendable {
    public var name: String
    public var defaultValue: String?
    public var description: String
    /// Secret values are never printed (plans show `<secret:name>`) and rendered files holding them are 0600.
    public var secret: Bool
    /// When set and no value is given, a random value of this many characters is generated once and
    /// kept in the state directory, so re-runs reuse it.
    public var generateLength: Int?
    public var mark: Mark
}

/// A family of SLIM charts whose values share one shape (1.4: `slim.daemonset` and a `-local`
/// Service; 2: `slim.deploymentMode` and a node-local main Service). A strategy names the ones it
/// has values for; choosing one sets a bundle of variables (chart versions, image tags, Service
/// names), so one strategy file serves both without copies.
public struct ChartGeneration: Sendable {
    public var name: String
    public var description: String
    public var isDefault: Bool
    /// Variable values this generation sets (a `--var` still wins).
    public var variables: [String: String]
    /// Why the strategy cannot be deployed with this generation's charts, and what to do instead.
    public var unsupported: String?
    public var mark: Mark

    public init(name: String, description: String, isDefault: Bool, variables: [String: String], unsupported: String?, mark: Mark) {
        self.name = name
        self.description = description
        self.isDefault = isDefault
        self.variables = variables
        self.unsupported = unsupported
        self.mark = mark
    }
}

public struct ClusterLayout: Sendable {
    public var name: String
    public var nodes: [ClusterNode]
    public var mark: Mark
}

public struct ClusterNode: Sendable {
    public enum Role: String, Sendable, CaseIterable { case controlPlane = "control-plane", worker }
    public var role: Role
    public var labels: [String: String]
    /// Extra taints beyond what kind puts on the node itself (control-plane taint is implied).
    public var taints: [TaintSpec]
    public var mark: Mark
}

public struct TaintSpec: Sendable, Hashable {
    public var key: String
    public var value: String
    public var effect: String

    public init(key: String, value: String, effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }
}

public struct Step: Sendable {
    public enum Action: Sendable {
        case cluster
        case helm(HelmRelease)
        case manifests(ManifestSet)
    }

    public var name: String
    public var description: String
    public var needs: [String]
    public var action: Action
    /// Seconds the engine gives this step before calling it failed.
    public var timeoutSeconds: Int
    /// The chart generations this step belongs to; nil: all.
    public var generations: [String]? = nil
    public var mark: Mark

    public var kindName: String {
        switch action {
        case .cluster: return "cluster"
        case .helm: return "helm"
        case .manifests: return "manifests"
        }
    }
}

public struct HelmRelease: Sendable {
    public var release: String
    public var namespace: String
    public var createNamespace: Bool
    public var chart: ChartRef
    /// Values files, relative to the strategy file, layered in order (Helm `-f` semantics).
    public var valuesFiles: [PathRef]
    /// `--set`-like overrides as typed values keyed by Helm path (`image.tag`).
    public var set: [(path: String, value: Value)]
    public var primary: Bool
    /// Workloads and services the chart must render and that must become ready.
    public var expect: [Expectation]
    public var mark: Mark

    public init(
        release: String, namespace: String, createNamespace: Bool, chart: ChartRef, valuesFiles: [PathRef],
        set: [(path: String, value: Value)], primary: Bool, expect: [Expectation], mark: Mark
    ) {
        self.release = release
        self.namespace = namespace
        self.createNamespace = createNamespace
        self.chart = chart
        self.valuesFiles = valuesFiles
        self.set = set
        self.primary = primary
        self.expect = expect
        self.mark = mark
    }
}

public struct ChartRef: Sendable {
    /// `oci://…`, `repo/name` with `repo` set, or a local directory.
    public var ref: String
    public var version: String
    /// Chart repository URL for `repo/name` refs (SPIRE's charts).
    public var repo: String?
    /// The chart generation the values are written for ("1.4"): a mismatch is caught before deploying.
    public var generation: String?
    public var mark: Mark

    public init(ref: String, version: String, repo: String?, generation: String?, mark: Mark) {
        self.ref = ref
        self.version = version
        self.repo = repo
        self.generation = generation
        self.mark = mark
    }
}

public struct PathRef: Sendable, Hashable {
    /// As written in the strategy.
    public var path: String
    /// Resolved against the strategy file's folder.
    public var resolved: String
    public var mark: Mark
}

public struct Expectation: Sendable {
    public var kind: String
    public var name: String
    /// Extra required fields, e.g. `internalTrafficPolicy: Local` for a Service, `replicas: 3`.
    public var fields: [(key: String, value: Value)]
    public var mark: Mark

    public init(kind: String, name: String, fields: [(key: String, value: Value)], mark: Mark) {
        self.kind = kind
        self.name = name
        self.fields = fields
        self.mark = mark
    }
}

public struct ManifestSet: Sendable {
    public var files: [PathRef]
    public var namespace: String
    /// `receiver` or `sender`: which test role these manifests play (test apps are run by `slimctl test`).
    public var app: TestApp?
    public var mark: Mark
}

public enum TestApp: String, Sendable, CaseIterable { case receiver, sender }

public enum VerifyRule: Sendable {
    /// One Ready, up-to-date pod on every node the DaemonSet controller would choose, none elsewhere.
    case daemonSet(name: String, namespace: String, mark: Mark)
    /// `replicas` Ready pods named `name-0..n-1` on the current revision.
    case statefulSet(name: String, namespace: String, replicas: Int, mark: Mark)
    case deployment(name: String, namespace: String, mark: Mark)
    case service(name: String, namespace: String, internalTrafficPolicy: String?, mark: Mark)
}

public struct TestSpec: Sendable {
    public var messages: Int
    public var receiverStep: String
    public var senderStep: String
    public var timeoutSeconds: Int
    public var mark: Mark
}
