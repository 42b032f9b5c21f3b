import Testing

@testable import Local

/// Service addresses the apps use, resolved to local SLIM node ports as kube-proxy would route.
@Suite struct ServiceMapTests {
    func map(meshed: Bool) -> ServiceMap {
        var m = ServiceMap()
        m.register(name: "slim", namespace: "slim", routing: .nodeLocal, origin: "the slim chart")
        m.register(name: "slim-any", namespace: "slim", routing: .anyNode, origin: "step slim-any-node")
        m.byNode = ["w1": 1001, "w2": 1002]
        m.all = [1001, 1002]
        m.meshed = meshed
        return m
    }

    @Test func nodeLocalGoesToTheCallersNodeAnyNodeRoundRobins() throws {
        var m = map(meshed: true)
        #expect(try m.port(host: "slim.slim.svc.cluster.local", node: "w2")?.0 == 1002)
        #expect(try m.port(host: "slim-any.slim.svc.cluster.local", node: "w2")?.0 == 1001)
        #expect(try m.port(host: "slim-any.slim", node: "w2")?.0 == 1002)
        #expect(try m.port(host: "elsewhere.example", node: "w1") == nil, "not a SLIM Service: left alone")
        #expect(throws: LocalError.self) { try m.port(host: "slim", node: "control-plane") }
    }

    @Test func unmeshedNodesSendAnyNodeTrafficToTheCallersNode() throws {
        var m = map(meshed: false)
        #expect(try m.port(host: "slim-any", node: "w2")?.0 == 1002)
        #expect(try m.port(host: "slim-any", node: "w2")?.0 == 1002)
        #expect(try m.port(host: "slim-any", node: "control-plane")?.0 == 1001, "no SLIM node there: the first one")
    }

    @Test func routingFollowsInternalTrafficPolicy() {
        #expect(ServiceMap.Routing(internalTrafficPolicy: "Local") == .nodeLocal)
        #expect(ServiceMap.Routing(internalTrafficPolicy: "Cluster") == .anyNode)
        #expect(ServiceMap.Routing(internalTrafficPolicy: nil) == .anyNode)
    }
}
