import Engine
import Foundation
import Kube
import Placement
import Plan
import Strategy
import Tools
import YAML

/// Where a strategy's DaemonSets will put pods on the live nodes, before anything is installed:
/// the chart is rendered with `helm template` (as the deploy's chart check does), each rendered
/// DaemonSet's pod template goes through the DaemonSet controller's rules against the nodes the
/// API server lists now.
public struct PlacementPreview: Sendable {
    public struct Workload: Sendable {
        public var release: String
        public var name: String
        public var namespace: String
        public var decisions: [NodeDecision]
        /// Why this release was not previewed (helm template failed, …).
        public var skipped: String?
    }

    /// "context X, server Y" when the cluster answered.
    public var cluster: String?
    public var workloads: [Workload]
    /// Why nothing was previewed (cluster unreachable, kind cluster not created).
    public var notPreviewed: String?

    public var json: Value {
        var m: [(String, Value)] = [("previewed", .bool(notPreviewed == nil))]
        if let cluster { m.append(("cluster", .string(cluster))) }
        if let notPreviewed { m.append(("reason", .string(notPreviewed))) }
        m.append(
            (
                "workloads",
                .list(
                    workloads.map { w in
                        var o: [(String, Value)] = [
                            ("release", .string(w.release)), ("kind", "DaemonSet"), ("name", .string(w.name)), ("namespace", .string(w.namespace))
                        ]
                        if let s = w.skipped { o.append(("skipped", .string(s))) }
                        o.append(
                            (
                                "nodes",
                                .list(
                                    w.decisions.map { d in
                                        .map([
                                            "node": .string(d.node), "runs": .bool(d.shouldRun), "reasons": .list(d.reasons.map { .string($0) }),
                                            "warnings": .list(d.warnings.map { .string($0) })
                                        ])
                                    })
                            ))
                        return .map(.init(uniqueKeysWithValues: o))
                    })
            ))
        return .map(.init(uniqueKeysWithValues: m))
    }

    /// Text lines for `plan`.
    public var lines: [String] {
        guard notPreviewed == nil else { return ["placement not previewed: \(notPreviewed ?? "")"] }
        var out = ["placement on the live nodes (\(cluster ?? "cluster")):"]
        if workloads.isEmpty { out.append("  no release of this strategy renders a DaemonSet") }
        for w in workloads {
            if let s = w.skipped { out.append("  DaemonSet \(w.namespace)/\(w.name) (release \(w.release)): not previewed: \(s)"); continue }
            let runs = w.decisions.filter(\.shouldRun)
            out.append("  DaemonSet \(w.namespace)/\(w.name) (release \(w.release)): a pod on \(runs.count) of \(w.decisions.count) node(s)")
            for d in w.decisions {
                if d.shouldRun {
                    out.append("    + \(d.node)" + (d.warnings.isEmpty ? "" : " (\(d.warnings.joined(separator: "; ")))"))
                } else {
                    out.append(
                        "    - \(d.node): "
                            + d.reasons.map { $0.hasPrefix(d.node + ": ") ? String($0.dropFirst(d.node.count + 2)) : $0 }.joined(separator: "; "))
                }
            }
        }
        return out
    }
}

public enum PlacementPreviewer {
    /// Never throws: an unreachable cluster or a chart that cannot be rendered is said in the
    /// result, and the plan is still shown.
    public static func preview(rendered: Rendered, target: TargetOptions, helm: Helm, log: String) async -> PlacementPreview {
        if target.kind == .kind, let k = target.kubeconfig, !FileManager.default.fileExists(atPath: k) {
            return PlacementPreview(workloads: [], notPreviewed: "kind cluster \(rendered.strategy.cluster.name) is not created yet (deploy creates it)")
        }
        // plan must answer quickly: one short attempt, no retries.
        var options = KubeClientOptions()
        options.connectTimeout = 5
        options.requestTimeout = 10
        options.maxAttempts = 1
        let client: KubeClient
        let nodes: [NodeInfo]
        do {
            let cfg = try KubeconfigLoader.load(explicitPath: target.kubeconfig)
            client = KubeClient(config: try cfg.resolve(context: target.context), options: options)
            nodes = try await client.list(apiVersion: "v1", kind: "Node").items.map { LiveObjects.node($0).info }.sorted { $0.name < $1.name }
        } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            return PlacementPreview(workloads: [], notPreviewed: "the cluster cannot be reached: \(first)")
        }
        let cluster = "context \(client.config.contextName), server \(client.config.cluster.server)"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-preview-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var workloads: [PlacementPreview.Workload] = []
        for (step, rel) in rendered.strategy.helmReleases where rel.expect.contains(where: { $0.kind == "DaemonSet" }) {
            let names = rel.expect.filter { $0.kind == "DaemonSet" }.map(\.name)
            func skipped(_ why: String) -> [PlacementPreview.Workload] {
                names.map { .init(release: rel.release, name: $0, namespace: rel.namespace, decisions: [], skipped: why) }
            }
            guard let r = rendered.release(forStep: step.name) else { workloads += skipped("not rendered"); continue }
            if Planner.repository(for: rel, target: target) != nil {
                workloads += skipped("its chart comes from a repository that deploy adds first (helm repo add)")
                continue
            }
            do {
                // The values hold secrets: a private folder, removed at the end.
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let values = "\(dir)/\(r.fileName)"
                try AtomicFile.write(r.text, to: values, mode: 0o600)
                let chart = Planner.chart(for: rel, strategyFile: rendered.strategy.file, target: target)
                let text = try await helm.template(release: rel.release, chart: chart, namespace: rel.namespace, valuesFile: values, log: log)
                let docs = try YAML.loadAll(text, file: "helm template \(rel.release)")
                for name in names {
                    guard let ds = docs.first(where: { $0["kind"]?.stringValue == "DaemonSet" && $0.lookup(["metadata", "name"])?.stringValue == name }) else {
                        workloads += [.init(release: rel.release, name: name, namespace: rel.namespace, decisions: [], skipped: "the chart did not render it")]
                        continue
                    }
                    let spec = LiveObjects.placementSpec(podSpec: ds.lookup(["spec", "template", "spec"]) ?? .map([:]))
                    workloads.append(
                        .init(
                            release: rel.release, name: name, namespace: ds.lookup(["metadata", "namespace"])?.stringValue ?? rel.namespace,
                            decisions: Placement.daemonSet(nodes: nodes, pod: spec), skipped: nil))
                }
            } catch let f as CommandFailure {
                // helm's own words (`Error: …` and what follows), on one line.
                workloads += skipped("helm template failed: " + f.lastLines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))
            } catch {
                let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
                workloads += skipped("helm template failed: \(first)")
            }
        }
        return PlacementPreview(cluster: cluster, workloads: workloads, notPreviewed: nil)
    }
}
