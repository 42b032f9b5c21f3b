import Foundation
import YAML

/// A resource as discovery describes it; enough to build its URL.
public struct APIResource: Sendable, Hashable {
    public var group: String
    public var version: String
    public var name: String
    public var kind: String
    public var namespaced: Bool
    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `/api/v1/namespaces/ns/pods/name` and friends.
    public func path(namespace: String?, name: String? = nil) -> String {
        var p = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { p += "/namespaces/\(Self.escape(namespace))" }
        p += "/\(self.name)"
        if let name { p += "/\(Self.escape(name))" }
        return p
    }

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
    }
}

actor DiscoveryCache {
    var byKind: [String: APIResource] = [:]
    var loaded = false
    func set(_ m: [String: APIResource]) { byKind = m; loaded = true }
    func lookup(_ key: String) -> APIResource? { byKind[key] }
    func invalidate() { loaded = false }
}

extension KubeClient {
    /// Reads `/api`, `/apis` and every group version's resource list, as kubectl does, so any
    /// manifest's kind maps to its URL and scope.
    public func discover() async throws -> [APIResource] {
        var out: [APIResource] = []
        func add(_ list: Value, gv: String) {
            let parts = gv.split(separator: "/").map(String.init)
            let group = parts.count == 2 ? parts[0] : ""
            let version = parts.last ?? gv
            for r in list["resources"]?.listValue ?? [] {
                guard let name = r["name"]?.stringValue, !name.contains("/"), let kind = r["kind"]?.stringValue else { continue }
                out.append(APIResource(group: group, version: version, name: name, kind: kind, namespaced: r["namespaced"]?.boolValue ?? false))
            }
        }
        let core = try await getJSON("/api", operation: "discovery")
        for v in (core["versions"]?.listValue ?? []).compactMap(\.stringValue) {
            add(try await getJSON("/api/\(v)", operation: "discovery of \(v)"), gv: v)
        }
        let groups = try await getJSON("/apis", operation: "discovery")
        for g in groups["groups"]?.listValue ?? [] {
            for v in g["versions"]?.listValue ?? [] {
                guard let gv = v["groupVersion"]?.stringValue else { continue }
                do { add(try await getJSON("/apis/\(gv)", operation: "discovery of \(gv)"), gv: gv) } catch let e as KubeError
                    where e.kind == .notFound || e.kind == .server
                {
                    continue  // An unavailable aggregated API must not break everything else.
                }
            }
        }
        var map: [String: APIResource] = [:]
        for r in out where map["\(r.groupVersion)/\(r.kind)"] == nil { map["\(r.groupVersion)/\(r.kind)"] = r }
        await discoveryCache.set(map)
        return out
    }

    /// The resource for a manifest's apiVersion and kind; rediscovers once on a miss (a CRD
    /// may just have been installed).
    public func resource(apiVersion: String, kind: String) async throws -> APIResource {
        let key = "\(apiVersion)/\(kind)"
        if await discoveryCache.loaded, let r = await discoveryCache.lookup(key) { return r }
        _ = try await discover()
        if let r = await discoveryCache.lookup(key) { return r }
        throw KubeError(
            kind: .notFound,
            message: "the server has no resource for kind \(kind) in apiVersion \(apiVersion) (context \"\(config.contextName)\"); is the CRD installed?")
    }
}
