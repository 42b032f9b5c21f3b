import Engine
import Foundation
import Kube
import KubeTarget
import Plan
import Strategy
import Tools
import YAML

/// Everything a run-side command needs for the kind and cluster targets, built once.
struct KubeSession {
    var rendered: Rendered
    var workspace: Workspace
    var targetOptions: TargetOptions
    var plan: Plan
    var kind: TargetKind
    var layout: StateLayout

    init(strategy: String, options: StrategyOptions, target flags: TargetFlags, sources: ChartSourceOptions? = nil, images: [String] = []) throws {
        workspace = try options.workspace
        rendered = try options.render(strategy, persistSecrets: true)
        kind = flags.target
        layout = StateLayout(root: workspace.stateRoot, strategy: rendered.strategy.name, flags: flags)
        targetOptions = try Self.targetOptions(flags, rendered: rendered, workspace: workspace, sources: sources, images: images)
        plan = Planner.plan(rendered, target: targetOptions)
    }

    /// For kind, slimctl keeps the cluster's own kubeconfig (from `kind get kubeconfig`) in its
    /// state folder, so the user's kubeconfig is never edited; the cluster target uses theirs.
    static func targetOptions(
        _ flags: TargetFlags, rendered: Rendered, workspace: Workspace, sources: ChartSourceOptions?,
        images: [String] = []
    ) throws -> TargetOptions {
        let name = rendered.strategy.name
        var overrides: [String: String] = [:]
        let releases = rendered.strategy.helmReleases.map(\.release.release)
        for c in sources?.charts ?? [] {
            guard let eq = c.firstIndex(of: "="), eq != c.startIndex else { throw CLIError.config("--chart \(c): expected release=path") }
            let release = String(c[..<eq])
            let path = Workspace.absolute(String(c[c.index(after: eq)...]))
            guard releases.contains(release) else {
                throw CLIError.config("--chart \(c): strategy `\(name)` has no release `\(release)`; " + Suggest.didYouMean(release, in: releases))
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw CLIError.config("--chart \(c): \(path) does not exist")
            }
            if isDir.boolValue {
                guard FileManager.default.fileExists(atPath: "\(path)/Chart.yaml") else {
                    throw CLIError.config("--chart \(c): \(path) is not a chart directory (no Chart.yaml)")
                }
            } else if !(path.hasSuffix(".tgz") || path.hasSuffix(".tar.gz")) {
                throw CLIError.config("--chart \(c): \(path) is neither a chart directory nor a packaged chart (.tgz)")
            }
            overrides[release] = path
        }
        // A kubeconfig named on the command line must be there before anything slower (chart
        // fetches) runs: a typo is a configuration error, said first.
        if let k = flags.kubeconfig, flags.target == .cluster, FileSystem.kind(Workspace.absolute(k)) != .regular {
            throw CLIError.config(
                "--kubeconfig \(k): \(Workspace.absolute(k)) " + (FileSystem.kind(Workspace.absolute(k)) == .missing ? "does not exist" : "is not a file"))
        }
        let layout = StateLayout(root: workspace.stateRoot, strategy: name, target: flags.target)
        let renderDir = layout.renderDir
        // Commands without chart options (verify, status, …) still honour the environment's mirror settings.
        let mirrors = try sources?.chartMirrors() ?? ChartSourceOptions.environmentMirrors(), ca = try sources?.caBundle() ?? ChartSourceOptions.environmentCA()
        let plainHTTP = sources?.usePlainHTTP ?? ChartSourceOptions.environmentPlainHTTP
        switch flags.target {
        case .kind:
            let cluster = rendered.strategy.cluster.name
            return TargetOptions(
                kind: .kind, context: Kind.contextName(cluster: cluster),
                kubeconfig: layout.kindKubeconfig(cluster: cluster), renderDir: renderDir, chartOverrides: overrides,
                chartMirrors: mirrors, plainHTTP: plainHTTP, caFile: ca, loadImages: images)
        default:
            return TargetOptions(
                kind: flags.target, context: flags.context, kubeconfig: flags.kubeconfig.map(Workspace.absolute),
                renderDir: renderDir, chartOverrides: overrides, chartMirrors: mirrors, plainHTTP: plainHTTP, caFile: ca)
        }
    }

    /// kind before slimctl created the cluster: there is nothing to ask yet.
    var kindNotCreated: Bool {
        kind == .kind && targetOptions.kubeconfig.map { !FileManager.default.fileExists(atPath: $0) } ?? false
    }

    var statePath: String { layout.statePath }
    var runDir: String { layout.runDir }
    var helm: Helm { Planner.helm(targetOptions) }

    func config(knownReleases: Set<String>? = nil) -> KubeTargetConfig {
        var image: TestImage?
        if let ref = rendered.variables["testImage"] {
            image = TestImage(reference: ref, buildContext: "\(workspace.home)/images/test-apps")
        }
        return KubeTargetConfig(target: targetOptions, helm: helm, testImage: image, knownReleases: knownReleases)
    }

    func client() throws -> KubeClient {
        do {
            return try KubeClient(kubeconfig: targetOptions.kubeconfig, context: targetOptions.context)
        } catch {
            throw CLIError.config("\(error)")
        }
    }

    /// helm must be installed before anything runs.
    func requireTools() throws {
        guard Spawn.which("helm") != nil else {
            throw CLIError.environment("helm is not installed: install helm 3.8+ (https://helm.sh/docs/intro/install/) or run `make tools` in a checkout")
        }
        if kind == .kind, Spawn.which("kind") == nil {
            throw CLIError.environment("kind is not installed: see https://kind.sigs.k8s.io/docs/user/quick-start/#installation (it needs docker or podman)")
        }
    }

    /// Every chart read, checked and rendered before the first install (see `ChartPreflight`):
    /// a combination that cannot work is a configuration error, with nothing changed.
    func preflight(json: Bool) async throws {
        _ = try RenderWriter.write(rendered, to: targetOptions.renderDir)
        do {
            _ = try await ChartPreflight.run(plan, rendered: rendered, target: targetOptions, helm: helm, log: "\(runDir)/charts.log") { line in
                ProgressDisplay.note(line, json: json)
            }
        } catch let r as ChartRefusal {
            throw CLIError.config(rendered.redactor.redact(r.description))
        } catch let f as CommandFailure {
            throw CLIError.failed("reading the charts failed: \(rendered.redactor.redact(f.description))")
        }
    }

    /// The cluster target names the context and server it will change, before changing anything
    /// (also with `-q`: it says what is about to change, not how far the work is).
    func announce(json: Bool) throws {
        guard kind == .cluster else { return }
        let c = try client()
        let line = "target cluster: context \(c.config.contextName), server \(c.config.cluster.server)"
        Console.shared.line(line, to: json ? .err : .out)
    }

    /// Deletes the strategy's kind cluster and the kubeconfig slimctl kept for it; false when
    /// there was no such cluster.
    func deleteKindCluster() async throws -> Bool {
        let kind = Kind()
        let log = "\(runDir)/cluster-down.log"
        let name = rendered.strategy.cluster.name
        defer { if let k = targetOptions.kubeconfig { try? FileManager.default.removeItem(atPath: k) } }
        guard try await kind.clusters(log: log).contains(name) else { return false }
        try await kind.delete(name: name, log: log)
        return true
    }

    /// Releases helm knows now (nil when the cluster cannot be asked yet, e.g. kind not created).
    func knownReleases() async -> Set<String>? {
        if kind == .kind, let k = targetOptions.kubeconfig, !FileManager.default.fileExists(atPath: k) { return nil }
        guard let list = try? await helm.list(log: "\(runDir)/helm-list.log") else { return nil }
        return Set(list.map { "\($0.namespace)/\($0.name)" })
    }
}

/// doctor's row for the Kubernetes targets: can the current kubeconfig context be reached?
func kubeconfigDoctorRow() async -> (String, Bool, String, String) {
    let fix = "kind target: none needed (slimctl writes its own kubeconfig); cluster target: point KUBECONFIG/--kubeconfig at a reachable cluster"
    do {
        let c = try KubeClient()
        let r = try await c.request("GET", "/version", operation: "get the server version")
        let v = (try? Value(jsonBytes: r.body))?["gitVersion"]?.stringValue ?? "?"
        return ("kubeconfig", true, "context \(c.config.contextName) at \(c.config.cluster.server): Kubernetes \(v)", "")
    } catch {
        let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
        return ("kubeconfig", false, "no reachable cluster (needed by the cluster target only): \(first)", fix)
    }
}
