import Foundation
import Kube
import KubeSim
import Testing
import YAML

extension ReleasedCharts {
    /// The released SLIM and SPIRE charts, installed by the real helm with its default validation:
    /// if they install, are listed deployed, create what they render and uninstall cleanly, the
    /// simulator serves every kind they use as kube-apiserver does.
    @Suite("released charts install into the simulated cluster")
    struct RealChartInstallTests {
        /// Installs, checks helm lists it deployed, runs `check`, uninstalls and waits for the
        /// listed objects to go.
        func roundTrip(
            _ h: HelmSession, release: String, chart: String, namespace: String, values: String = "{}\n",
            gone: [String], check: () async throws -> Void
        ) async throws {
            let (code, out, err) = try h.install(release, chart, namespace: namespace, values: values)
            #expect(code == 0, "helm upgrade --install \(chart): \(out)\n\(err)")
            guard code == 0 else { return }
            #expect(try h.releaseStatus(release, namespace: namespace) == "deployed")
            try await check()
            let (ucode, _, uerr) = try h.helm(["uninstall", release, "-n", namespace])
            #expect(ucode == 0, "helm uninstall: \(uerr)")
            #expect(try h.releaseStatus(release, namespace: namespace) == nil)
            for path in gone {
                try await h.eventually("\(path) deleted") { try await h.get(path) == nil }
            }
        }

        /// The Service's EndpointSlice, owned by it, lists its pods ready with their IPs and the
        /// named target ports resolved.
        func expectReadySlice(_ h: HelmSession, namespace: String, service: String, readyPods: Int, port: (String, Int64)) async throws {
            let path = "/apis/discovery.k8s.io/v1/namespaces/\(namespace)/endpointslices?labelSelector=kubernetes.io/service-name%3D\(service)"
            try await h.eventually("\(readyPods) ready endpoints for \(service)") {
                let eps = try await h.items(path).flatMap { $0["endpoints"]?.listValue ?? [] }
                return eps.filter { $0.lookup(["conditions", "ready"])?.boolValue == true }.count == readyPods
            }
            let slices = try await h.items(path)
            let slice = try #require(slices.first)
            #expect(slice.lookup(["metadata", "labels", "endpointslice.kubernetes.io/managed-by"])?.stringValue == "endpointslice-controller.k8s.io")
            #expect(slice.lookup(["metadata", "ownerReferences"])?.listValue?.first?["kind"]?.stringValue == "Service")
            #expect(slice["addressType"]?.stringValue == "IPv4")
            let ports = slice["ports"]?.listValue ?? []
            #expect(ports.contains { $0["name"]?.stringValue == port.0 && $0["port"]?.intValue == port.1 }, "\(ports)")
            let pods = try await h.items("/api/v1/namespaces/\(namespace)/pods")
            for e in slice["endpoints"]?.listValue ?? [] {
                let pod = pods.first { $0.objectName == e.lookup(["targetRef", "name"])?.stringValue }
                #expect(pod != nil)
                #expect(e["addresses"]?.listValue?.first == pod?.lookup(["status", "podIP"]))
                #expect(e["nodeName"] == pod?.lookup(["spec", "nodeName"]))
            }
        }

        @Test func slim14StatefulSet() async throws {
            try await withHelm { h in
                try await roundTrip(
                    h, release: "slim", chart: "slim-1.4.0.tgz", namespace: "slim",
                    gone: ["/apis/apps/v1/namespaces/slim/statefulsets/slim", "/api/v1/namespaces/slim/services/slim"]
                ) {
                    #expect(try await h.get("/apis/apps/v1/namespaces/slim/statefulsets/slim") != nil)
                    // helm's default validation: it read the OpenAPI v3 documents, then let the server validate.
                    let log = h.server.cluster.requestLog
                    #expect(log.contains { $0.hasPrefix("GET /openapi/v3/apis/apps/v1") })
                    #expect(log.contains { $0.hasPrefix("PATCH /apis/apps/v1/namespaces/slim/statefulsets/slim") && $0.contains("fieldValidation=Strict") })
                    try await expectReadySlice(h, namespace: "slim", service: "slim", readyPods: 1, port: ("data-plane-0", 46357))
                }
                #expect(try await h.items("/apis/discovery.k8s.io/v1/namespaces/slim/endpointslices").isEmpty)
            }
        }

        @Test func slim14DaemonSet() async throws {
            try await withHelm { h in
                try await roundTrip(
                    h, release: "slim", chart: "slim-1.4.0.tgz", namespace: "slim", values: "slim:\n  daemonset: true\n",
                    gone: ["/apis/apps/v1/namespaces/slim/daemonsets/slim"]
                ) {
                    let local = try #require(try await h.get("/api/v1/namespaces/slim/services/slim-local"))
                    #expect(local.lookup(["spec", "internalTrafficPolicy"])?.stringValue == "Local")
                    try await expectReadySlice(h, namespace: "slim", service: "slim", readyPods: 2, port: ("data-plane-0", 46357))
                    try await expectReadySlice(h, namespace: "slim", service: "slim-local", readyPods: 2, port: ("data-plane-0", 46357))
                }
            }
        }

        @Test(arguments: ["Deployment", "DaemonSet"])
        func slim22(mode: String) async throws {
            try await withHelm { h in
                try await roundTrip(
                    h, release: "slim", chart: "slim-2.2.0.tgz", namespace: "slim", values: "slim:\n  deploymentMode: \(mode)\n",
                    gone: [
                        "/apis/rbac.authorization.k8s.io/v1/namespaces/slim/roles/slim-peer-discovery",
                        "/apis/rbac.authorization.k8s.io/v1/namespaces/slim/rolebindings/slim-peer-discovery"
                    ]
                ) {
                    let role = try #require(try await h.get("/apis/rbac.authorization.k8s.io/v1/namespaces/slim/roles/slim-peer-discovery"))
                    #expect(role["rules"]?.listValue?.first?["resources"] == .list(["endpointslices"]))
                    let binding = try #require(try await h.get("/apis/rbac.authorization.k8s.io/v1/namespaces/slim/rolebindings/slim-peer-discovery"))
                    #expect(binding.lookup(["roleRef", "name"])?.stringValue == "slim-peer-discovery")
                    let workload = mode == "Deployment" ? "deployments" : "daemonsets"
                    #expect(try await h.get("/apis/apps/v1/namespaces/slim/\(workload)/slim") != nil)
                    try await expectReadySlice(h, namespace: "slim", service: "slim", readyPods: mode == "Deployment" ? 1 : 2, port: ("data-plane-0", 46357))
                }
            }
        }

        @Test(arguments: ["slim-control-plane-1.4.0.tgz", "slim-control-plane-2.2.0.tgz"])
        func controlPlane(chart: String) async throws {
            try await withHelm { h in
                var volume = ""
                try await roundTrip(
                    h, release: "slim-control", chart: chart, namespace: "slim",
                    gone: ["/api/v1/namespaces/slim/persistentvolumeclaims/slim-control-db"]
                ) {
                    let claimPath = "/api/v1/namespaces/slim/persistentvolumeclaims/slim-control-db"
                    try await h.eventually("the controller's claim bound") { try await h.get(claimPath)?.lookup(["status", "phase"])?.stringValue == "Bound" }
                    let pvc = try #require(try await h.get(claimPath))
                    #expect(pvc.lookup(["spec", "storageClassName"])?.stringValue == "standard")
                    volume = pvc.lookup(["spec", "volumeName"])?.stringValue ?? ""
                    let pv = try #require(try await h.get("/api/v1/persistentvolumes/\(volume)"))
                    #expect(pv.lookup(["status", "phase"])?.stringValue == "Bound")
                    #expect(pv.lookup(["spec", "claimRef", "name"])?.stringValue == "slim-control-db")
                    let pod = try #require(try await h.items("/api/v1/namespaces/slim/pods").first)
                    #expect(pvc.lookup(["metadata", "annotations", "volume.kubernetes.io/selected-node"]) == pod.lookup(["spec", "nodeName"]))
                    try await expectReadySlice(h, namespace: "slim", service: "slim-control", readyPods: 1, port: ("north", 50051))
                }
                // The Delete reclaim policy removes the released volume.
                try await h.eventually("the volume deleted") { try await h.get("/api/v1/persistentvolumes/\(volume)") == nil }
            }
        }

        static let spireValues = """
            global:
              spire:
                clusterName: sim
                trustDomain: sim.example
                caSubject: {country: US, organization: O, commonName: cn}
                recommendations: {enabled: true}
                namespaces: {create: true}

            """

        func installSpireCRDs(_ h: HelmSession) async throws {
            let (code, out, err) = try h.install("spire-crds", "spire-crds-0.5.0.tgz", namespace: "spire-crds")
            try #require(code == 0, "spire-crds: \(out)\n\(err)")
            for crd in ["clusterspiffeids", "clusterfederatedtrustdomains", "clusterstaticentries"] {
                try await h.eventually("\(crd) Established") {
                    let c = try await h.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/\(crd).spire.spiffe.io")
                    return c?.conditions["Established"] == "True" && c?.conditions["NamesAccepted"] == "True"
                }
            }
        }

        @Test func spireCRDsThenSpire() async throws {
            try await withHelm { h in
                try await installSpireCRDs(h)
                #expect(try h.releaseStatus("spire-crds", namespace: "spire-crds") == "deployed")
                let crd = try #require(try await h.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterspiffeids.spire.spiffe.io"))
                #expect(crd.lookup(["status", "acceptedNames", "kind"])?.stringValue == "ClusterSPIFFEID")
                // The custom resources are served: discovery, create, get, list.
                let resources = try #require(try await h.get("/apis/spire.spiffe.io/v1alpha1"))
                #expect(
                    Set((resources["resources"]?.listValue ?? []).compactMap { $0["kind"]?.stringValue })
                        == ["ClusterSPIFFEID", "ClusterFederatedTrustDomain", "ClusterStaticEntry"])
                let id = try Value(
                    json: """
                        {"apiVersion": "spire.spiffe.io/v1alpha1", "kind": "ClusterSPIFFEID", "metadata": {"name": "test-id"},
                         "spec": {"spiffeIDTemplate": "spiffe://sim.example/ns/{{ .PodMeta.Namespace }}", "podSelector": {"matchLabels": {"app": "x"}}, "unknownField": 1}}
                        """)
                let created = try await h.raw("POST", "/apis/spire.spiffe.io/v1alpha1/clusterspiffeids", body: id)
                #expect(created.status == 201, "\(created.body)")
                let stored = try #require(try await h.get("/apis/spire.spiffe.io/v1alpha1/clusterspiffeids/test-id"))
                #expect(stored.lookup(["spec", "unknownField"]) == nil, "fields the schema does not declare are pruned")
                #expect(try await h.items("/apis/spire.spiffe.io/v1alpha1/clusterspiffeids").count == 1)
                let bad = try Value(
                    json: #"{"apiVersion": "spire.spiffe.io/v1alpha1", "kind": "ClusterSPIFFEID", "metadata": {"name": "bad"}, "spec": {"podSelector": "x"}}"#)
                let refused = try await h.raw("POST", "/apis/spire.spiffe.io/v1alpha1/clusterspiffeids", body: bad)
                #expect(refused.status == 422, "\(refused.body)")
                #expect(refused.body.contains("spec.podSelector in body must be of type object"), "\(refused.body)")

                // With the recommended layout the chart creates spire-server and spire-system.
                try await roundTrip(
                    h, release: "spire", chart: "spire-0.26.0.tgz", namespace: "spire", values: Self.spireValues,
                    gone: [
                        "/apis/apps/v1/namespaces/spire-server/statefulsets/spire-server", "/api/v1/namespaces/spire-system",
                        "/apis/storage.k8s.io/v1/csidrivers/csi.spiffe.io"
                    ]
                ) {
                    #expect(try await h.get("/apis/apps/v1/namespaces/spire-system/daemonsets/spire-agent") != nil)
                    #expect(try await h.get("/apis/storage.k8s.io/v1/csidrivers/csi.spiffe.io") != nil)
                    #expect(try await h.items("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations").count == 1)
                    #expect(try await h.items("/apis/spire.spiffe.io/v1alpha1/clusterspiffeids").count == 7)
                    // The StatefulSet's claim template became a bound claim.
                    try await h.eventually("spire-server's data claim bound") {
                        try await h.get("/api/v1/namespaces/spire-server/persistentvolumeclaims/spire-data-spire-server-0")?
                            .lookup(["status", "phase"])?.stringValue == "Bound"
                    }
                    // The post-install hook Job ran and helm deleted it (hook-succeeded).
                    #expect(try await h.get("/apis/batch/v1/namespaces/spire-server/jobs/spire-server-post-install") == nil)
                    try await expectReadySlice(h, namespace: "spire-server", service: "spire-server", readyPods: 1, port: ("grpc", 8081))
                }

                // The CRDs are kept (helm.sh/resource-policy: keep); deleting one takes its objects along.
                let (code, _, err) = try h.helm(["uninstall", "spire-crds", "-n", "spire-crds"])
                #expect(code == 0, "\(err)")
                let crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterspiffeids.spire.spiffe.io"
                #expect(try await h.get(crdPath) != nil)
                let deleted = try await h.raw("DELETE", crdPath)
                #expect(deleted.status == 200, "\(deleted.body)")
                #expect(try await h.get("/apis/spire.spiffe.io/v1alpha1/clusterspiffeids") == nil)
                let discovery = try await h.get("/apis/spire.spiffe.io/v1alpha1")
                #expect(discovery?["resources"]?.listValue?.contains { $0["kind"]?.stringValue == "ClusterSPIFFEID" } == false)
            }
        }

        @Test(arguments: ["slim-spire-2.0.0.tgz", "slim-spire-1.4.0.tgz"])
        func slimSpire(chart: String) async throws {
            try await withHelm { h in
                try await installSpireCRDs(h)
                try await roundTrip(
                    h, release: "spire", chart: chart, namespace: "spire",
                    gone: ["/apis/apps/v1/namespaces/spire/statefulsets/spire-server", "/apis/storage.k8s.io/v1/csidrivers/csi.spiffe.io"]
                ) {
                    let ids = try await h.items("/apis/spire.spiffe.io/v1alpha1/clusterspiffeids")
                    #expect(ids.count == 7, "\(ids.map(\.objectName))")
                    // Applied with strict field validation against the CRD's schema.
                    #expect(
                        h.server.cluster.requestLog.contains {
                            $0.hasPrefix("PATCH /apis/spire.spiffe.io/v1alpha1/clusterspiffeids/") && $0.contains("fieldValidation=Strict")
                        })
                    #expect(try await h.items("/apis/rbac.authorization.k8s.io/v1/clusterroles").count == 3)
                    #expect(try await h.items("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings").count == 3)
                    let driver = try #require(try await h.get("/apis/storage.k8s.io/v1/csidrivers/csi.spiffe.io"))
                    #expect(driver.lookup(["spec", "volumeLifecycleModes"])?.listValue?.contains("Ephemeral") == true)
                    let hooks = try await h.items("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations")
                    #expect(hooks.count == 1)
                    try await expectReadySlice(h, namespace: "spire", service: "spire-server", readyPods: 1, port: ("grpc", 8081))
                    try await h.eventually("spire-server's data claim bound") {
                        try await h.get("/api/v1/namespaces/spire/persistentvolumeclaims/spire-data-spire-server-0")?.lookup(["status", "phase"])?.stringValue
                            == "Bound"
                    }
                }
                #expect(try await h.items("/apis/spire.spiffe.io/v1alpha1/clusterspiffeids").isEmpty)
                // Claims from templates outlive their StatefulSet (retention policy Retain).
                #expect(try await h.get("/api/v1/namespaces/spire/persistentvolumeclaims/spire-data-spire-server-0") != nil)
            }
        }
    }
}
