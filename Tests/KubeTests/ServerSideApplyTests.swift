import Foundation
import Kube
import KubeSim
import Testing
import YAML

/// Server-side apply by two managers on one object, as kube-apiserver merges it: containers by
/// name, ports by port and protocol, ownership in managedFields, conflicts named by field.
@Suite("server-side apply: associative lists and ownership")
struct ServerSideApplyTests {
    func manifest(_ containers: String) throws -> Value {
        try YAML.load(
            """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: slim, namespace: default}
            spec:
              selector: {matchLabels: {app: slim}}
              template:
                metadata: {labels: {app: slim}}
                spec:
                  containers:
            \(containers)
            """, file: "ds.yaml")
    }

    func containers(_ v: Value?) -> [String: Value] {
        var out: [String: Value] = [:]
        for c in v?.lookup(["spec", "template", "spec", "containers"])?.listValue ?? [] {
            if let n = c["name"]?.stringValue { out[n] = c }
        }
        return out
    }

    @Test func twoManagersOwnDifferentContainersOfOneTemplate() async throws {
        try await withCluster { server, client, kubeconfig in
            var o = KubeClientOptions()
            o.fieldManager = "sidecar-injector"
            let injector = try KubeClient(kubeconfig: kubeconfig, options: o)
            _ = try await client.apply(
                try manifest(
                    """
                              - name: slim
                                image: slim:1
                                env: [{name: A, value: "1"}, {name: B, value: "2"}]
                                ports: [{containerPort: 46357}]
                    """))
            // The injector applies only its own container (and the identifying fields).
            let both = try await injector.apply(
                try manifest(
                    """
                              - name: proxy
                                image: proxy:1
                    """), force: false)
            #expect(Set(containers(both).keys) == ["slim", "proxy"])
            #expect(containers(both)["slim"]?["image"]?.stringValue == "slim:1")
            let managers = both.lookup(["metadata", "managedFields"])?.listValue?.compactMap { $0["manager"]?.stringValue } ?? []
            #expect(Set(managers) == ["slimctl", "sidecar-injector"])
            let mine = both.lookup(["metadata", "managedFields"])?.listValue?.first { $0["manager"]?.stringValue == "slimctl" }
            let fields = mine?.lookup(["fieldsV1", "f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"slim\"}"])
            #expect(fields?["."] != nil && fields?["f:image"] != nil, "fieldsV1: \(mine?["fieldsV1"]?.jsonString() ?? "none")")
            #expect(fields?.lookup(["f:ports", "k:{\"containerPort\":46357,\"protocol\":\"TCP\"}", "f:containerPort"]) != nil)

            // slimctl drops env B and changes its image: the proxy container stays.
            let next = try await client.apply(
                try manifest(
                    """
                              - name: slim
                                image: slim:2
                                env: [{name: A, value: "1"}]
                                ports: [{containerPort: 46357, protocol: TCP}]
                    """))
            let slim = containers(next)["slim"]
            #expect(slim?["image"]?.stringValue == "slim:2")
            #expect(slim?["env"]?.listValue?.compactMap { $0["name"]?.stringValue } == ["A"])
            #expect(slim?["ports"]?.listValue?.count == 1)
            #expect(containers(next)["proxy"]?["image"]?.stringValue == "proxy:1")

            // The injector touching slimctl's image without force is a conflict naming the field.
            await #expect {
                _ = try await injector.apply(
                    try manifest(
                        """
                                  - name: slim
                                    image: slim:evil
                        """), force: false)
            } throws: { e in
                let m = (e as? KubeError)?.message ?? ""
                return (e as? KubeError)?.code == 409 && m.contains(#".spec.template.spec.containers[name="slim"].image"#) && m.contains("slimctl")
            }

            // The injector stops applying its container: it is removed, slimctl's is not.
            let gone = try await injector.apply(
                try YAML.load(
                    """
                    apiVersion: apps/v1
                    kind: DaemonSet
                    metadata: {name: slim, namespace: default}
                    spec:
                      selector: {matchLabels: {app: slim}}
                    """, file: "sidecar.yaml"), force: false)
            #expect(Set(containers(gone).keys) == ["slim"])
            _ = server
        }
    }

    @Test func strategicMergePatchMergesContainersByName() async throws {
        try await withCluster { server, client, _ in
            _ = try await client.apply(
                try manifest(
                    """
                              - {name: slim, image: slim:1}
                              - {name: proxy, image: proxy:1}
                    """))
            let patch = #"{"spec":{"template":{"spec":{"containers":[{"name":"proxy","image":"proxy:2"}]}}}}"#
            let r = try await client.request(
                "PATCH", "/apis/apps/v1/namespaces/default/daemonsets/slim", body: Array(patch.utf8),
                contentType: "application/strategic-merge-patch+json")
            let v = try Value(jsonBytes: r.body)
            #expect(containers(v)["slim"]?["image"]?.stringValue == "slim:1")
            #expect(containers(v)["proxy"]?["image"]?.stringValue == "proxy:2")
            // A JSON merge patch replaces the list, as RFC 7386 says.
            let merge = try await client.request(
                "PATCH", "/apis/apps/v1/namespaces/default/daemonsets/slim", body: Array(patch.utf8),
                contentType: "application/merge-patch+json")
            #expect(Set(containers(try Value(jsonBytes: merge.body)).keys) == ["proxy"])
            _ = server
        }
    }
}
