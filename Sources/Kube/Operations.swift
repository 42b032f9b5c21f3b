import Foundation
import OrderedCollections
import YAML

/// A list result with the version to start a watch from.
public struct KubeList: Sendable {
    public var items: [Value]
    public var resourceVersion: String
}

public enum PropagationPolicy: String, Sendable {
    case foreground = "Foreground", background = "Background", orphan = "Orphan"
}

extension KubeClient {
    func describe(_ r: APIResource, _ name: String?, _ namespace: String?) -> String {
        var s = r.group.isEmpty ? r.name : "\(r.name).\(r.group)"
        if let name { s += " \"\(name)\"" }
        if r.namespaced { s += " in namespace \"\(namespace ?? config.namespace)\"" }
        return s
    }

    static func query(_ items: [(String, String?)]) -> String {
        let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+,;"))
        let parts = items.compactMap { k, v in v.map { "\(k)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" } }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    /// One object, or nil when it does not exist.
    public func get(apiVersion: String, kind: String, name: String, namespace: String? = nil) async throws -> Value? {
        let r = try await resource(apiVersion: apiVersion, kind: kind)
        let ns = namespace ?? config.namespace
        do {
            return try await getJSON(r.path(namespace: ns, name: name), operation: "get \(describe(r, name, ns))")
        } catch let e as KubeError where e.kind == .notFound {
            return nil
        }
    }

    /// All matching objects, following `continue` tokens page by page. Items get their
    /// apiVersion and kind back (the server strips them inside lists).
    public func list(
        apiVersion: String, kind: String, namespace: String? = nil, allNamespaces: Bool = false,
        labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500,
        project: ((Value) -> Value)? = nil
    ) async throws -> KubeList {
        let r = try await resource(apiVersion: apiVersion, kind: kind)
        let ns = allNamespaces ? nil : (namespace ?? config.namespace)
        var items: [Value] = []
        var cont: String?
        var rv = ""
        repeat {
            let path =
                r.path(namespace: ns)
                + Self.query([
                    ("labelSelector", labelSelector), ("fieldSelector", fieldSelector),
                    ("limit", String(pageSize)), ("continue", cont)
                ])
            let page = try await getJSON(path, operation: "list \(describe(r, nil, ns))")
            for item in page["items"]?.listValue ?? [] {
                guard case .map(let m) = item else { continue }
                var full: OrderedDictionary<String, Value> = ["apiVersion": .string(r.groupVersion), "kind": .string(r.kind)]
                for (k, v) in m { full[k] = v }
                // A caller that keeps only some fields drops the rest page by page, so a list
                // of thousands never holds every whole object at once.
                items.append(project.map { $0(.map(full)) } ?? .map(full))
            }
            rv = page.lookup(["metadata", "resourceVersion"])?.stringValue ?? rv
            cont = page.lookup(["metadata", "continue"])?.stringValue
            if cont?.isEmpty == true { cont = nil }
        } while cont != nil
        return KubeList(items: items, resourceVersion: rv)
    }

    /// Server-side apply of any manifest (`fieldManager` slimctl, `force` by default so
    /// slimctl owns what it declares). Returns the object as stored.
    @discardableResult
    public func apply(_ manifest: Value, force: Bool = true) async throws -> Value {
        guard let apiVersion = manifest["apiVersion"]?.stringValue, let kind = manifest["kind"]?.stringValue else {
            throw KubeError.config("manifest has no apiVersion/kind")
        }
        guard let name = manifest.lookup(["metadata", "name"])?.stringValue, !name.isEmpty else {
            throw KubeError.config("\(kind) manifest has no metadata.name")
        }
        let r = try await resource(apiVersion: apiVersion, kind: kind)
        let ns = manifest.lookup(["metadata", "namespace"])?.stringValue ?? config.namespace
        var body = manifest
        if r.namespaced, case .map(var m) = body, case .map(var meta)? = m["metadata"] {
            meta["namespace"] = .string(ns)
            m["metadata"] = .map(meta)
            body = .map(m)
        }
        let path = r.path(namespace: ns, name: name) + Self.query([("fieldManager", options.fieldManager), ("force", force ? "true" : nil)])
        let resp = try await request(
            "PATCH", path, body: body.jsonBytes, contentType: "application/apply-patch+yaml",
            idempotent: true, operation: "apply \(describe(r, name, ns))")
        return (try? Value(jsonBytes: resp.body)) ?? .null
    }

    /// Deletes an object. Returns false when it was already gone. With `wait`, returns only
    /// once the object no longer exists (watching, not polling), or throws after `timeout`.
    @discardableResult
    public func delete(
        apiVersion: String, kind: String, name: String, namespace: String? = nil,
        propagation: PropagationPolicy = .background, wait: Bool = false, timeout: Double = 120
    ) async throws -> Bool {
        let r = try await resource(apiVersion: apiVersion, kind: kind)
        let ns = namespace ?? config.namespace
        let body: Value = .map(["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(propagation.rawValue)])
        do {
            _ = try await request(
                "DELETE", r.path(namespace: ns, name: name), body: body.jsonBytes, contentType: "application/json",
                idempotent: false, operation: "delete \(describe(r, name, ns))")
        } catch let e as KubeError where e.kind == .notFound {
            return false
        }
        if wait { try await waitUntilGone(r, name: name, namespace: ns, timeout: timeout) }
        return true
    }

    func waitUntilGone(_ r: APIResource, name: String, namespace: String, timeout: Double) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                let selector = "metadata.name=\(name)"
                let first = try await list(apiVersion: r.groupVersion, kind: r.kind, namespace: namespace, fieldSelector: selector)
                if first.items.isEmpty { return }
                for try await e in watch(
                    apiVersion: r.groupVersion, kind: r.kind, namespace: namespace, fieldSelector: selector,
                    resourceVersion: first.resourceVersion)
                {
                    switch e {
                    case .deleted: return
                    case .relisted(let items) where items.isEmpty: return
                    default: continue
                    }
                }
            }
            group.addTask { [self] in
                try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                throw KubeError(
                    kind: .timeout,
                    message: "timed out after \(Int(timeout))s waiting for \(describe(r, name, namespace)) to be deleted (context \"\(config.contextName)\")")
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
