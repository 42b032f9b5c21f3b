import Foundation
import Kube
import KubeSim
import Testing
import YAML

/// The storage, EndpointSlice and dry-run behaviour behind the chart kinds, case by case
/// through the API.
@Suite("simulated storage, EndpointSlices and dry runs")
struct StorageAndSliceTests {
    func post(_ h: HelmSession, _ path: String, _ yaml: String) async throws -> Value {
        let r = try await h.raw("POST", path, body: try YAML.load(yaml, file: "body.yaml"))
        try #require(r.status == 201, "POST \(path): \(r.status) \(r.body)")
        return try Value(json: r.body)
    }

    @Test func claimsBindByClassMode() async throws {
        try await withHelm { h in
            let sc = try #require(try await h.get("/apis/storage.k8s.io/v1/storageclasses/standard"))
            #expect(sc.lookup(["metadata", "annotations", "storageclass.kubernetes.io/is-default-class"])?.stringValue == "true")
            // WaitForFirstConsumer: no pod, no volume.
            let waiting = try await post(
                h, "/api/v1/namespaces/default/persistentvolumeclaims",
                """
                {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: waits}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}}
                """)
            #expect(waiting.lookup(["spec", "storageClassName"])?.stringValue == "standard")
            #expect(waiting.lookup(["status", "phase"])?.stringValue == "Pending")
            // An Immediate class binds at once.
            _ = try await post(
                h, "/apis/storage.k8s.io/v1/storageclasses",
                """
                {apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: fast}, provisioner: rancher.io/local-path, volumeBindingMode: Immediate}
                """)
            _ = try await post(
                h, "/api/v1/namespaces/default/persistentvolumeclaims",
                """
                {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: now}, spec: {storageClassName: fast, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}
                """)
            try await h.eventually("the Immediate claim bound") {
                try await h.get("/api/v1/namespaces/default/persistentvolumeclaims/now")?.lookup(["status", "phase"])?.stringValue == "Bound"
            }
            let bound = try #require(try await h.get("/api/v1/namespaces/default/persistentvolumeclaims/now"))
            #expect(bound.lookup(["status", "capacity", "storage"])?.stringValue == "1Gi")
            let events = try await h.items("/api/v1/namespaces/default/events")
            #expect(events.contains { $0["reason"]?.stringValue == "WaitForFirstConsumer" && $0.lookup(["involvedObject", "name"])?.stringValue == "waits" })
            #expect(try await h.get("/api/v1/namespaces/default/persistentvolumeclaims/waits")?.lookup(["status", "phase"])?.stringValue == "Pending")
            // A claim of a class that does not exist stays Pending.
            _ = try await post(
                h, "/api/v1/namespaces/default/persistentvolumeclaims",
                """
                {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: lost}, spec: {storageClassName: nope, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}
                """)
            #expect(try await h.items("/api/v1/persistentvolumes").count == 1)
            let invalid = try await h.raw(
                "POST", "/api/v1/namespaces/default/persistentvolumeclaims",
                body: try YAML.load(
                    "{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: bad}, spec: {resources: {requests: {storage: 1Gi}}}}", file: "b"))
            #expect(invalid.status == 422, "\(invalid.body)")
        }
    }

    @Test func slicesFollowPodsAndResolveNamedPorts() async throws {
        try await withHelm { h in
            h.server.cluster.setBehavior(podPrefix: "web-1", .neverReady)
            _ = try await post(
                h, "/api/v1/namespaces/default/services",
                """
                {apiVersion: v1, kind: Service, metadata: {name: web, labels: {team: a}},
                 spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}, {name: admin, port: 9000, targetPort: 9001}]}}
                """)
            let selector = "labelSelector=kubernetes.io/service-name%3Dweb"
            try await h.eventually("the placeholder slice") {
                try await h.items("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?\(selector)").count == 1
            }
            let placeholder = try #require(try await h.items("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?\(selector)").first)
            #expect(placeholder["endpoints"]?.listValue?.isEmpty == true)
            #expect(placeholder.lookup(["metadata", "labels", "team"])?.stringValue == "a")
            for i in 0..<2 {
                _ = try await post(
                    h, "/api/v1/namespaces/default/pods",
                    """
                    {apiVersion: v1, kind: Pod, metadata: {name: web-\(i), labels: {app: web}},
                     spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 8080}]}]}}
                    """)
            }
            try await h.eventually("one ready and one not-ready endpoint") {
                let eps = try await h.items("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?\(selector)").flatMap {
                    $0["endpoints"]?.listValue ?? []
                }
                let ready = eps.map { $0.lookup(["conditions", "ready"])?.boolValue }
                return eps.count == 2 && ready.contains(true) && ready.contains(false)
            }
            let slices = try await h.items("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?\(selector)")
            #expect(slices.count == 1)
            let ports = (slices.first?["ports"]?.listValue ?? []).map { "\($0["name"]?.stringValue ?? "")=\($0["port"]?.intValue ?? 0)" }
            #expect(Set(ports) == ["http=8080", "admin=9001"])
            let notReady = try #require(slices.first?["endpoints"]?.listValue?.first { $0.lookup(["conditions", "ready"])?.boolValue == false })
            #expect(notReady.lookup(["targetRef", "name"])?.stringValue == "web-1")
            // The slices go with their Service.
            _ = try await h.raw("DELETE", "/api/v1/namespaces/default/services/web")
            try await h.eventually("the slices deleted") { try await h.items("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices").isEmpty }
        }
    }

    @Test func dryRunStoresNothing() async throws {
        try await withHelm { h in
            let body = configMap("dry", ["a": "1"])
            let r = try await h.raw("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", body: body)
            #expect(r.status == 201)
            #expect(try await h.get("/api/v1/namespaces/default/configmaps/dry") == nil)
            let bad = try await h.raw("POST", "/api/v1/namespaces/default/configmaps?dryRun=Some", body: body)
            #expect(bad.status == 400)
        }
    }
}
