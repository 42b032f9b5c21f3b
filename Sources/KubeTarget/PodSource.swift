import Kube
import YAML

/// A namespace and selectors the API server answers with pods: what the tail lists and watches.
/// Its own type so the same pods found through two queries are followed once.
public struct PodSource: Sendable, Hashable {
    public var namespace: String
    public var labelSelector: String?
    public var fieldSelector: String?
    public init(namespace: String, labelSelector: String? = nil, fieldSelector: String? = nil) {
        self.namespace = namespace; self.labelSelector = labelSelector; self.fieldSelector = fieldSelector
    }

    /// The live workload's own selector when the query names one and it can be read; the
    /// query's label selector otherwise.
    public static func resolve(_ queries: [PodQuery], client: KubeClient) async throws -> [PodSource] {
        var out: [PodSource] = []
        for q in queries {
            var label = q.labelSelector
            if let w = q.workload, let live = try await client.get(apiVersion: w.apiVersion, kind: w.kind, name: w.name, namespace: q.namespace),
                let s = LogSelectors.selector(from: live)
            {
                label = s
            }
            let src = PodSource(namespace: q.namespace, labelSelector: label, fieldSelector: q.fieldSelector)
            if !out.contains(src) { out.append(src) }
        }
        return out
    }
}
