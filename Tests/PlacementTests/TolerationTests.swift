import Testing

@testable import Placement

struct TolerationCase: Sendable, CustomTestStringConvertible {
    let name: String
    let toleration: Toleration
    let taint: Taint
    let tolerated: Bool
    var testDescription: String { name }
}

/// The rules of `ToleratesTaint` (k8s.io/api/core/v1/toleration.go), one row each.
let tolerationCases: [TolerationCase] = [
    .init(
        name: "Equal, same key/value/effect", toleration: Toleration(key: "dedicated", operator: .equal, value: "gpu", effect: .noSchedule),
        taint: Taint(key: "dedicated", value: "gpu", effect: .noSchedule), tolerated: true),
    .init(
        name: "Equal, other value", toleration: Toleration(key: "dedicated", operator: .equal, value: "cpu", effect: .noSchedule),
        taint: Taint(key: "dedicated", value: "gpu", effect: .noSchedule), tolerated: false),
    .init(
        name: "Equal, nil value vs empty taint value", toleration: Toleration(key: "k", operator: .equal, effect: .noSchedule),
        taint: Taint(key: "k", effect: .noSchedule), tolerated: true),
    .init(
        name: "Equal, nil value vs non-empty taint value", toleration: Toleration(key: "k", operator: .equal, effect: .noSchedule),
        taint: Taint(key: "k", value: "v", effect: .noSchedule), tolerated: false),
    .init(
        name: "Exists ignores value", toleration: Toleration(key: "dedicated", operator: .exists, effect: .noSchedule),
        taint: Taint(key: "dedicated", value: "anything", effect: .noSchedule), tolerated: true),
    .init(
        name: "other key", toleration: Toleration(key: "other", operator: .exists),
        taint: Taint(key: "dedicated", value: "gpu", effect: .noSchedule), tolerated: false),
    .init(
        name: "empty effect matches NoExecute", toleration: Toleration(key: "k", operator: .exists),
        taint: Taint(key: "k", effect: .noExecute), tolerated: true),
    .init(
        name: "effect must match when set", toleration: Toleration(key: "k", operator: .exists, effect: .noSchedule),
        taint: Taint(key: "k", effect: .noExecute), tolerated: false),
    .init(
        name: "empty key + Exists matches everything", toleration: Toleration(operator: .exists),
        taint: Taint(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule), tolerated: true),
    .init(
        name: "empty-string key + Exists matches everything", toleration: Toleration(key: "", operator: .exists),
        taint: Taint(key: "x", value: "y", effect: .noExecute), tolerated: true),
    .init(
        name: "empty key + Exists + effect only that effect", toleration: Toleration(operator: .exists, effect: .noSchedule),
        taint: Taint(key: "x", effect: .noExecute), tolerated: false),
    .init(
        name: "empty key + Equal compares values of any key", toleration: Toleration(operator: .equal, value: "v"),
        taint: Taint(key: "x", value: "v", effect: .noSchedule), tolerated: true),
    .init(
        name: "unknown operator tolerates nothing", toleration: Toleration(key: "k", operator: TolerationOperator(rawValue: "Gt"), value: "1"),
        taint: Taint(key: "k", value: "5", effect: .noSchedule), tolerated: false)
]

@Test(arguments: tolerationCases)
func toleratesTaint(_ c: TolerationCase) {
    #expect(c.toleration.tolerates(c.taint) == c.tolerated)
}

@Test func taintDescriptionUsesKubectlSpelling() {
    #expect(Taint(key: "dedicated", value: "gpu", effect: .noSchedule).description == "dedicated=gpu:NoSchedule")
    #expect(
        Taint(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule).description
            == "node-role.kubernetes.io/control-plane:NoSchedule")
}

@Test func controllerAddsItsTolerations() {
    let plain = Placement.daemonPodTolerations([], hostNetwork: false)
    let pairs = Set(plain.map { "\($0.key ?? ""):\($0.effect?.rawValue ?? "")" })
    #expect(
        pairs == [
            "node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute",
            "node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule",
            "node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"
        ])
    #expect(plain.allSatisfy { $0.operator == .exists && $0.tolerationSeconds == nil })

    let host = Placement.daemonPodTolerations([], hostNetwork: true)
    #expect(host.count == plain.count + 1)
    #expect(host.contains { $0.key == "node.kubernetes.io/network-unavailable" && $0.effect == .noSchedule })
}

@Test func controllerReplacesSameIdentityAndKeepsOthers() {
    let mine = [
        // Same key/operator/value/effect as the controller's: replaced, tolerationSeconds dropped.
        Toleration(key: "node.kubernetes.io/not-ready", operator: .exists, effect: .noExecute, tolerationSeconds: 300),
        // Different effect: a separate toleration, kept as is.
        Toleration(key: "node.kubernetes.io/not-ready", operator: .exists, effect: .noSchedule),
        Toleration(key: "dedicated", operator: .equal, value: "gpu", effect: .noSchedule)
    ]
    let all = Placement.daemonPodTolerations(mine, hostNetwork: false)
    #expect(all.count == 8)
    #expect(all[0] == Toleration(key: "node.kubernetes.io/not-ready", operator: .exists, effect: .noExecute))
    #expect(all[1] == mine[1])
    #expect(all[2] == mine[2])
    // Idempotent, as AddOrUpdate is.
    #expect(Placement.daemonPodTolerations(all, hostNetwork: false) == all)
}
