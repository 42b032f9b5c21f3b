import Foundation
import KubeSim
import OrderedCollections
import Placement
import YAML

/// One random cluster and DaemonSet template, kept within what the API server admits (valid
/// label keys, at least one value for In/NotIn, one for Gt/Lt, none for Exists; tolerations with
/// an empty key only with Exists; taints unique by key and effect), with the awkward corners a
/// real cluster can hold: lifecycle taints set by hand, pressure conditions, unreachable nodes,
/// Gt/Lt bounds that are not integers or not label values, empty label values, tolerations of
/// everything, hostNetwork, a template pinned by `nodeName`.
struct RandomCase {
    struct Node {
        var spec: SimCluster.NodeSpec
        var readyStatus: String
    }

    var nodes: [Node]
    var template: Value

    static let labelKeys = ["zone", "disk", "tier", "gpu", "example.com/role"]
    static let labelValues = ["a", "b", "c", "1", "5", "10", "007", "", "x.y"]
    static let requirementValues = labelValues + ["-1", "d"]
    static let bounds = ["0", "3", "5", "10", "-1", "abc", "+4"]
    static let taintKeys = [
        "dedicated", "gpu", "spot", "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
        "node.kubernetes.io/unschedulable", "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/pid-pressure", "node.kubernetes.io/network-unavailable", "node-role.kubernetes.io/control-plane"
    ]
    static let taintValues = ["", "", "a", "b"]
    static let effects = SimTaint.Effect.allCases

    static func generate(_ rng: inout SplitMix64) -> RandomCase {
        func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
        func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }

        var nodes: [Node] = []
        for i in 0..<Int.random(in: 1...6, using: &rng) {
            var labels: [String: String] = [:]
            for k in labelKeys where chance(0.5) { labels[k] = pick(labelValues) }
            var taints: [SimTaint] = []
            for _ in 0..<pick([0, 0, 1, 1, 2, 3]) {
                let t = SimTaint(key: pick(taintKeys), value: pick(taintValues), effect: pick(effects))
                if !taints.contains(where: { $0.key == t.key && $0.effect == t.effect }) { taints.append(t) }
            }
            let ready = pick(["True", "True", "True", "False", "Unknown"])
            var conditions = ["Ready": ready]
            for c in ["MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"] where chance(0.1) { conditions[c] = "True" }
            nodes.append(
                Node(
                    spec: .init(
                        name: "node-\(i)", labels: labels, taints: taints, ready: ready == "True",
                        unschedulable: chance(0.2), conditions: conditions), readyStatus: ready))
        }

        var spec: OrderedDictionary<String, Value> = [:]
        if chance(0.3) {
            var selector: [String: String] = [:]
            for _ in 0..<Int.random(in: 1...2, using: &rng) { selector[pick(labelKeys)] = pick(labelValues) }
            spec["nodeSelector"] = .map(OrderedDictionary(uniqueKeysWithValues: selector.sorted { $0.key < $1.key }.map { ($0.key, Value.string($0.value)) }))
        }
        if chance(0.6) {
            var terms: [Value] = []
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                var term: OrderedDictionary<String, Value> = [:]
                var expressions: [Value] = []
                for _ in 0..<Int.random(in: 0...3, using: &rng) {
                    let op = pick(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"])
                    var values: [String] = []
                    switch op {
                    case "In", "NotIn": for _ in 0..<Int.random(in: 1...3, using: &rng) { values.append(pick(requirementValues)) }
                    case "Gt", "Lt": values = [pick(bounds)]
                    default: break
                    }
                    var e: OrderedDictionary<String, Value> = ["key": .string(pick(labelKeys)), "operator": .string(op)]
                    if !values.isEmpty { e["values"] = .list(values.map(Value.string)) }
                    expressions.append(.map(e))
                }
                if !expressions.isEmpty { term["matchExpressions"] = .list(expressions) }
                if expressions.isEmpty || chance(0.25) {
                    let target = chance(0.8) ? pick(nodes).spec.name : "node-gone"
                    term["matchFields"] = .list([.map(["key": "metadata.name", "operator": .string(pick(["In", "NotIn"])), "values": .list([.string(target)])])]
                    )
                }
                terms.append(.map(term))
            }
            spec["affinity"] = .map(["nodeAffinity": .map(["requiredDuringSchedulingIgnoredDuringExecution": .map(["nodeSelectorTerms": .list(terms)])])])
        }
        var tolerations: [Value] = []
        for _ in 0..<pick([0, 0, 1, 1, 2, 3]) {
            var t: OrderedDictionary<String, Value> = [:]
            let effect = pick(["", "NoSchedule", "PreferNoSchedule", "NoExecute"])
            if chance(0.5) {
                if chance(0.85) { t["key"] = .string(pick(taintKeys)) }
                t["operator"] = "Exists"
            } else {
                t["key"] = .string(pick(taintKeys))
                if chance(0.7) { t["operator"] = "Equal" }
                let v = pick(taintValues)
                if !v.isEmpty || chance(0.5) { t["value"] = .string(v) }
            }
            if !effect.isEmpty { t["effect"] = .string(effect) }
            if effect == "NoExecute" && chance(0.3) { t["tolerationSeconds"] = 300 }
            tolerations.append(.map(t))
        }
        if !tolerations.isEmpty { spec["tolerations"] = .list(tolerations) }
        if chance(0.3) { spec["hostNetwork"] = true }
        if chance(0.05) { spec["nodeName"] = .string(chance(0.8) ? pick(nodes).spec.name : "node-gone") }
        spec["containers"] = .list([.map(["name": "main", "image": "slim:1"])])
        let template: Value = .map(["metadata": .map(["labels": .map(["app": "diff"])]), "spec": .map(spec)])
        return RandomCase(nodes: nodes, template: template)
    }

    var daemonSet: Value {
        .map([
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": .map(["name": "diff", "namespace": "default"]),
            "spec": .map([
                "selector": .map(["matchLabels": .map(["app": "diff"])]), "template": template,
                "updateStrategy": .map(["type": "OnDelete"])
            ])
        ])
    }

    var description: String {
        let nodeText = nodes.map { n in
            "\(n.spec.name)[labels \(n.spec.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }) taints \(n.spec.taints) "
                + "ready \(n.readyStatus) unschedulable \(n.spec.unschedulable) conditions \(n.spec.conditions.filter { $0.key != "Ready" }.keys.sorted())]"
        }.joined(separator: " ")
        return "nodes: \(nodeText)\n  template spec: \((template["spec"] ?? .null).jsonString())"
    }

    // MARK: Both sides

    /// slimctl's answer: the nodes as the lifecycle controller leaves them (`withLifecycleTaints`),
    /// the template decoded as slimctl decodes live objects.
    func placement(labels: [String: [String: String]]) throws -> [NodeDecision] {
        let infos = nodes.map { n in
            var conditions = n.spec.conditions
            conditions["Ready"] = n.readyStatus
            return NodeInfo(
                name: n.spec.name, labels: labels[n.spec.name] ?? n.spec.labels,
                taints: n.spec.taints.map { Taint(key: $0.key, value: $0.value, effect: TaintEffect(rawValue: $0.effect.rawValue) ?? .noSchedule) },
                unschedulable: n.spec.unschedulable, ready: n.readyStatus == "True", conditions: conditions
            ).withLifecycleTaints()
        }
        let spec = template["spec"] ?? .map([:])
        let decoder = JSONDecoder()
        let tolerations = try (spec["tolerations"]?.listValue ?? []).map { try decoder.decode(Toleration.self, from: Data($0.jsonBytes)) }
        let affinity = try spec.lookup(["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"])
            .map { try decoder.decode(NodeAffinity.self, from: Data($0.jsonBytes)) }
        var selector: [String: String] = [:]
        for (k, v) in spec["nodeSelector"]?.mapValue ?? [:] { selector[k] = v.stringValue }
        let pod = PodPlacementSpec(
            nodeSelector: selector, requiredAffinity: affinity, tolerations: tolerations,
            hostNetwork: spec["hostNetwork"]?.boolValue ?? false, nodeName: spec["nodeName"]?.stringValue)
        return Placement.daemonSet(nodes: infos, pod: pod)
    }

    /// The nodes the simulator's DaemonSet pods are for, and how many its scheduler left unbound.
    static func daemonPods(_ cluster: SimCluster) -> (nodes: Set<String>, unbound: Int) {
        var nodes: Set<String> = []
        var unbound = 0
        for pod in cluster.list("pods", namespace: "default") where pod.lookup(["metadata", "deletionTimestamp"]) == nil {
            let bound = pod.lookup(["spec", "nodeName"])?.stringValue ?? ""
            let pinned =
                pod.lookup(["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"])?
                .listValue?.first?["matchFields"]?.listValue?.first?["values"]?.listValue?.first?.stringValue ?? ""
            if bound.isEmpty { unbound += 1 }
            nodes.insert(bound.isEmpty ? pinned : bound)
        }
        return (nodes, unbound)
    }

    static var options: SimOptions {
        var o = SimOptions()
        o.recordEvents = false
        o.terminationDelay = 0
        o.startDelay = 60
        return o
    }

    /// shouldRun from a fresh DaemonSet on the random nodes; shouldContinueRunning from a
    /// DaemonSet that ran on the same nodes while they were clean (Ready, schedulable, untainted),
    /// once the nodes take their random state.
    func compare() throws -> CaseResult {
        let fresh = SimCluster.headless(options: Self.options)
        fresh.setNodes(nodes.map(\.spec))
        _ = try fresh.create("daemonsets", namespace: "default", daemonSet)
        fresh.settle()
        let run = Self.daemonPods(fresh)
        var labels: [String: [String: String]] = [:]
        for n in fresh.list("nodes") {
            var m: [String: String] = [:]
            for (k, v) in n.lookup(["metadata", "labels"])?.mapValue ?? [:] { m[k] = v.stringValue }
            labels[n.lookup(["metadata", "name"])?.stringValue ?? ""] = m
        }

        let aged = SimCluster.headless(options: Self.options)
        aged.setNodes(nodes.map { SimCluster.NodeSpec(name: $0.spec.name, labels: $0.spec.labels) })
        _ = try aged.create("daemonsets", namespace: "default", daemonSet)
        aged.settle()
        aged.setNodes(nodes.map(\.spec))
        aged.settle()
        let keep = Self.daemonPods(aged)

        let decisions = try placement(labels: labels)
        return CaseResult(
            nodes: nodes.count,
            expectedRun: Set(decisions.filter(\.shouldRun).map(\.node)), simRun: run.nodes,
            expectedKeep: Set(decisions.filter(\.shouldContinueRunning).map(\.node)), simKeep: keep.nodes,
            unbound: run.unbound + keep.unbound, description: description)
    }
}
