import Foundation
import KubeTarget
import Testing
import YAML

/// What `diff` compares of a live object: the fields its manifest sets, without what the API
/// server fills in.
@Suite struct ManifestProjectionTests {
    func yaml(_ s: String) throws -> Value { try YAML.load(s, file: "test") }

    @Test func serverFilledFieldsDefaultsAndOtherManagersFieldsAreLeftOut() throws {
        let manifest = try yaml(
            """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: slim, namespace: slim, creationTimestamp: null, labels: {app: slim}}
            spec:
              template:
                spec:
                  containers:
                    - {name: slim, image: "slim:2", env: [{name: A, value: "1"}], resources: {}}
            """)
        let live = try yaml(
            """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: slim, namespace: slim, uid: u-1, resourceVersion: "42", creationTimestamp: "2026-01-01T00:00:00Z",
                       generation: 3, managedFields: [{manager: helm}], labels: {app: slim}, annotations: {meta.helm.sh/release-name: slim}}
            spec:
              revisionHistoryLimit: 10
              template:
                spec:
                  dnsPolicy: ClusterFirst
                  containers:
                    - {name: sidecar, image: "proxy:1"}
                    - {name: slim, image: "slim:2", imagePullPolicy: IfNotPresent, env: [{name: A, value: "1"}]}
            status: {numberReady: 2}
            """)
        let (want, have) = ManifestProjection.compared(rendered: manifest, live: live)
        let expected = try yaml(
            """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: slim, namespace: slim, labels: {app: slim}}
            spec:
              template:
                spec:
                  containers:
                    - {name: slim, image: "slim:2", env: [{name: A, value: "1"}]}
            """)
        // Both sides come out as the manifest's own fields.
        #expect(want == expected, "null and empty values are no difference: \(YAML.emit(want))")
        #expect(have == expected, "containers matched by name; one the manifest does not name is another manager's: \(YAML.emit(have ?? .null))")
    }

    @Test func aSecretsStringDataIsComparedWithTheDecodedData() throws {
        let manifest = try yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {key: value}\n")
        let live = try yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata: {key: \(Data("value".utf8).base64EncodedString())}\n")
        let (want, have) = ManifestProjection.compared(rendered: manifest, live: live)
        #expect(want == have, "\(YAML.emit(have ?? .null))")
    }

    @Test func aListWithoutNamesIsComparedWhole() throws {
        let (want, have) = ManifestProjection.compared(rendered: try yaml("spec: {args: [a, b]}\n"), live: try yaml("spec: {args: [a, b, c]}\n"))
        #expect(want != have && have?.lookup(["spec", "args"])?.listValue?.count == 3, "an apply replaces the list: c would go")
    }

    @Test func aMissingObjectHasNoLiveSide() throws {
        let (_, have) = ManifestProjection.compared(rendered: try yaml("kind: Service\nmetadata: {name: a}\n"), live: nil)
        #expect(have == nil)
    }
}
