import Foundation
import Strategy
import Testing
import YAML

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func load(_ text: String, vars: [String: String] = [:]) throws -> Strategy {
    let declared = try StrategyLoader.declaredVariables(text: text, file: "s.yaml")
    let r = try VariableResolver.resolve(declared, overrides: vars, remembered: [:], generate: { String(repeating: "x", count: $0) })
    return try StrategyLoader.load(text: text, file: "/tmp/s.yaml", values: r.values)
}

func errorText(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return "\(error)" }
}

let minimal = """
    name: t
    variables:
      ns: slim
    cluster:
      nodes:
        - role: control-plane
    steps:
      - name: cluster
        cluster: {}
      - name: slim
        needs: [cluster]
        helm:
          release: slim
          namespace: ((ns))
          chart: {ref: oci://example/slim, version: 1.4.0}
    """

@Test func builtInStrategiesLoad() throws {
    for name in ["daemonset", "statefulset"] {
        let file = "\(repoRoot)/strategies/\(name).yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let (declared, generations) = try StrategyLoader.declarations(text: text, file: file)
        #expect(!generations.isEmpty)
        for g in generations where g.unsupported == nil {
            var presets = g.variables
            presets["generation"] = g.name
            let r = try VariableResolver.resolve(declared, overrides: [:], remembered: [:], presets: presets, generate: { String(repeating: "s", count: $0) })
            let s = try StrategyLoader.load(text: text, file: file, values: r.values)
            #expect(s.name == name)
            #expect(s.generation == g.name)
            #expect(s.steps.first?.name == "cluster")
            #expect(s.test?.messages == 10)
            // The any-node Service step exists only where the chart's own Service is node-local.
            #expect(s.steps.contains { $0.name == "slim-any-node" } == (name == "daemonset" && g.name == "2"), "\(name) \(g.name)")
            #expect(s.steps.allSatisfy { st in st.needs.allSatisfy { n in s.steps.contains { $0.name == n } } })
            #expect(r.secrets["sharedSecret"]?.count == 48)
            for (_, rel) in s.helmReleases {
                for v in rel.valuesFiles { #expect(FileManager.default.fileExists(atPath: v.resolved), "\(v.resolved)") }
            }
        }
    }
}

@Test func placeholdersAreSubstitutedInsideScalars() throws {
    let s = try load(minimal, vars: ["ns": "team-a"])
    guard case .helm(let h)? = s.step(named: "slim")?.action else { Issue.record("no helm step"); return }
    #expect(h.namespace == "team-a")
}

@Test func typoedKeyGetsSuggestionAndPosition() {
    let text = minimal.replacingOccurrences(of: "    needs: [cluster]", with: "    need: [cluster]")
    let e = errorText { _ = try load(text) }
    #expect(e.contains("s.yaml:11:5"), "\(e)")
    #expect(e.contains("unknown key `need`"))
    #expect(e.contains("did you mean `needs`?"))
}

@Test func unknownVariableIsAnErrorAtItsPosition() {
    let text = minimal.replacingOccurrences(of: "((ns))", with: "((nss))")
    let e = errorText { _ = try load(text) }
    #expect(e.contains("unknown variable `((nss))`"), "\(e)")
    #expect(e.contains(":14:"), "\(e)")
    #expect(e.contains("did you mean `ns`?"))
}

@Test func dependencyCycleIsReported() {
    let text = minimal.replacingOccurrences(of: "  - name: cluster\n    cluster: {}", with: "  - name: cluster\n    needs: [slim]\n    cluster: {}")
    let e = errorText { _ = try load(text) }
    #expect(e.contains("cycle"), "\(e)")
    #expect(e.contains("cluster → slim → cluster") || e.contains("slim → cluster → slim"), "\(e)")
}

@Test func unknownDependencyAndMissingControlPlane() {
    var text = minimal.replacingOccurrences(of: "needs: [cluster]", with: "needs: [clustr]")
    #expect(errorText { _ = try load(text) }.contains("did you mean `cluster`?"))
    text = minimal.replacingOccurrences(of: "role: control-plane", with: "role: worker")
    #expect(errorText { _ = try load(text) }.contains("needs a control-plane node"))
}

@Test func malformedYAMLSaysWhere() {
    let e = errorText { _ = try load("name: t\nsteps:\n  - name: a\n   bad: [\n") }
    #expect(e.contains("s.yaml:"), "\(e)")
}

@Test func overrideOfUndeclaredVariableIsRejected() {
    let e = errorText { _ = try load(minimal, vars: ["nope": "1"]) }
    #expect(e.contains("no variable `nope`"), "\(e)")
}

@Test func stepOrderFollowsNeedsThenFileOrder() throws {
    let s = try load(minimal)
    #expect(StepOrder.ordered(s.steps).map(\.name) == ["cluster", "slim"])
    #expect(StepOrder.dependents(of: "cluster", in: s.steps) == ["slim"])
}

@Test func taintSyntax() {
    #expect(StrategyLoader.parseTaint("dedicated=gpu:NoSchedule") == TaintSpec(key: "dedicated", value: "gpu", effect: "NoSchedule"))
    #expect(StrategyLoader.parseTaint("k:NoExecute") == TaintSpec(key: "k", value: "", effect: "NoExecute"))
    #expect(StrategyLoader.parseTaint("k=v:Sometimes") == nil)
}

@Test func generationsChooseVariablesAndSteps() throws {
    let text = """
        name: g
        variables:
          chartVersion: {description: set by the generation}
          tag: {default: "1"}
        generations:
          "2": {default: true, variables: {chartVersion: 2.2.0}}
          "1.4": {variables: {chartVersion: 1.4.0, tag: "0"}}
          "0": {unsupported: too old}
        cluster: {nodes: [{role: control-plane}]}
        steps:
          - name: cluster
            cluster: {}
          - name: extra
            needs: [cluster]
            generations: ["2"]
            manifests: {files: [x.yaml]}
          - name: last
            needs: [extra]
            manifests: {files: [y.yaml]}
        """
    let (declared, gens) = try StrategyLoader.declarations(text: text, file: "/s/g.yaml")
    #expect(declared.contains { $0.name == "generation" }, "the implicit variable")
    let chosen = try GenerationChoice.choose(gens, requested: nil, strategy: "g")
    #expect(chosen?.name == "2")
    func load(_ g: String, overrides: [String: String] = [:]) throws -> Strategy {
        let gen = try GenerationChoice.choose(gens, requested: g, strategy: "g")
        var presets = gen?.variables ?? [:]
        presets["generation"] = g
        let r = try VariableResolver.resolve(declared, overrides: overrides, remembered: [:], presets: presets, generate: { _ in "" })
        return try StrategyLoader.load(text: text, file: "/s/g.yaml", values: r.values)
    }
    let old = try load("1.4")
    #expect(old.steps.map(\.name) == ["cluster", "last"])
    #expect(old.steps.last?.needs == [], "a need on a step of another generation is met")
    let new = try load("2")
    #expect(new.steps.map(\.name) == ["cluster", "extra", "last"])
    let r = try VariableResolver.resolve(
        declared, overrides: ["tag": "9"], remembered: [:], presets: ["tag": "0", "chartVersion": "1.4.0", "generation": "1.4"], generate: { _ in "" })
    #expect(r.values["tag"] == "9", "--var beats the generation")
    #expect(r.values["chartVersion"] == "1.4.0")
    #expect(throws: StrategyError.self) { try GenerationChoice.choose(gens, requested: "0", strategy: "g") }
    do {
        _ = try GenerationChoice.choose(gens, requested: "3", strategy: "g")
        Issue.record("an unknown generation was accepted")
    } catch let e as StrategyError {
        #expect(e.description.contains("has no chart generation `3`"))
    }
}

@Test func badGenerationsAreReportedWhereTheyAre() throws {
    let text = """
        name: g
        variables: {a: "1"}
        generations:
          "2": {default: true, variables: {b: x}}
          "1": {default: true, unsupported: no}
        cluster: {nodes: [{role: control-plane}]}
        steps:
          - name: cluster
            generations: ["7"]
            cluster: {}
        """
    do {
        _ = try StrategyLoader.declarations(text: text, file: "/s/g.yaml")
        Issue.record("bad generations were accepted")
    } catch let e as StrategyErrors {
        let s = e.description
        #expect(s.contains("sets `b`, which is not a declared variable"), "\(s)")
        #expect(s.contains("both `default: true`"), "\(s)")
    }
}
