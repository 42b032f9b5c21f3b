import Foundation
import Testing

@testable import Placement

/// The types decode the Kubernetes JSON shapes the Kube module will hand over.
@Test func decodesKubernetesShapes() throws {
    let json = """
        {
          "taints": [
            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
            {"key": "dedicated", "value": "gpu", "effect": "NoExecute", "timeAdded": "2024-01-01T00:00:00Z"}
          ],
          "tolerations": [
            {"operator": "Exists"},
            {"key": "dedicated", "value": "gpu", "effect": ""},
            {"key": "x", "operator": "Lt", "value": "3"}
          ],
          "affinity": {
            "nodeSelectorTerms": [
              {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]},
                                    {"key": "gpu", "operator": "Exists"}]},
              {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["w1"]}]}
            ]
          }
        }
        """
    struct Shape: Decodable {
        let taints: [Taint]
        let tolerations: [Toleration]
        let affinity: NodeAffinity
    }
    let shape = try JSONDecoder().decode(Shape.self, from: Data(json.utf8))
    #expect(
        shape.taints == [
            Taint(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule),
            Taint(key: "dedicated", value: "gpu", effect: .noExecute)
        ])
    #expect(shape.tolerations[0] == Toleration(operator: .exists))
    #expect(shape.tolerations[1] == Toleration(key: "dedicated", operator: .equal, value: "gpu"))
    #expect(shape.tolerations[2].operator.rawValue == "Lt")
    #expect(shape.affinity.nodeSelectorTerms.count == 2)
    #expect(shape.affinity.nodeSelectorTerms[0].matchExpressions[1] == NodeSelectorRequirement(key: "gpu", operator: .exists))
    #expect(shape.affinity.nodeSelectorTerms[1].matchFields == [NodeSelectorRequirement(key: "metadata.name", operator: .in, values: ["w1"])])
}

@Test func roundTripsThroughJSON() throws {
    let pod = PodPlacementSpec(
        nodeSelector: ["kubernetes.io/os": "linux"],
        requiredAffinity: NodeAffinity(nodeSelectorTerms: [
            NodeSelectorTerm(matchExpressions: [
                NodeSelectorRequirement(key: "cores", operator: .gt, values: ["2"])
            ])
        ]),
        tolerations: [Toleration(key: "a", operator: .exists, effect: .noExecute, tolerationSeconds: 30)],
        hostNetwork: true)
    let back = try JSONDecoder().decode(PodPlacementSpec.self, from: JSONEncoder().encode(pod))
    #expect(back == pod)
    let nodes = Placement.kindNodes(clusterName: "c", roles: [.controlPlane, .worker])
    #expect(try JSONDecoder().decode([NodeInfo].self, from: JSONEncoder().encode(nodes)) == nodes)
}

@Test func rejectsUnknownTolerationEffect() {
    let json = #"{"key": "k", "effect": "Sometimes"}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(Toleration.self, from: Data(json.utf8)) }
}
