import YAML

/// One change `verify --watch` reports, on every target: a line of text and an object of its
/// JSON output (the same fields whether a watch event or a local process change caused it).
public struct WatchChange: Sendable, Hashable {
    /// node, pod, or the workload's kind (DaemonSet, StatefulSet, Deployment).
    public var kind: String
    public var namespace: String?
    public var name: String
    public var node: String?
    /// joined, removed, scheduled, deleted, status, rollout.
    public var change: String
    public var status: String
    public var text: String

    public init(kind: String, namespace: String? = nil, name: String, node: String? = nil, change: String, status: String, text: String) {
        self.kind = kind; self.namespace = namespace; self.name = name; self.node = node
        self.change = change; self.status = status; self.text = text
    }

    public var json: Value {
        var m: [(String, Value)] = [("kind", .string(kind)), ("name", .string(name)), ("change", .string(change)), ("status", .string(status))]
        if let namespace { m.append(("namespace", .string(namespace))) }
        if let node { m.append(("node", .string(node))) }
        m.append(("message", .string(text)))
        return .map(.init(uniqueKeysWithValues: m))
    }
}
