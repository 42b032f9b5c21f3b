import Foundation
import KubeTarget
import Placement
import Strategy
import Testing
import YAML

/// The pure converters from API objects to the placement model and verify's views.
@Suite struct VerifyConverterTests {
    func json(_ s: String) throws -> Value { try Value(json: s) }

    @Test func nodeWithTaintsConditionsAndCordon() throws {
        let v = try json(
            """
            {"metadata":{"name":"w2","labels":{"gpu":"a100"},"creationTimestamp":"2026-01-01T00:00:00Z"},
             "spec":{"unschedulable":true,"taints":[{"key":"dedicated","value":"gpu","effect":"NoSchedule"},{"key":"soft","effect":"PreferNoSchedule"},{"key":"odd","effect":"Weird"}]},
             "status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletNotReady","message":"runtime down"},{"type":"MemoryPressure","status":"True"}]}}
            """)
        let now = try #require(LiveObjects.parseTime("2026-01-01T00:01:40Z"))
        let n = LiveObjects.node(v, now: now)
        #expect(n.name == "w2")
        #expect(n.info.labels["gpu"] == "a100")
        #expect(!n.info.ready)
        #expect(n.info.unschedulable)
        #expect(n.notReadyWhy == "KubeletNotReady: runtime down")
        #expect(n.ageSeconds == 100)
        let taints = Set(n.info.taints.map(\.description))
        // The node's own taints (an unknown effect dropped) plus the lifecycle controller's.
        #expect(
            taints == [
                "dedicated=gpu:NoSchedule", "soft:PreferNoSchedule", "node.kubernetes.io/not-ready:NoSchedule",
                "node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/memory-pressure:NoSchedule",
                "node.kubernetes.io/unschedulable:NoSchedule"
            ])
    }

    @Test func placementSpecFromATemplate() throws {
        let spec = LiveObjects.placementSpec(
            podSpec: try json(
                """
                {"nodeSelector":{"kubernetes.io/os":"linux"},"hostNetwork":true,
                 "tolerations":[{"key":"dedicated","operator":"Equal","value":"gpu","effect":"NoSchedule"},{"operator":"Exists"}],
                 "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]}]}}}}
                """))
        #expect(spec.nodeSelector == ["kubernetes.io/os": "linux"])
        #expect(spec.hostNetwork)
        #expect(spec.tolerations.count == 2)
        #expect(spec.tolerations[0].tolerates(Taint(key: "dedicated", value: "gpu", effect: .noSchedule)))
        #expect(spec.tolerations[1].key == nil && spec.tolerations[1].operator == .exists)
        #expect(spec.requiredAffinity?.nodeSelectorTerms.first?.matchExpressions.first?.values == ["a", "b"])
        #expect(spec.nodeName == nil)

        // The converted spec drives the real placement rules: the toleration lets w1 in, the affinity keeps w3 out.
        let nodes = [
            NodeInfo(name: "w1", labels: ["kubernetes.io/os": "linux", "zone": "a"], taints: [Taint(key: "dedicated", value: "gpu", effect: .noSchedule)]),
            NodeInfo(name: "w3", labels: ["kubernetes.io/os": "linux", "zone": "c"])
        ]
        let decisions = Placement.daemonSet(nodes: nodes, pod: spec)
        #expect(decisions.map(\.shouldRun) == [true, false])
        #expect(decisions[1].reasons.first?.contains("zone In [a,b]") == true, "\(decisions[1].reasons)")
    }

    @Test func crashLoopingPod() throws {
        let p = LiveObjects.pod(
            try json(
                """
                {"metadata":{"name":"slim-x7k2p","namespace":"slim","labels":{"controller-revision-hash":"abc"},
                   "ownerReferences":[{"kind":"DaemonSet","name":"slim","uid":"u1","controller":true}]},
                 "spec":{"nodeName":"w1","containers":[{"name":"slim","image":"ghcr.io/agntcy/slim:1.4.0"}]},
                 "status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}],
                   "containerStatuses":[{"name":"slim","ready":false,"restartCount":4,"image":"ghcr.io/agntcy/slim:1.4.0",
                     "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 40s"}},"lastState":{"terminated":{"exitCode":1,"reason":"Error"}}}]}}
                """))
        #expect(p.owner == "DaemonSet/slim")
        #expect(p.node == "w1")
        #expect(!p.ready)
        #expect(p.restarts == 4)
        #expect(p.reason == "CrashLoopBackOff")
        #expect(p.crashed)
        #expect(p.failingContainer == "slim")
        #expect(p.status == "CrashLoopBackOff")
    }

    @Test func unboundDaemonSetPodNamesItsNodeAndImagePullNamesTheImage() throws {
        let p = LiveObjects.pod(
            try json(
                """
                {"metadata":{"name":"slim-q","namespace":"slim","deletionTimestamp":null},
                 "spec":{"containers":[{"name":"slim","image":"ghcr.io/agntcy/slim:nope"}],
                   "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["w9"]}]}]}}}},
                 "status":{"phase":"Pending","containerStatuses":[{"name":"slim","ready":false,"restartCount":0,"state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image"}}}]}}
                """))
        #expect(p.node == "w9")
        #expect(p.reason == "ImagePullBackOff")
        #expect(p.image == "ghcr.io/agntcy/slim:nope", "the image comes from the spec when the status has none")
        #expect(!p.crashed)
    }

    @Test func unschedulablePodSaysWhy() throws {
        let p = LiveObjects.pod(
            try json(
                """
                {"metadata":{"name":"web-0","namespace":"x"},"spec":{"containers":[{"name":"c","image":"i"}]},
                 "status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available"}]}}
                """))
        #expect(p.reason == "Unschedulable")
        #expect(p.message == "0/3 nodes are available")
        #expect(p.node.isEmpty)
    }

    @Test func daemonSetRevisionPrefersControllerRevisions() throws {
        let ds = try json(#"{"metadata":{"name":"slim","uid":"u1","generation":3}}"#)
        let revisions = try [
            json(
                #"{"metadata":{"name":"slim-old","labels":{"controller-revision-hash":"old"},"ownerReferences":[{"uid":"u1","controller":true}]},"revision":1}"#
            ),
            json(
                #"{"metadata":{"name":"slim-new","labels":{"controller-revision-hash":"new"},"ownerReferences":[{"uid":"u1","controller":true}]},"revision":2}"#
            ),
            json(#"{"metadata":{"name":"other","labels":{"controller-revision-hash":"zzz"},"ownerReferences":[{"uid":"u2","controller":true}]},"revision":9}"#)
        ]
        let r = DaemonSetRevision.of(ds, revisions: revisions)
        #expect(r.hash == "new")
        #expect(r.templateGeneration == nil)
        func pod(_ labels: [String: String]) -> LivePod {
            LivePod(
                name: "p", namespace: "n", node: "w", phase: "Running", ready: true, deleting: false, restarts: 0, crashed: false,
                labels: labels, ageSeconds: 0)
        }
        #expect(r.isCurrent(pod(["controller-revision-hash": "new"])))
        #expect(!r.isCurrent(pod(["controller-revision-hash": "old", "pod-template-generation": "3"])))

        // The annotation the API server keeps counts too (either matches, as in IsPodUpdated).
        let annotated = try json(#"{"metadata":{"name":"slim","uid":"u1","generation":5,"annotations":{"deprecated.daemonset.template.generation":"4"}}}"#)
        let a = DaemonSetRevision.of(annotated, revisions: revisions)
        #expect(a.isCurrent(pod(["controller-revision-hash": "old", "pod-template-generation": "4"])))
        // No revision objects and no annotation: metadata.generation is the template version.
        let bare = DaemonSetRevision.of(try json(#"{"metadata":{"name":"slim","uid":"u9","generation":2}}"#), revisions: revisions)
        #expect(bare.templateGeneration == 2)
        #expect(bare.isCurrent(pod(["pod-template-generation": "2"])))
        #expect(!bare.isCurrent(pod(["pod-template-generation": "1"])))
    }

    @Test func liveStateAppliesEventsAndRelists() throws {
        var s = LiveState()
        let a = try json(#"{"metadata":{"name":"a","namespace":"slim","resourceVersion":"1"}}"#)
        let b = try json(#"{"metadata":{"name":"b","namespace":"slim","resourceVersion":"2"}}"#)
        let other = try json(#"{"metadata":{"name":"c","namespace":"other","resourceVersion":"3"}}"#)
        s.apply(kind: "Pod", namespace: "slim", .added(a))
        s.apply(kind: "Pod", namespace: "other", .added(other))
        #expect(s.all("Pod", namespace: "slim").count == 1)
        let changes = s.apply(kind: "Pod", namespace: "slim", .relisted([b]))
        #expect(changes.count == 2, "a went away, b arrived")
        #expect(s.object("Pod", "slim", "a") == nil)
        #expect(s.object("Pod", "slim", "b") != nil)
        #expect(s.object("Pod", "other", "c") != nil, "a relist of one namespace leaves the others alone")
        let gone = s.apply(kind: "Pod", namespace: "slim", .deleted(b))
        #expect(gone.first?.old != nil && gone.first?.new == nil)
    }

    @Test func changeLines() throws {
        let pending = try json(
            #"{"metadata":{"name":"slim-a","namespace":"slim"},"spec":{"nodeName":"w3"},"status":{"phase":"Pending","containerStatuses":[{"name":"c","state":{"waiting":{"reason":"ContainerCreating"}}}]}}"#
        )
        let ready = try json(
            #"{"metadata":{"name":"slim-a","namespace":"slim"},"spec":{"nodeName":"w3"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"c","ready":true,"state":{"running":{}}}]}}"#
        )
        #expect(LiveChanges.describe(kind: "Pod", old: nil, new: pending)?.text == "pod slim/slim-a scheduled on w3 (ContainerCreating)")
        #expect(LiveChanges.describe(kind: "Pod", old: pending, new: ready)?.text == "pod slim/slim-a on w3: Ready")
        #expect(LiveChanges.describe(kind: "Pod", old: ready, new: ready) == nil, "no visible change, no line")
        let node = try json(#"{"metadata":{"name":"w3"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#)
        let down = try json(#"{"metadata":{"name":"w3"},"status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletNotReady"}]}}"#)
        #expect(LiveChanges.describe(kind: "Node", old: nil, new: node)?.text == "node w3 joined (Ready)")
        #expect(LiveChanges.describe(kind: "Node", old: node, new: down)?.text == "node w3 NotReady (KubeletNotReady)")
    }

    @Test func evaluateExplainsAMissingWorkloadAndAServicePolicy() throws {
        var s = LiveState()
        s.apply(
            kind: "Service", namespace: "slim",
            .added(
                try json(
                    #"{"metadata":{"name":"slim-local","namespace":"slim"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.9","ports":[{"port":46357,"protocol":"TCP"}]}}"#
                )))
        let mark = Mark(file: "t", line: 1, column: 1)
        let rules = KubeVerify.evaluate(
            [
                .service(name: "slim-local", namespace: "slim", internalTrafficPolicy: "Local", mark: mark),
                .deployment(name: "slim-control", namespace: "slim", mark: mark)
            ], state: s)
        #expect(
            rules[0].problems == [
                "Service slim-local has internalTrafficPolicy Cluster, the strategy declares Local (callers would reach SLIM nodes on other nodes)"
            ])
        #expect(rules[1].problems.first?.contains("Deployment slim-control not found in namespace slim") == true)
    }
}
