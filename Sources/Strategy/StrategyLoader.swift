import YAML

/// Reads a strategy file into a `Strategy`, validating everything that can be checked without
/// touching the disk: keys, types, step references, cycles, variables. File references are checked
/// separately (`StrategyReferences`) because that needs I/O the core does not do.
public enum StrategyLoader {
    public static let topKeys = ["name", "description", "variables", "generations", "cluster", "steps", "verify", "test"]
    static let generationKeys = ["default", "description", "variables", "unsupported"]
    static let variableKeys = ["default", "description", "secret", "generate"]
    static let clusterKeys = ["name", "nodes"]
    static let nodeKeys = ["role", "labels", "taints"]
    static let stepKeys = ["name", "description", "needs", "timeout", "generations", "cluster", "helm", "manifests"]
    static let helmKeys = ["release", "namespace", "createNamespace", "chart", "values", "set", "primary", "expect"]
    static let chartKeys = ["ref", "version", "repo", "generation"]
    static let manifestKeys = ["files", "namespace", "app"]
    static let testKeys = ["messages", "receiver", "sender", "timeout"]

    /// Reads only the variable declarations, so a caller can resolve values (overrides, generated
    /// secrets) before the full load substitutes them.
    public static func declaredVariables(text: String, file: String) throws -> [Variable] {
        try declarations(text: text, file: file).variables
    }

    /// Variables and chart generations: what must be decided before the strategy's text can be
    /// substituted. A strategy with generations gets the variable `generation` implicitly.
    public static func declarations(text: String, file: String) throws -> (variables: [Variable], generations: [ChartGeneration]) {
        let doc = try YAML.parseDocument(text, file: file)
        var errors: [StrategyError] = []
        let top = MapReader(doc, context: "the strategy", errors: &errors)
        var vars = readVariables(top.node("variables"), errors: &errors)
        let generations = readGenerations(top.node("generations"), variables: vars, errors: &errors)
        if let g = generations.first, !vars.contains(where: { $0.name == "generation" }) {
            vars.append(
                Variable(
                    name: "generation", defaultValue: nil, description: "chart generation (set by --generation)",
                    secret: false, generateLength: nil, mark: g.mark))
        }
        if !errors.isEmpty { throw StrategyErrors(errors) }
        return (vars, generations)
    }

    /// Loads and validates a strategy. `values` must hold a value for every declared variable
    /// (see `VariableResolver`).
    public static func load(text: String, file: String, values: [String: String]) throws -> Strategy {
        let doc = try YAML.parseDocument(text, file: file)
        var errors: [StrategyError] = []
        let top = MapReader(doc, context: "the strategy", errors: &errors)
        top.checkKeys(topKeys, errors: &errors)
        var variables = readVariables(top.node("variables"), errors: &errors)
        let generations = readGenerations(top.node("generations"), variables: variables, errors: &errors)
        if !generations.isEmpty && !variables.contains(where: { $0.name == "generation" }) {
            variables.append(
                Variable(
                    name: "generation", defaultValue: nil, description: "chart generation",
                    secret: false, generateLength: nil, mark: doc.mark))
        }
        let generation = generations.isEmpty ? nil : values["generation"]

        let raw = RawScalars(doc)
        func sub(_ n: Node?) -> Node? {
            substitute(n, values: values, variables: variables.map(\.name), errors: &errors)
        }

        let name = top.string("name", required: true, errors: &errors) ?? ""
        if !name.isEmpty && !isIdentifier(name) {
            errors.append(StrategyError("strategy name `\(name)` may only hold letters, digits, `-` and `_`", at: top.node("name")?.mark))
        }
        let description = top.string("description", errors: &errors) ?? ""
        let folder = directory(of: file)

        var cluster = ClusterLayout(name: "slim-cluster", nodes: [], mark: doc.mark)
        if let c = sub(top.node("cluster")) {
            cluster = readCluster(c, raw: raw, errors: &errors)
        } else if top.node("cluster") == nil {
            errors.append(StrategyError("the strategy needs a `cluster` section (its node layout)", at: doc.mark))
        }

        var steps: [Step] = []
        if let s = sub(top.node("steps")) {
            guard case .sequence(let items) = s.kind else {
                errors.append(StrategyError("`steps` must be a list", at: s.mark))
                throw StrategyErrors(errors)
            }
            for item in items { if let st = readStep(item, folder: folder, raw: raw, errors: &errors) { steps.append(st) } }
            for st in steps {
                for g in st.generations ?? [] where !generations.contains(where: { $0.name == g }) {
                    errors.append(
                        StrategyError(
                            "step `\(st.name)` names generation `\(g)`, which `generations` does not declare", at: st.mark,
                            hint: Suggest.didYouMean(g, in: generations.map(\.name))))
                }
            }
            checkSteps(steps, errors: &errors)
            // Steps of other generations are left out; a `needs` on one of them is then met.
            if let generation {
                let dropped = Set(steps.filter { !($0.generations?.contains(generation) ?? true) }.map(\.name))
                steps = steps.filter { !dropped.contains($0.name) }
                for i in steps.indices { steps[i].needs.removeAll { dropped.contains($0) } }
            }
        } else if top.node("steps") == nil {
            errors.append(StrategyError("the strategy needs `steps`", at: doc.mark))
        }

        let verify = sub(top.node("verify")).map { readVerify($0, errors: &errors) } ?? []
        let test = sub(top.node("test")).flatMap { readTest($0, steps: steps, errors: &errors) }

        if !errors.isEmpty { throw StrategyErrors(errors) }
        return Strategy(
            name: name, description: description, file: file, variables: variables,
            cluster: cluster, steps: steps, verify: verify, test: test,
            generations: generations, generation: generation)
    }

    /// `node` with its `((variables))` replaced; nil, with the error recorded at its mark, when a
    /// placeholder names no variable or is not closed.
    static func substitute(_ n: Node?, values: [String: String], variables: [String], errors: inout [StrategyError]) -> Node? {
        guard let n else { return nil }
        do { return try Placeholders.substitute(n, values) } catch let u as Placeholders.Unknown {
            errors.append(
                StrategyError(
                    "unknown variable `((\(u.name)))`", at: u.mark,
                    hint: Suggest.didYouMean(u.name, in: variables)))
            return nil
        } catch let u as Placeholders.Unterminated {
            errors.append(
                StrategyError(
                    "unterminated placeholder `\(u.fragment)`: close it with `))`", at: u.mark,
                    hint: "variables are written `((name))`"))
            return nil
        } catch {
            errors.append(StrategyError("\(error)", at: n.mark))
            return nil
        }
    }

    static func readGenerations(_ node: Node?, variables: [Variable], errors: inout [StrategyError]) -> [ChartGeneration] {
        guard let node else { return [] }
        let r = MapReader(node, context: "`generations`", errors: &errors)
        var out: [ChartGeneration] = []
        for (name, n) in r.pairs {
            let mark = r.keyMark(name) ?? n.mark
            if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) {
                errors.append(StrategyError("generation name `\(name)` may only hold letters, digits, `.` and `-`", at: mark))
            }
            let g = MapReader(n, context: "generation `\(name)`", errors: &errors)
            g.checkKeys(generationKeys, errors: &errors)
            var vars: [String: String] = [:]
            if let v = g.node("variables") {
                let vr = MapReader(v, context: "variables of generation `\(name)`", errors: &errors)
                for (k, val) in vr.pairs {
                    guard variables.contains(where: { $0.name == k }) else {
                        errors.append(
                            StrategyError(
                                "generation `\(name)` sets `\(k)`, which is not a declared variable", at: vr.keyMark(k) ?? val.mark,
                                hint: Suggest.didYouMean(k, in: variables.map(\.name))))
                        continue
                    }
                    guard case .scalar(let text, _, _) = val.kind else {
                        errors.append(StrategyError("generation `\(name)`: `\(k)` must be a string", at: val.mark))
                        continue
                    }
                    vars[k] = text
                }
            }
            out.append(
                ChartGeneration(
                    name: name, description: g.string("description", errors: &errors) ?? "",
                    isDefault: g.bool("default", errors: &errors) ?? false, variables: vars,
                    unsupported: g.string("unsupported", errors: &errors), mark: mark))
        }
        let defaults = out.filter(\.isDefault)
        if defaults.count > 1 {
            errors.append(
                StrategyError(
                    "generations \(defaults.map { "`\($0.name)`" }.joined(separator: " and ")) are both `default: true`; one may be", at: defaults[1].mark))
        }
        if let d = defaults.first, d.unsupported != nil {
            errors.append(StrategyError("the default generation `\(d.name)` is marked `unsupported`", at: d.mark))
        }
        if !out.isEmpty && !out.contains(where: { $0.unsupported == nil }) {
            errors.append(StrategyError("every generation is `unsupported`; at least one must be deployable", at: node.mark))
        }
        return out
    }

    // MARK: sections

    static func readVariables(_ node: Node?, errors: inout [StrategyError]) -> [Variable] {
        guard let node else { return [] }
        let r = MapReader(node, context: "`variables`", errors: &errors)
        var out: [Variable] = []
        for (name, n) in r.pairs {
            let mark = r.keyMark(name) ?? n.mark
            if !isIdentifier(name) {
                errors.append(StrategyError("variable name `\(name)` may only hold letters, digits, `-` and `_`", at: mark))
            }
            // Shorthand: `namespace: slim` means a default.
            if case .scalar(let s, _, _) = n.kind {
                out.append(
                    Variable(
                        name: name, defaultValue: n.isNullScalar ? nil : s, description: "",
                        secret: false, generateLength: nil, mark: mark))
                continue
            }
            let v = MapReader(n, context: "variable `\(name)`", errors: &errors)
            v.checkKeys(variableKeys, errors: &errors)
            let gen = v.int("generate", errors: &errors)
            if let gen, gen < SecretStrength.keyLength || gen > 256 {
                errors.append(
                    StrategyError(
                        "`generate` for `\(name)` must be between \(SecretStrength.keyLength) and 256 characters (a generated secret is a key; SLIM's HMAC needs 32)",
                        at: v.node("generate")?.mark))
            }
            out.append(
                Variable(
                    name: name, defaultValue: v.string("default", errors: &errors),
                    description: v.string("description", errors: &errors) ?? "",
                    secret: v.bool("secret", errors: &errors) ?? false,
                    generateLength: gen, mark: mark))
        }
        return out
    }

    static func readCluster(_ node: Node, raw: RawScalars, errors: inout [StrategyError]) -> ClusterLayout {
        let r = MapReader(node, context: "`cluster`", errors: &errors)
        r.checkKeys(clusterKeys, errors: &errors)
        let name = r.string("name", errors: &errors) ?? "slim-cluster"
        DNSNames.check(name, field: "cluster name", of: "the strategy", node: r.node("name"), raw: raw, fallback: node.mark, errors: &errors)
        var nodes: [ClusterNode] = []
        for item in r.list("nodes", errors: &errors) {
            let n = MapReader(item, context: "a cluster node", errors: &errors)
            n.checkKeys(nodeKeys, errors: &errors)
            let roleText = n.string("role", required: true, errors: &errors) ?? "worker"
            guard let role = ClusterNode.Role(rawValue: roleText) else {
                errors.append(
                    StrategyError(
                        "unknown node role `\(roleText)`", at: n.node("role")?.mark,
                        hint: Suggest.didYouMean(roleText, in: ClusterNode.Role.allCases.map(\.rawValue))))
                continue
            }
            var labels: [String: String] = [:]
            if let l = n.node("labels") {
                let lr = MapReader(l, context: "node labels", errors: &errors)
                for (k, v) in lr.pairs { labels[k] = v.scalarString ?? "" }
            }
            var taints: [TaintSpec] = []
            for t in n.strings("taints", errors: &errors) {
                if let spec = parseTaint(t.0) {
                    taints.append(spec)
                } else {
                    errors.append(
                        StrategyError("taint `\(t.0)` must read `key=value:Effect` or `key:Effect` (Effect: NoSchedule, PreferNoSchedule, NoExecute)", at: t.1))
                }
            }
            nodes.append(ClusterNode(role: role, labels: labels, taints: taints, mark: item.mark))
        }
        if nodes.isEmpty {
            errors.append(StrategyError("`cluster.nodes` must list at least one node", at: node.mark))
        } else if !nodes.contains(where: { $0.role == .controlPlane }) {
            errors.append(
                StrategyError(
                    "`cluster.nodes` needs a control-plane node", at: node.mark,
                    hint: "add `- role: control-plane` (kind clusters always have one)"))
        }
        return ClusterLayout(name: name, nodes: nodes, mark: node.mark)
    }

    /// `key=value:Effect` or `key:Effect`, as `kubectl taint` writes them.
    public static func parseTaint(_ s: String) -> TaintSpec? {
        guard let colon = s.lastIndex(of: ":") else { return nil }
        let effect = String(s[s.index(after: colon)...])
        guard ["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) else { return nil }
        let kv = s[..<colon]
        let parts = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard let key = parts.first, !key.isEmpty else { return nil }
        return TaintSpec(key: String(key), value: parts.count > 1 ? String(parts[1]) : "", effect: effect)
    }

    static func readStep(_ node: Node, folder: String, raw: RawScalars, errors: inout [StrategyError]) -> Step? {
        let r = MapReader(node, context: "a step", errors: &errors)
        r.checkKeys(stepKeys, errors: &errors)
        guard let name = r.string("name", required: true, errors: &errors) else { return nil }
        if !isIdentifier(name) {
            errors.append(StrategyError("step name `\(name)` may only hold letters, digits, `-` and `_`", at: r.node("name")?.mark))
        }
        let kinds = ["cluster", "helm", "manifests"].filter { r.node($0) != nil }
        guard kinds.count == 1 else {
            errors.append(
                StrategyError(
                    kinds.isEmpty
                        ? "step `\(name)` needs one of `cluster`, `helm`, `manifests`"
                        : "step `\(name)` has \(kinds.joined(separator: " and ")); a step does one thing",
                    at: node.mark))
            return nil
        }
        let needs = r.strings("needs", errors: &errors).map(\.0)
        let timeout = r.seconds("timeout", errors: &errors) ?? 600
        let action: Step.Action
        switch kinds[0] {
        case "cluster":
            action = .cluster
        case "helm":
            guard let h = r.node("helm"), let rel = readHelm(h, step: name, folder: folder, raw: raw, errors: &errors) else { return nil }
            action = .helm(rel)
        default:
            guard let m = r.node("manifests") else { return nil }
            action = .manifests(readManifests(m, step: name, folder: folder, raw: raw, errors: &errors))
        }
        let only = r.node("generations") == nil ? nil : r.strings("generations", errors: &errors).map(\.0)
        return Step(
            name: name, description: r.string("description", errors: &errors) ?? "", needs: needs,
            action: action, timeoutSeconds: timeout, generations: only, mark: node.mark)
    }

    static func readHelm(_ node: Node, step: String, folder: String, raw: RawScalars, errors: inout [StrategyError]) -> HelmRelease? {
        let r = MapReader(node, context: "helm step `\(step)`", errors: &errors)
        r.checkKeys(helmKeys, errors: &errors)
        let release = r.string("release", required: true, errors: &errors) ?? step
        DNSNames.check(release, field: "release name", of: "helm step `\(step)`", node: r.node("release"), raw: raw, fallback: node.mark, errors: &errors)
        let namespace = r.string("namespace", required: true, errors: &errors) ?? "default"
        DNSNames.check(namespace, field: "namespace", of: "helm step `\(step)`", node: r.node("namespace"), raw: raw, fallback: node.mark, errors: &errors)
        var chart = ChartRef(ref: "", version: "", repo: nil, generation: nil, mark: node.mark)
        if let c = r.node("chart") {
            let cr = MapReader(c, context: "the chart of `\(step)`", errors: &errors)
            cr.checkKeys(chartKeys, errors: &errors)
            chart = ChartRef(
                ref: cr.string("ref", required: true, errors: &errors) ?? "",
                version: cr.string("version", required: true, errors: &errors) ?? "",
                repo: cr.string("repo", errors: &errors),
                generation: cr.string("generation", errors: &errors), mark: c.mark)
            if !chart.ref.isEmpty && !chart.ref.hasPrefix("oci://") && !chart.ref.contains("/") {
                errors.append(StrategyError("chart ref `\(chart.ref)` must be `oci://…`, `repo/name` (with `repo`) or a path", at: c.mark))
            }
        } else {
            errors.append(StrategyError("helm step `\(step)` needs a `chart`", at: node.mark))
        }
        let files = r.strings("values", errors: &errors).map { PathRef(path: $0.0, resolved: join(folder, $0.0), mark: $0.1) }
        var set: [(String, Value)] = []
        if let s = r.node("set") {
            let sr = MapReader(s, context: "`set` of `\(step)`", errors: &errors)
            for (k, v) in sr.pairs {
                do { set.append((k, try v.resolve())) } catch {
                    errors.append(StrategyError("`set.\(k)`: \(error)", at: v.mark))
                }
            }
        }
        var expect: [Expectation] = []
        for e in r.list("expect", errors: &errors) {
            let er = MapReader(e, context: "an expectation", errors: &errors)
            guard let kind = er.string("kind", required: true, errors: &errors),
                let name = er.string("name", required: true, errors: &errors)
            else { continue }
            var fields: [(String, Value)] = []
            for (k, v) in er.pairs where k != "kind" && k != "name" {
                if let val = try? v.resolve() { fields.append((k, val)) }
            }
            expect.append(Expectation(kind: kind, name: name, fields: fields, mark: e.mark))
        }
        return HelmRelease(
            release: release, namespace: namespace,
            createNamespace: r.bool("createNamespace", errors: &errors) ?? true,
            chart: chart, valuesFiles: files, set: set,
            primary: r.bool("primary", errors: &errors) ?? false, expect: expect, mark: node.mark)
    }

    static func readManifests(_ node: Node, step: String, folder: String, raw: RawScalars, errors: inout [StrategyError]) -> ManifestSet {
        let r = MapReader(node, context: "manifests step `\(step)`", errors: &errors)
        r.checkKeys(manifestKeys, errors: &errors)
        let files = r.strings("files", errors: &errors).map { PathRef(path: $0.0, resolved: join(folder, $0.0), mark: $0.1) }
        if files.isEmpty { errors.append(StrategyError("manifests step `\(step)` needs `files`", at: node.mark)) }
        var app: TestApp?
        if let a = r.string("app", errors: &errors) {
            app = TestApp(rawValue: a)
            if app == nil {
                errors.append(
                    StrategyError(
                        "unknown test app role `\(a)`", at: r.node("app")?.mark,
                        hint: Suggest.didYouMean(a, in: TestApp.allCases.map(\.rawValue))))
            }
        }
        let namespace = r.string("namespace", errors: &errors) ?? "default"
        DNSNames.check(namespace, field: "namespace", of: "manifests step `\(step)`", node: r.node("namespace"), raw: raw, fallback: node.mark, errors: &errors)
        return ManifestSet(files: files, namespace: namespace, app: app, mark: node.mark)
    }

    static func readVerify(_ node: Node, errors: inout [StrategyError]) -> [VerifyRule] {
        guard case .sequence(let items) = node.kind else {
            errors.append(StrategyError("`verify` must be a list", at: node.mark))
            return []
        }
        let kinds = ["daemonSet", "statefulSet", "deployment", "service"]
        var out: [VerifyRule] = []
        for item in items {
            let r = MapReader(item, context: "a verify rule", errors: &errors)
            r.checkKeys(kinds, errors: &errors)
            guard r.pairs.count == 1, let (kind, body) = r.pairs.first, kinds.contains(kind) else {
                if r.pairs.count != 1 { errors.append(StrategyError("a verify rule names exactly one of: \(kinds.joined(separator: ", "))", at: item.mark)) }
                continue
            }
            let b = MapReader(body, context: "verify `\(kind)`", errors: &errors)
            let allowed = ["name", "namespace"] + (kind == "statefulSet" ? ["replicas"] : kind == "service" ? ["internalTrafficPolicy"] : [])
            b.checkKeys(allowed, errors: &errors)
            let name = b.string("name", required: true, errors: &errors) ?? ""
            let ns = b.string("namespace", errors: &errors) ?? "default"
            switch kind {
            case "daemonSet": out.append(.daemonSet(name: name, namespace: ns, mark: item.mark))
            case "statefulSet":
                let n = b.int("replicas", errors: &errors) ?? 1
                out.append(.statefulSet(name: name, namespace: ns, replicas: n, mark: item.mark))
            case "deployment": out.append(.deployment(name: name, namespace: ns, mark: item.mark))
            default: out.append(.service(name: name, namespace: ns, internalTrafficPolicy: b.string("internalTrafficPolicy", errors: &errors), mark: item.mark))
            }
        }
        return out
    }

    static func readTest(_ node: Node, steps: [Step], errors: inout [StrategyError]) -> TestSpec? {
        let r = MapReader(node, context: "`test`", errors: &errors)
        r.checkKeys(testKeys, errors: &errors)
        let messages = r.int("messages", errors: &errors) ?? 10
        if messages < 1 { errors.append(StrategyError("`test.messages` must be at least 1", at: r.node("messages")?.mark)) }
        let recv = r.string("receiver", required: true, errors: &errors) ?? ""
        let send = r.string("sender", required: true, errors: &errors) ?? ""
        for (key, s) in [("receiver", recv), ("sender", send)] where !s.isEmpty {
            guard let st = steps.first(where: { $0.name == s }) else {
                errors.append(
                    StrategyError(
                        "`test.\(key)` names step `\(s)`, which does not exist", at: r.node(key)?.mark,
                        hint: Suggest.didYouMean(s, in: steps.map(\.name))))
                continue
            }
            guard case .manifests = st.action else {
                errors.append(StrategyError("`test.\(key)` must name a manifests step; `\(s)` is a \(st.kindName) step", at: r.node(key)?.mark))
                continue
            }
        }
        return TestSpec(
            messages: messages, receiverStep: recv, senderStep: send,
            timeoutSeconds: r.seconds("timeout", errors: &errors) ?? 120, mark: node.mark)
    }

    /// Unique names, known dependencies, no cycles.
    static func checkSteps(_ steps: [Step], errors: inout [StrategyError]) {
        var seen: [String: Mark] = [:]
        for s in steps {
            if let first = seen[s.name] {
                errors.append(StrategyError("step `\(s.name)` is defined twice (first at \(first))", at: s.mark))
            }
            seen[s.name] = s.mark
        }
        let names = steps.map(\.name)
        for s in steps {
            for n in s.needs where !names.contains(n) {
                errors.append(
                    StrategyError(
                        "step `\(s.name)` needs `\(n)`, which is not a step", at: s.mark,
                        hint: Suggest.didYouMean(n, in: names)))
            }
            if s.needs.contains(s.name) { errors.append(StrategyError("step `\(s.name)` needs itself", at: s.mark)) }
        }
        if let cycle = StepOrder.findCycle(steps) {
            let first = steps.first { $0.name == cycle[0] }
            errors.append(
                StrategyError(
                    "steps depend on each other in a cycle: \(cycle.joined(separator: " → "))", at: first?.mark,
                    hint: "remove one of these `needs`"))
        }
    }

    static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return file[..<slash].isEmpty ? "/" : String(file[..<slash])
    }

    static func join(_ folder: String, _ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var parts = folder.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for p in path.split(separator: "/") {
            if p == "." { continue }
            if p == "..", let last = parts.last, !last.isEmpty, last != ".." { parts.removeLast(); continue }
            parts.append(String(p))
        }
        let joined = parts.joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }
}
