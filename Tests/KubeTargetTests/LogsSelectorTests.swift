import Foundation
import KubeTarget
import Plan
import Strategy
import Testing
import Tools
import YAML

/// The project's strategy rendered as slimctl does (default generation and variables, no user layers).
func renderedStrategy(_ name: String, generation: String? = nil) throws -> Rendered {
    let file = "\(root)/strategies/\(name).yaml"
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let (declared, generations) = try StrategyLoader.declarations(text: text, file: file)
    let chosen = try GenerationChoice.choose(generations, requested: generation, strategy: name)
    let resolved = try VariableResolver.resolve(
        declared, overrides: [:], remembered: [:], presets: GenerationChoice.presets(chosen),
        generate: { String(repeating: "s", count: $0) })
    let strategy = try StrategyLoader.load(text: text, file: file, values: resolved.values)
    var files: [String: String] = [:]
    for step in strategy.steps {
        switch step.action {
        case .helm(let h): for r in h.valuesFiles { files[r.resolved] = try String(contentsOfFile: r.resolved, encoding: .utf8) }
        case .manifests(let m): for r in m.files { files[r.resolved] = try String(contentsOfFile: r.resolved, encoding: .utf8) }
        case .cluster: break
        }
    }
    return try Renderer.render(
        strategy: strategy, variables: resolved, files: files, user: UserLayers(), readFile: { try String(contentsOfFile: $0, encoding: .utf8) })
}

@Suite struct LogSelectorMapping {
    @Test func daemonsetComponents() throws {
        let r = try renderedStrategy("daemonset")
        let slim = LogSelectors.queries(for: "slim", rendered: r)
        #expect(
            slim == [
                PodQuery(
                    component: "slim", namespace: "slim", labelSelector: "app.kubernetes.io/instance=slim",
                    workload: WorkloadRef(apiVersion: "apps/v1", kind: "DaemonSet", name: "slim"))
            ])
        let controller = LogSelectors.queries(for: "controller", rendered: r)
        #expect(
            controller == [
                PodQuery(
                    component: "controller", namespace: "slim", labelSelector: "app.kubernetes.io/instance=slim-control",
                    workload: WorkloadRef(apiVersion: "apps/v1", kind: "Deployment", name: "slim-control"))
            ])
        #expect(
            LogSelectors.queries(for: "receiver", rendered: r) == [
                PodQuery(component: "receiver", namespace: "default", labelSelector: "app.kubernetes.io/name=alice")
            ],
            "the receiver DaemonSet's spec.selector")
        #expect(
            LogSelectors.queries(for: "sender", rendered: r) == [
                PodQuery(component: "sender", namespace: "default", labelSelector: "app.kubernetes.io/name=bob")
            ],
            "the sender Pod's name label")
        #expect(LogSelectors.queries(for: "spire", rendered: r).isEmpty, "the daemonset strategy has no SPIRE")
        guard case .components(let all) = LogSelectors.select(nil, rendered: r) else { Issue.record("no selector is every component"); return }
        #expect(all.map(\.component) == ["slim", "controller", "receiver", "sender"])
        #expect(LogSelectors.select("slim-x7k2p", rendered: r) == .pod(name: "slim-x7k2p", namespaces: ["slim", "default"]))
    }

    @Test func statefulsetComponents() throws {
        let r = try renderedStrategy("statefulset")
        #expect(
            LogSelectors.queries(for: "spire", rendered: r) == [PodQuery(component: "spire", namespace: "spire")],
            "both SPIRE releases share one namespace: every pod in it")
        #expect(LogSelectors.queries(for: "slim", rendered: r).map(\.workload) == [WorkloadRef(apiVersion: "apps/v1", kind: "StatefulSet", name: "slim")])
        #expect(
            LogSelectors.queries(for: "receiver", rendered: r) == [
                PodQuery(component: "receiver", namespace: "default", labelSelector: "app.kubernetes.io/name=alice")
            ])
        #expect(LogSelectors.namespaces(r) == ["spire", "slim", "default"])
    }

    @Test func workloadSelectorsBecomeLabelSelectors() throws {
        let ds = try Value(
            json: """
                {"spec": {"selector": {"matchLabels": {"app": "slim", "tier": "data"},
                  "matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}, {"key": "canary", "operator": "DoesNotExist"},
                                       {"key": "track", "operator": "NotIn", "values": ["old"]}, {"key": "owner", "operator": "Exists"}]}}}
                """)
        #expect(LogSelectors.selector(from: ds) == "app=slim,tier=data,zone in (a,b),!canary,track notin (old),owner")
        #expect(LogSelectors.selector(from: try Value(json: #"{"spec": {}}"#)) == nil)
    }

    @Test func goDurations() {
        #expect(GoDuration.parse("30s") == 30)
        #expect(GoDuration.parse("5m") == 300)
        #expect(GoDuration.parse("1h30m") == 5400)
        #expect(GoDuration.parse("1.5h") == 5400)
        #expect(GoDuration.parse("300ms") == 0.3)
        #expect(GoDuration.parse("2h45m10s") == 9910)
        #expect(GoDuration.parse("0") == 0)
        for bad in ["", "30", "5x", "h", "1h30", ".s", "1..2s", "m5"] { #expect(GoDuration.parse(bad) == nil, "\(bad)") }
        #expect(GoDuration.sinceSeconds("300ms") == 1, "rounded up to whole seconds, at least 1")
        #expect(GoDuration.sinceSeconds("90s") == 90)
        #expect(GoDuration.sinceSeconds("0") == nil)
    }

    @Test func kubeletTimestamps() throws {
        let a = try #require(LogTimestamp("2026-11-23T14:27:35.1Z"))
        let b = try #require(LogTimestamp("2026-11-23T14:27:35.123456789Z"))
        let c = try #require(LogTimestamp("2026-11-23T14:27:36Z"))
        #expect(a < b, ".1 is earlier than .123456789")
        #expect("2026-11-23T14:27:35.1Z" > "2026-11-23T14:27:35.123456789Z", "as text the kubelet's trimmed fractions sort the other way")
        #expect(a < c)
        #expect(a.seconds == 1795444055, "seconds since the epoch, like date -u -d 2026-11-23T14:27:35Z +%s")
        #expect(LogTimestamp("2026-11-23 14:27:35Z") == nil)
        let split = try #require(LogTimestamp.split("2026-11-23T14:27:35.5Z hello world"))
        #expect(split.text == "hello world" && split.time.nanos == 500_000_000)
        #expect(LogTimestamp.split("no timestamp here") == nil)
    }

    @Test func prefixesAlignAndFollowTheShownSet() {
        var p = LogPrefix(showNode: false, color: false)
        let short = LogTarget(namespace: "slim", pod: "slim-a", container: "slim", node: "w1")
        let long = LogTarget(namespace: "slim", pod: "slim-control-7d9f", container: "control-plane", node: "w2")
        p.realign([short, long])
        #expect(p.prefix(short) == "slim-a/slim" + String(repeating: " ", count: long.pod.count + long.container.count - 10))
        #expect(p.prefix(short).count == p.prefix(long).count)
        p.realign([short])
        #expect(p.prefix(short) == "slim-a/slim", "the gutter shrinks when the long name goes away")
        var n = LogPrefix(showNode: true, color: false)
        #expect(n.prefix(short) == "w1/slim-a/slim")
        var c = LogPrefix(showNode: false, color: true)
        #expect(c.prefix(short).contains("\u{1B}["), "colour on a terminal")
    }
}
