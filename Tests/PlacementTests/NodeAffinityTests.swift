import Testing

@testable import Placement

struct RequirementCase: Sendable, CustomTestStringConvertible {
    let requirement: NodeSelectorRequirement
    let labels: [String: String]
    let matches: Bool
    var testDescription: String { "\(requirement) on \(labels.sorted { $0.key < $1.key })" }
}

private func req(_ key: String, _ op: NodeSelectorOperator, _ values: [String] = []) -> NodeSelectorRequirement {
    NodeSelectorRequirement(key: key, operator: op, values: values)
}

/// `labels.Requirement.Matches` for every operator, including the absent-label and
/// non-integer corners.
let requirementCases: [RequirementCase] = [
    .init(requirement: req("zone", .in, ["a", "b"]), labels: ["zone": "a"], matches: true),
    .init(requirement: req("zone", .in, ["a", "b"]), labels: ["zone": "c"], matches: false),
    .init(requirement: req("zone", .in, ["a", "b"]), labels: [:], matches: false),
    .init(requirement: req("zone", .in, [""]), labels: ["zone": ""], matches: true),
    .init(requirement: req("zone", .notIn, ["a", "b"]), labels: ["zone": "c"], matches: true),
    .init(requirement: req("zone", .notIn, ["a", "b"]), labels: ["zone": "b"], matches: false),
    .init(requirement: req("zone", .notIn, ["a"]), labels: [:], matches: true),
    .init(requirement: req("gpu", .exists), labels: ["gpu": ""], matches: true),
    .init(requirement: req("gpu", .exists), labels: ["cpu": "x"], matches: false),
    .init(requirement: req("gpu", .doesNotExist), labels: [:], matches: true),
    .init(requirement: req("gpu", .doesNotExist), labels: ["gpu": "true"], matches: false),
    .init(requirement: req("cores", .gt, ["4"]), labels: ["cores": "8"], matches: true),
    .init(requirement: req("cores", .gt, ["4"]), labels: ["cores": "4"], matches: false),
    .init(requirement: req("cores", .gt, ["4"]), labels: ["cores": "+5"], matches: true),
    .init(requirement: req("cores", .gt, ["4"]), labels: ["cores": "many"], matches: false),
    .init(requirement: req("cores", .gt, ["4"]), labels: ["cores": "8.5"], matches: false),
    .init(requirement: req("cores", .gt, ["4"]), labels: ["cores": " 8"], matches: false),
    .init(requirement: req("cores", .gt, ["4"]), labels: ["cores": "99999999999999999999"], matches: false),
    .init(requirement: req("cores", .gt, ["4"]), labels: [:], matches: false),
    .init(requirement: req("cores", .lt, ["4"]), labels: ["cores": "3"], matches: true),
    .init(requirement: req("cores", .lt, ["4"]), labels: ["cores": "4"], matches: false),
    .init(requirement: req("cores", .lt, ["4"]), labels: ["cores": "0x2"], matches: false),
    .init(requirement: req("cores", .lt, ["4"]), labels: [:], matches: false)
]

@Test(arguments: requirementCases)
func requirementMatches(_ c: RequirementCase) {
    let affinity = NodeAffinity(nodeSelectorTerms: [NodeSelectorTerm(matchExpressions: [c.requirement])])
    #expect((affinity.mismatch(nodeName: "n", labels: c.labels) == nil) == c.matches)
}

struct InvalidCase: Sendable, CustomTestStringConvertible {
    let requirement: NodeSelectorRequirement
    let asField: Bool
    var testDescription: String { "\(asField ? "field" : "label") \(requirement.key) \(requirement.operator) \(requirement.values)" }
}

/// Requirements `labels.NewRequirement` / `nodeSelectorRequirementsAsFieldSelector` reject: the
/// term never matches, even where the labels would otherwise satisfy it.
let invalidCases: [InvalidCase] = [
    .init(requirement: req("zone", .in), asField: false),
    .init(requirement: req("zone", .notIn), asField: false),
    .init(requirement: req("zone", .exists, ["a"]), asField: false),
    .init(requirement: req("zone", .doesNotExist, ["a"]), asField: false),
    .init(requirement: req("cores", .gt, ["four"]), asField: false),
    .init(requirement: req("cores", .lt, ["1", "2"]), asField: false),
    .init(requirement: req("zone", NodeSelectorOperator(rawValue: "Matches"), ["a"]), asField: false),
    // Found by the simulator differential test: `labels.NewRequirement` also checks the key and
    // every value's label syntax, so a negative bound (not a label value) fails its term.
    .init(requirement: req("cores", .gt, ["-2"]), asField: false),
    .init(requirement: req("cores", .lt, ["+9"]), asField: false),
    .init(requirement: req("zone", .notIn, ["not a value"]), asField: false),
    .init(requirement: req("bad key", .doesNotExist), asField: false),
    .init(requirement: req("metadata.name", .in, ["a", "b"]), asField: true),
    .init(requirement: req("metadata.name", .exists), asField: true)
]

@Test(arguments: invalidCases)
func invalidRequirementFailsItsTerm(_ c: InvalidCase) throws {
    // A second, valid requirement that holds, so only the parse error can fail the term.
    let holds = req("zone", .notIn, ["nowhere"])
    let term =
        c.asField
        ? NodeSelectorTerm(matchExpressions: [holds], matchFields: [c.requirement])
        : NodeSelectorTerm(matchExpressions: [holds, c.requirement])
    let why = NodeAffinity(nodeSelectorTerms: [term]).mismatch(nodeName: "a", labels: ["zone": "a", "cores": "8"])
    let text = try #require(why)
    #expect(text.contains("invalid:"))
    // ORed with a valid matching term, the node still fits (the parse error is not fatal).
    let ored = NodeAffinity(nodeSelectorTerms: [term, NodeSelectorTerm(matchExpressions: [holds])])
    #expect(ored.mismatch(nodeName: "a", labels: ["zone": "a", "cores": "8"]) == nil)
}

@Test func termsAreOredAndExpressionsAnded() {
    let term1 = NodeSelectorTerm(matchExpressions: [req("zone", .in, ["a"]), req("gpu", .exists)])
    let term2 = NodeSelectorTerm(matchExpressions: [req("zone", .in, ["b"])])
    let affinity = NodeAffinity(nodeSelectorTerms: [term1, term2])
    #expect(affinity.mismatch(nodeName: "n", labels: ["zone": "a", "gpu": ""]) == nil)
    #expect(affinity.mismatch(nodeName: "n", labels: ["zone": "b"]) == nil)
    #expect(
        affinity.mismatch(nodeName: "n", labels: ["zone": "a"])
            == "node affinity: no term matches (term 1: gpu Exists; node has no label gpu | term 2: zone In [b]; node has zone=a)")
}

@Test func singleTermExplanation() {
    let affinity = NodeAffinity(nodeSelectorTerms: [NodeSelectorTerm(matchExpressions: [req("zone", .in, ["a", "b"])])])
    #expect(
        affinity.mismatch(nodeName: "n", labels: ["zone": "c"])
            == "node affinity: no term matches (zone In [a,b]; node has zone=c)")
    let gt = NodeAffinity(nodeSelectorTerms: [NodeSelectorTerm(matchExpressions: [req("cores", .gt, ["4"])])])
    #expect(
        gt.mismatch(nodeName: "n", labels: ["cores": "many"])
            == "node affinity: no term matches (cores Gt 4; node has cores=many (not an integer))")
}

@Test func emptyTermsMatchNothing() {
    #expect(NodeAffinity(nodeSelectorTerms: []).mismatch(nodeName: "n", labels: [:]) != nil)
    #expect(
        NodeAffinity(nodeSelectorTerms: [NodeSelectorTerm()]).mismatch(nodeName: "n", labels: [:])
            == "node affinity: no term matches (empty term matches nothing)")
    // An empty term next to a matching one is simply skipped.
    let mixed = NodeAffinity(nodeSelectorTerms: [NodeSelectorTerm(), NodeSelectorTerm(matchExpressions: [req("a", .doesNotExist)])])
    #expect(mixed.mismatch(nodeName: "n", labels: [:]) == nil)
}

@Test func matchFieldsByNodeName() {
    let pin = NodeAffinity(nodeSelectorTerms: [NodeSelectorTerm(matchFields: [req("metadata.name", .in, ["worker-1"])])])
    #expect(pin.mismatch(nodeName: "worker-1", labels: [:]) == nil)
    #expect(
        pin.mismatch(nodeName: "worker-2", labels: [:])
            == "node affinity: no term matches (metadata.name In [worker-1]; node is worker-2)")
    let avoid = NodeAffinity(nodeSelectorTerms: [NodeSelectorTerm(matchFields: [req("metadata.name", .notIn, ["worker-1"])])])
    #expect(avoid.mismatch(nodeName: "worker-1", labels: [:]) != nil)
    #expect(avoid.mismatch(nodeName: "worker-2", labels: [:]) == nil)
    // Fields and expressions of one term are ANDed.
    let both = NodeAffinity(nodeSelectorTerms: [
        NodeSelectorTerm(
            matchExpressions: [req("zone", .in, ["a"])],
            matchFields: [req("metadata.name", .in, ["w"])])
    ])
    #expect(both.mismatch(nodeName: "w", labels: ["zone": "a"]) == nil)
    #expect(both.mismatch(nodeName: "w", labels: ["zone": "b"]) != nil)
    #expect(both.mismatch(nodeName: "x", labels: ["zone": "a"]) != nil)
    // A field nodes do not have reads as "".
    let other = NodeAffinity(nodeSelectorTerms: [NodeSelectorTerm(matchFields: [req("metadata.uid", .in, ["u"])])])
    #expect(other.mismatch(nodeName: "w", labels: [:]) == "node affinity: no term matches (metadata.uid In [u]; node has no field metadata.uid)")
}
