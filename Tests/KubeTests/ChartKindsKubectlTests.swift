import Foundation
import Kube
import KubeSim
import Testing
import YAML

extension ReleasedCharts {
    /// The kinds the released charts add, seen through the real kubectl: tables, discovery,
    /// custom resources and the OpenAPI documents clients validate with.
    @Suite("kubectl on the chart kinds")
    struct ChartKindsKubectlTests {
        @Test func getChartKindsAcrossNamespaces() async throws {
            try await withHelm { h in
                for (release, chart) in [("slim", "slim-2.2.0.tgz"), ("slim-control", "slim-control-plane-2.2.0.tgz")] {
                    let (code, _, err) = try h.install(release, chart, namespace: "slim")
                    try #require(code == 0, "\(chart): \(err)")
                }
                try await h.eventually("the controller's claim bound") {
                    try await h.get("/api/v1/namespaces/slim/persistentvolumeclaims/slim-control-db")?.lookup(["status", "phase"])?.stringValue == "Bound"
                }
                let (code, out, err) = try h.kubectl(["get", "pvc,sa,role,rolebinding,endpointslices", "-A"])
                #expect(code == 0, "\(err)")
                let lines = out.split(separator: "\n").map(String.init)
                #expect(
                    lines.contains {
                        $0.hasPrefix("slim") && $0.contains("persistentvolumeclaim/slim-control-db") && $0.contains("Bound") && $0.contains("standard")
                    }, "\(out)")
                #expect(lines.contains { $0.contains("serviceaccount/slim-control") }, "\(out)")
                #expect(lines.contains { $0.contains("role.rbac.authorization.k8s.io/slim-peer-discovery") }, "\(out)")
                #expect(
                    lines.contains { $0.contains("rolebinding.rbac.authorization.k8s.io/slim-peer-discovery") && $0.contains("Role/slim-peer-discovery") },
                    "\(out)")
                #expect(lines.contains { $0.contains("endpointslice.discovery.k8s.io/slim-control-") && $0.contains("IPv4") && $0.contains("50051") }, "\(out)")

                let (scCode, scOut, _) = try h.kubectl(["get", "storageclass"])
                #expect(scCode == 0)
                #expect(scOut.contains("standard (default)") && scOut.contains("rancher.io/local-path") && scOut.contains("WaitForFirstConsumer"), "\(scOut)")

                let (arCode, arOut, arErr) = try h.kubectl(["api-resources"])
                #expect(arCode == 0, "\(arErr)")
                for kind in [
                    "PersistentVolumeClaim", "ClusterRoleBinding", "CustomResourceDefinition", "EndpointSlice", "CSIDriver",
                    "ValidatingWebhookConfiguration", "StorageClass", "PodDisruptionBudget"
                ] {
                    #expect(arOut.contains(kind), "\(kind) missing from api-resources")
                }
            }
        }

        @Test func customResourcesThroughKubectl() async throws {
            try await withHelm { h in
                let (code, _, err) = try h.install("spire-crds", "spire-crds-0.5.0.tgz", namespace: "spire-crds")
                try #require(code == 0, "\(err)")
                try await h.eventually("ClusterSPIFFEID served") { try await h.get("/apis/spire.spiffe.io/v1alpha1") != nil }
                let (crdCode, crdOut, _) = try h.kubectl(["get", "crd"])
                #expect(crdCode == 0)
                #expect(crdOut.contains("clusterspiffeids.spire.spiffe.io"), "\(crdOut)")
                let manifest = h.home + "/id.yaml"
                try """
                apiVersion: spire.spiffe.io/v1alpha1
                kind: ClusterSPIFFEID
                metadata: {name: slim}
                spec:
                  spiffeIDTemplate: "spiffe://sim.example/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}"
                  podSelector: {matchLabels: {app.kubernetes.io/name: slim}}
                """.write(toFile: manifest, atomically: true, encoding: .utf8)
                let (applyCode, applyOut, applyErr) = try h.kubectl(["apply", "--server-side", "-f", manifest])
                #expect(applyCode == 0, "\(applyErr)")
                #expect(applyOut.contains("clusterspiffeid.spire.spiffe.io/slim serverside-applied"), "\(applyOut)")
                let (getCode, getOut, getErr) = try h.kubectl(["get", "clusterspiffeids", "-o", "name"])
                #expect(getCode == 0, "\(getErr)")
                #expect(getOut == "clusterspiffeid.spire.spiffe.io/slim\n")
                // Client-side apply validates against the published schema: an undeclared field is refused.
                try "apiVersion: spire.spiffe.io/v1alpha1\nkind: ClusterSPIFFEID\nmetadata: {name: odd}\nspec: {noSuchField: 1}\n"
                    .write(toFile: manifest, atomically: true, encoding: .utf8)
                let (badCode, _, badErr) = try h.kubectl(["apply", "-f", manifest])
                #expect(badCode != 0)
                #expect(badErr.contains("noSuchField"), "\(badErr)")
                let (delCode, _, delErr) = try h.kubectl(["delete", "clusterspiffeid", "slim"])
                #expect(delCode == 0, "\(delErr)")
            }
        }

        @Test func openAPIDocumentsCoverEveryServedKind() async throws {
            try await withHelm { h in
                let (code, _, err) = try h.install("spire-crds", "spire-crds-0.5.0.tgz", namespace: "spire-crds")
                try #require(code == 0, "\(err)")
                try await h.eventually("ClusterSPIFFEID served") { try await h.get("/apis/spire.spiffe.io/v1alpha1") != nil }
                let v2 = try #require(try await h.get("/openapi/v2"))
                let kinds = Set(
                    (v2["definitions"]?.mapValue ?? [:]).values.compactMap {
                        $0.lookup(["x-kubernetes-group-version-kind"])?.listValue?.first?["kind"]?.stringValue
                    })
                for kind in ["Pod", "PersistentVolumeClaim", "Role", "CustomResourceDefinition", "EndpointSlice", "CSIDriver", "ClusterSPIFFEID"] {
                    #expect(kinds.contains(kind), "\(kind) missing from /openapi/v2")
                }
                let schema = try #require(v2.lookup(["definitions", "io.spiffe.spire.v1alpha1.ClusterSPIFFEID"]))
                #expect(schema.lookup(["properties", "spec", "properties", "spiffeIDTemplate", "type"])?.stringValue == "string")
                let proto = try await h.raw("GET", "/openapi/v2", accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
                #expect(proto.status == 406)
                let root = try #require(try await h.get("/openapi/v3"))
                let url = try #require(root.lookup(["paths", "apis/spire.spiffe.io/v1alpha1", "serverRelativeURL"])?.stringValue)
                let v3 = try #require(try await h.get(url))
                #expect(v3.lookup(["components", "schemas", "io.spiffe.spire.v1alpha1.ClusterSPIFFEID", "properties", "spec"]) != nil)
                for gv in [
                    "api/v1", "apis/rbac.authorization.k8s.io/v1", "apis/storage.k8s.io/v1", "apis/discovery.k8s.io/v1",
                    "apis/apiextensions.k8s.io/v1", "apis/admissionregistration.k8s.io/v1", "apis/policy/v1"
                ] {
                    #expect(root.lookup(["paths", gv]) != nil, "\(gv) missing from /openapi/v3")
                }
            }
        }
    }
}
