import Foundation
import Kube
import YAML

/// Test-app manifests go to the cluster by server-side apply, so re-applying the same files is
/// a no-op and slimctl owns exactly the fields it declares.
public enum ManifestApplier {
    /// The objects with their namespace filled in (the manifest set's) where the resource is
    /// namespaced and the file did not name one.
    public static func placed(_ objects: [Value], defaultNamespace: String, client: KubeClient) async throws -> [Value] {
        var out: [Value] = []
        for o in objects {
            guard let apiVersion = o["apiVersion"]?.stringValue, let kind = o["kind"]?.stringValue else { continue }
            let r = try await client.resource(apiVersion: apiVersion, kind: kind)
            guard r.namespaced, o.lookup(["metadata", "namespace"])?.stringValue == nil,
                case .map(var m) = o, case .map(var meta)? = m["metadata"]
            else { out.append(o); continue }
            meta["namespace"] = .string(defaultNamespace)
            m["metadata"] = .map(meta)
            out.append(.map(m))
        }
        return out
    }

    /// Namespaces the objects live in are created when missing (and never deleted here).
    public static func ensureNamespaces(_ objects: [Value], client: KubeClient, report: @Sendable (String) -> Void) async throws {
        var seen: [String] = []
        for o in objects { if let ns = o.lookup(["metadata", "namespace"])?.stringValue, !seen.contains(ns) { seen.append(ns) } }
        for ns in seen where try await client.get(apiVersion: "v1", kind: "Namespace", name: ns) == nil {
            try await client.apply(.map(["apiVersion": "v1", "kind": "Namespace", "metadata": .map(["name": .string(ns)])]))
            report("created namespace \(ns)")
        }
    }

    public static func describe(_ o: Value) -> String {
        let kind = o["kind"]?.stringValue ?? "?"
        let name = o.lookup(["metadata", "name"])?.stringValue ?? "?"
        return o.lookup(["metadata", "namespace"])?.stringValue.map { "\(kind) \($0)/\(name)" } ?? "\(kind) \(name)"
    }
}
