import Foundation
import Strategy
import Testing
import YAML

/// Input the loader used to accept and pass on: names Kubernetes would refuse, placeholders that
/// reached commands literally, defaults that used other variables, timeouts of zero or less.
@Suite struct NamesFromVariables {
    @Test func aNamespaceFromAVariableMustBeADNSLabelAndTheErrorNamesTheVariable() {
        let e = errorText { _ = try load(minimal, vars: ["ns": "Bad Name!"]) }
        #expect(e.contains("s.yaml:14:18"), "the position of `((ns))`: \(e)")
        #expect(e.contains("namespace `Bad Name!` of helm step `slim` is not a DNS-1123 label"), "\(e)")
        #expect(e.contains("the value comes from variable `ns`"), "\(e)")
        #expect(e.contains("--var ns=bad-name"), "a fix is offered: \(e)")
    }

    @Test func releaseClusterAndManifestNamespacesAreCheckedToo() {
        let text = """
            name: t
            variables:
              rel: slim
              cluster: slim-cluster
              apps: default
            cluster:
              name: ((cluster))
              nodes: [{role: control-plane}]
            steps:
              - name: slim
                helm:
                  release: ((rel))
                  namespace: slim
                  chart: {ref: oci://example/slim, version: 1.4.0}
              - name: apps
                manifests: {namespace: ((apps)), files: [a.yaml]}
            """
        #expect(errorText { _ = try load(text) }.isEmpty)
        let e = errorText { _ = try load(text, vars: ["rel": "Slim", "cluster": "my_cluster", "apps": "-apps"]) }
        #expect(e.contains("release name `Slim` of helm step `slim`") && e.contains("variable `rel`"), "\(e)")
        #expect(e.contains("cluster name `my_cluster`") && e.contains("variable `cluster`"), "\(e)")
        #expect(e.contains("namespace `-apps` of manifests step `apps`") && e.contains("variable `apps`"), "\(e)")
    }

    @Test func aNameWrittenInTheFileIsNamedWithoutAVariable() {
        let text = minimal.replacingOccurrences(of: "namespace: ((ns))", with: "namespace: Team-A")
        let e = errorText { _ = try load(text) }
        #expect(e.contains("namespace `Team-A`") && !e.contains("variable"), "\(e)")
        #expect(e.contains("s.yaml:14:18"), "\(e)")
    }

    @Test(arguments: ["a", "slim-2", String(repeating: "a", count: 63)]) func validLabels(_ s: String) {
        #expect(errorText { _ = try load(minimal, vars: ["ns": s]) }.isEmpty)
    }

    @Test(arguments: ["UPPER", "a_b", "a.b", "-a", "a-", "é", String(repeating: "a", count: 64)]) func invalidLabels(_ s: String) {
        #expect(errorText { _ = try load(minimal, vars: ["ns": s]) }.contains("is not a DNS-1123 label"), "\(s)")
    }
}

@Suite struct UnterminatedPlaceholders {
    @Test func inAStrategyTheErrorIsAtThePlaceholder() {
        let text = minimal.replacingOccurrences(of: "namespace: ((ns))", with: "namespace: team-((ns")
        let e = errorText { _ = try load(text) }
        #expect(e.contains("s.yaml:14:23: unterminated placeholder `((ns`"), "\(e)")
    }

    @Test func quotedScalarsCountTheQuote() throws {
        let node = try YAML.parseDocument("a: \"x ((ns\"\n", file: "v.yaml")
        #expect(throws: Placeholders.Unterminated.self) { _ = try Placeholders.substitute(node, ["ns": "n"]) }
        do { _ = try Placeholders.substitute(node, ["ns": "n"]) } catch let u as Placeholders.Unterminated {
            #expect("\(u.mark)" == "v.yaml:1:7", "\(u)")
            #expect(u.fragment == "((ns")
        } catch { Issue.record("\(error)") }
    }

    @Test func inABlockScalarTheLineIsExact() throws {
        let node = try YAML.parseDocument("script: |\n  echo one\n  echo ((ns\n", file: "m.yaml")
        do {
            _ = try Placeholders.substitute(node, ["ns": "n"])
            Issue.record("expected an error")
        } catch let u as Placeholders.Unterminated {
            #expect(u.mark.line == 3, "\(u)")
        }
    }

    @Test func aPlaceholderOpenedBeforeAnotherIsUnterminated() {
        #expect(Placeholders.firstUnterminated(in: "((ns-((x))")?.fragment == "((ns-")
        #expect(Placeholders.firstUnterminated(in: "((ns\n))")?.fragment == "((ns")
        #expect(Placeholders.firstUnterminated(in: "a ((ns) b")?.fragment == "((ns")
    }

    @Test func otherDoubleParenthesesAreLeftAlone() throws {
        // Shell arithmetic in a manifest's command, and text that only looks similar.
        for text in ["echo $((i+1))", "$(( (a+b) * 2 ))", "(((", "a (( b", "((1))", "f((x y))"] {
            #expect(Placeholders.firstUnterminated(in: text) == nil, "\(text)")
            #expect(try Placeholders.substitute(text, [:], mark: .synthetic("t")) == text, "\(text)")
        }
        #expect(try Placeholders.substitute("((a))((b)) (( a ))", ["a": "1", "b": "2"], mark: .synthetic("t")) == "12 1")
    }
}

@Suite struct VariableReferences {
    func variables(_ yaml: String) throws -> [Variable] {
        try StrategyLoader.declaredVariables(text: "variables:\n" + yaml, file: "s.yaml")
    }

    func resolve(_ yaml: String, overrides: [String: String] = [:], presets: [String: String] = [:]) throws -> [String: String] {
        try VariableResolver.resolve(
            try variables(yaml), overrides: overrides, remembered: [:], presets: presets,
            generate: { String(repeating: "g", count: $0) }
        ).values
    }

    @Test func aDefaultMayUseOtherVariablesInAnyOrder() throws {
        let v = try resolve(
            """
              apps: "((cluster))-apps"
              cluster: "((prefix))-cluster"
              prefix: slim
            """)
        #expect(v["apps"] == "slim-cluster-apps")
        #expect(v["cluster"] == "slim-cluster")
    }

    @Test func aVarChangesWhatTheDefaultsUsingItBecome() throws {
        let v = try resolve("  cluster: slim\n  apps: \"((cluster))-apps\"\n", overrides: ["cluster": "team"])
        #expect(v["apps"] == "team-apps")
    }

    @Test func aVarValueIsTakenAsItIs() throws {
        let v = try resolve("  cluster: slim\n  apps: x\n", overrides: ["apps": "((cluster))"])
        #expect(v["apps"] == "((cluster))", "a --var value (a secret, say) is never rewritten")
    }

    @Test func presetsMayUseVariablesToo() throws {
        let v = try resolve("  tag: \"1\"\n  image: x\n", presets: ["image": "slim:((tag))"])
        #expect(v["image"] == "slim:1")
    }

    @Test func aCycleIsAnErrorNamingTheLoop() {
        let e = errorText { _ = try resolve("  a: \"((b))\"\n  b: \"x-((a))\"\n  c: ok\n") }
        #expect(e.contains("cycle: `a` → `b` → `a`"), "\(e)")
        #expect(e.components(separatedBy: "cycle").count == 2, "reported once: \(e)")
        #expect(errorText { _ = try resolve("  a: \"((a))\"\n") }.contains("`a` → `a`"))
    }

    @Test func anUnknownOrUnterminatedReferenceIsAnError() {
        let e = errorText { _ = try resolve("  cluster: slim\n  apps: \"((clustr))-apps\"\n") }
        #expect(e.contains("variable `apps` uses `((clustr))`, which is not a variable") && e.contains("did you mean `cluster`"), "\(e)")
        let u = errorText { _ = try resolve("  cluster: slim\n  apps: \"((cluster-apps\"\n") }
        #expect(u.contains("unterminated placeholder `((cluster-apps`"), "\(u)")
        #expect(u.contains("s.yaml:3:3"), "at the variable: \(u)")
    }
}

@Suite struct NumbersInStrategies {
    @Test(arguments: ["-1", "0"]) func stepAndTestTimeoutsMustBePositive(_ t: String) {
        let step = minimal.replacingOccurrences(of: "    needs: [cluster]", with: "    needs: [cluster]\n    timeout: \(t)")
        #expect(errorText { _ = try load(step) }.contains("`timeout` in a step must be a number of seconds above 0, found `\(t)`"))
        let test = withTest("  timeout: \(t)")
        #expect(errorText { _ = try load(test) }.contains("`timeout` in `test` must be a number of seconds above 0, found `\(t)`"))
    }

    @Test func aListWhereANumberBelongsSaysNumber() {
        let e = errorText { _ = try load(withTest("  messages: [ten]")) }
        #expect(e.contains("`messages` in `test` must be a whole number, found a list"), "\(e)")
        #expect(!e.contains("must be a string"), "\(e)")
    }

    func withTest(_ line: String) -> String {
        minimal + """

              - name: recv
                manifests: {files: [r.yaml], app: receiver}
              - name: send
                manifests: {files: [s.yaml], app: sender}
            test:
              receiver: recv
              sender: send
            \(line)
            """
    }
}
