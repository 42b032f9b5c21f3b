import Foundation
import OrderedCollections
import YAML

/// What the router answers: a complete body, or a stream (watch, log follow) that the HTTP
/// layer opens and hands a sink to.
enum SimResponse {
    case full(code: Int, contentType: String, body: [UInt8], headers: [(String, String)])
    /// `start` registers the sink and returns the bytes to send first plus a cleanup.
    case stream(contentType: String, start: (SimStreamSink) throws -> (initial: [[UInt8]], stop: @Sendable () -> Void), bookmarks: SimResource?)
    case reset
    indirect case delayed(Double, SimResponse)

    static func json(_ v: Value, code: Int = 200) -> SimResponse {
        .full(code: code, contentType: "application/json", body: Array(v.jsonString().utf8), headers: [])
    }
    static func error(_ e: SimError) -> SimResponse {
        .full(code: e.code, contentType: "application/json", body: Array(e.status.jsonString().utf8), headers: e.headers)
    }
}

/// Built and consumed on one event loop; the closures inside never cross threads.
extension SimResponse: @unchecked Sendable {}

struct SimRequest {
    var method: String
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: [UInt8]
    var user: SimUser?
}

extension SimRequest {
    static func parseQuery(_ q: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let k = decode(kv[0])
            out[k] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }

    static func decode(_ s: Substring) -> String {
        String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
    }
}

extension SimCluster {
    /// Routes one request the way kube-apiserver's handler chain does: authentication,
    /// authorization, then the REST paths of discovery and resources.
    func route(_ req: SimRequest, serverAddress: String) -> SimResponse {
        let isWatch = req.query["watch"] == "true" || req.query["watch"] == "1"
        let q = req.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        withLock { requestLog.append("\(req.method) \(req.path)\(q.isEmpty ? "" : "?" + q)") }

        let open = ["/version", "/healthz", "/livez", "/readyz"]
        guard let user = req.user else {
            return open.contains(req.path) ? openEndpoint(req.path) : .error(.unauthorized)
        }
        if let fault = takeFault(method: req.method, path: req.path, isWatch: isWatch) {
            switch fault {
            case .internalError: return .error(.internalError("injected fault"))
            case .tooManyRequests(let s): return .error(.tooManyRequests(retryAfter: s))
            case .reset: return .reset
            case .delay(let s): return .delayed(s, dispatch(req, user: user, isWatch: isWatch, serverAddress: serverAddress))
            case .expireWatch:
                let rv = Int(req.query["resourceVersion"] ?? "") ?? 0
                let e = SimError.expired(rv, resourceVersion)
                return .stream(
                    contentType: "application/json",
                    start: { _ in
                        ([Self.watchEventBytes(type: "ERROR", object: e.status)], {})
                    }, bookmarks: nil)
            case .dropWatch:
                if case .stream(let ct, let start, _) = dispatch(req, user: user, isWatch: isWatch, serverAddress: serverAddress) {
                    return .stream(
                        contentType: ct,
                        start: { sink in
                            let (initial, stop) = try start(sink)
                            stop()
                            sink.finish()
                            return (initial, {})
                        }, bookmarks: nil)
                }
            }
        }
        return dispatch(req, user: user, isWatch: isWatch, serverAddress: serverAddress)
    }

    func dispatch(_ req: SimRequest, user: SimUser, isWatch: Bool, serverAddress: String) -> SimResponse {
        let open = ["/version", "/healthz", "/livez", "/readyz"]
        if open.contains(req.path) { return openEndpoint(req.path) }
        let segments = req.path.split(separator: "/").map(String.init)
        if segments.first == "openapi" { return openAPI(segments, accept: req.headers["accept"] ?? "") }
        let served = served()
        // Discovery.
        switch segments.count {
        case 1 where segments[0] == "api": return .json(SimCatalog.apiVersions(serverAddress: serverAddress))
        case 1 where segments[0] == "apis": return .json(SimCatalog.groupList(served))
        case 2 where segments[0] == "api" && segments[1] == "v1":
            return SimCatalog.resourceList(served, groupVersion: "v1").map { .json($0) } ?? .error(.unknownResource)
        case 2 where segments[0] == "apis": return SimCatalog.group(served, segments[1]).map { .json($0) } ?? notFoundPage()
        case 3 where segments[0] == "apis":
            return SimCatalog.resourceList(served, groupVersion: "\(segments[1])/\(segments[2])").map { .json($0) } ?? notFoundPage()
        default: break
        }
        let gv: String
        var rest: ArraySlice<String>
        if segments.first == "api", segments.count > 2, segments[1] == "v1" {
            gv = "v1"; rest = segments.dropFirst(2)
        } else if segments.first == "apis", segments.count > 3 {
            gv = "\(segments[1])/\(segments[2])"; rest = segments.dropFirst(3)
        } else {
            return notFoundPage()
        }
        guard SimCatalog.knownGroupVersion(served, gv) else { return notFoundPage() }
        var namespace: String?
        if rest.first == "namespaces", rest.count >= 3 {
            namespace = rest[rest.startIndex + 1]
            rest = rest.dropFirst(2)
        }
        let resourceName = rest.first ?? ""
        guard let r = SimCatalog.resource(served, groupVersion: gv, name: resourceName) else { return .error(.unknownResource) }
        let name = rest.count > 1 ? rest[rest.startIndex + 1] : nil
        let sub = rest.count > 2 ? rest[rest.startIndex + 2] : nil
        if namespace != nil && !r.namespaced { return .error(.unknownResource) }

        let verb: String = {
            switch req.method {
            case "GET": return name == nil ? (isWatch ? "watch" : "list") : "get"
            case "POST": return "create"
            case "PUT": return "update"
            case "PATCH": return "patch"
            case "DELETE": return name == nil ? "deletecollection" : "delete"
            default: return req.method.lowercased()
            }
        }()
        if forbiddenUsers.contains(user.name) {
            return .error(.forbidden(user: user.name, verb: verb, r: r, namespace: namespace, name: name))
        }
        // kubectl delete sends dryRun in the DeleteOptions body rather than the query.
        var dryRunValue = req.query["dryRun"]
        if req.method == "DELETE", dryRunValue == nil, !req.body.isEmpty, let opts = try? Value(jsonBytes: req.body) {
            dryRunValue = opts["dryRun"]?.listValue?.first?.stringValue
        }
        if let dry = dryRunValue, req.method != "GET" {
            guard dry == "All" else { return .error(.badRequest("Invalid dry run value: \(dry)")) }
            return withLock { dryRun { serve(req, r, namespace: namespace, name: name, sub: sub, isWatch: isWatch) } }
        }
        return serve(req, r, namespace: namespace, name: name, sub: sub, isWatch: isWatch)
    }

    /// Runs a write as `dryRun=All` asks: admission, defaulting and validation happen and the
    /// answer is what would be stored, but nothing is stored, no watcher hears of it and the
    /// allocators (uids aside) are left as they were.
    func dryRun(_ body: () -> SimResponse) -> SimResponse {
        let saved = (managedPaths, serviceIPCounter)
        dryRunning = true
        defer { dryRunning = false; (managedPaths, serviceIPCounter) = saved }
        return body()
    }

    /// Field validation (`fieldValidation`: Strict refuses fields the schema does not declare,
    /// Warn, the default, answers with a Warning header per field, Ignore says nothing): custom
    /// resources against their CRD's schema, built-in kinds against their API types
    /// (`checkUnknownFields`).
    func serve(_ req: SimRequest, _ r: SimResource, namespace: String?, name: String?, sub: String?, isWatch: Bool) -> SimResponse {
        if SimFieldSchema.rootType(r) != nil {
            var req = req
            var warnings: [String] = []
            if sub == nil {
                switch checkUnknownFields(req, r) {
                case .failure(let e): return .error(e)
                case .success(let (body, w)):
                    if let body { req.body = body }
                    warnings = w
                }
            }
            let response = serveResource(req, r, namespace: namespace, name: name, sub: sub, isWatch: isWatch)
            guard !warnings.isEmpty, case .full(let code, let ct, let bytes, let headers) = response else { return response }
            return .full(code: code, contentType: ct, body: bytes, headers: headers + warnings.map { ("Warning", "299 - \"unknown field \\\"\($0)\\\"\"") })
        }
        guard ["POST", "PUT", "PATCH"].contains(req.method),
            let schema = withLock({ crdLocked(for: r)?.version[path: ["schema", "openAPIV3Schema"]] }),
            let body = try? decodeBody(req)
        else {
            return serveResource(req, r, namespace: namespace, name: name, sub: sub, isWatch: isWatch)
        }
        let unknown = SimSchema.unknownFields(body, schema)
        let mode = req.query["fieldValidation"] ?? "Warn"
        if !unknown.isEmpty, mode == "Strict" {
            let fields = unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
            return .error(.badRequest("\(r.kind) in version \"\(r.version)\" cannot be handled as a \(r.kind): strict decoding error: \(fields)"))
        }
        let response = serveResource(req, r, namespace: namespace, name: name, sub: sub, isWatch: isWatch)
        guard mode == "Warn", !unknown.isEmpty, case .full(let code, let ct, let bytes, let headers) = response else { return response }
        return .full(code: code, contentType: ct, body: bytes, headers: headers + unknown.map { ("Warning", "299 - \"unknown field \\\"\($0)\\\"\"") })
    }

    func serveResource(_ req: SimRequest, _ r: SimResource, namespace: String?, name: String?, sub: String?, isWatch: Bool) -> SimResponse {
        if sub == "scale", let name, Self.scalable.contains(r.name), r.group == "apps" {
            return serveScale(req, r, namespace: namespace, name: name)
        }
        do {
            switch (req.method, name, sub) {
            case ("GET", nil, _):
                return isWatch ? try watch(r, namespace: namespace, req) : try list(r, namespace: namespace, req)
            case ("GET", let n?, nil):
                let obj = try withLock { try getLocked(r, namespace: namespace, name: n) }
                return wantsTable(req) ? .json(SimTable.table(r, [obj], includeObject: req.query["includeObject"])) : .json(obj)
            case ("GET", let n?, "log") where r.name == "pods":
                return try logs(namespace: namespace ?? "default", pod: n, req)
            case ("POST", nil, _):
                let obj = try decodeBody(req)
                let created = try withLock {
                    try createLocked(r, namespace: namespace, object: obj, manager: req.query["fieldManager"] ?? userAgentManager(req))
                }
                return .json(created, code: 201)
            case ("PUT", let n?, nil):
                let obj = try decodeBody(req)
                return .json(try withLock { try replaceLocked(r, namespace: namespace, name: n, object: obj) })
            case ("PATCH", let n?, nil):
                let ct = req.headers["content-type"] ?? ""
                let patch = try decodeBody(req)
                if ct.hasPrefix("application/apply-patch") {
                    guard let manager = req.query["fieldManager"], !manager.isEmpty else {
                        throw SimError.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
                    }
                    let force = req.query["force"] == "true"
                    let (obj, created) = try withLock { try applyLocked(r, namespace: namespace, name: n, patch: patch, manager: manager, force: force) }
                    return .json(obj, code: created ? 201 : 200)
                }
                if ct.hasPrefix("application/json-patch+json") {
                    return .json(try withLock { try jsonPatchLocked(r, namespace: namespace, name: n, patch: patch) })
                }
                if ct.hasPrefix("application/merge-patch+json") || ct.hasPrefix("application/strategic-merge-patch+json") {
                    let strategic = ct.hasPrefix("application/strategic-merge-patch+json")
                    return .json(
                        try withLock {
                            try mergePatchLocked(
                                r, namespace: namespace, name: n, patch: patch, manager: req.query["fieldManager"] ?? "kubectl", strategic: strategic)
                        })
                }
                return .full(
                    code: 415, contentType: "application/json",
                    body: Array(
                        SimError.make(
                            415, reason: "UnsupportedMediaType",
                            message:
                                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                        ).status.jsonString().utf8), headers: [])
            case ("DELETE", let n?, nil):
                var propagation = req.query["propagationPolicy"]
                var grace = req.query["gracePeriodSeconds"].flatMap { Int($0) }
                if !req.body.isEmpty, let opts = try? Value(jsonBytes: req.body) {
                    propagation = opts["propagationPolicy"]?.str ?? propagation
                    grace = opts["gracePeriodSeconds"]?.intValue.map { Int($0) } ?? grace
                }
                let obj = try withLock { try deleteLocked(r, namespace: namespace, name: n, propagation: propagation, gracePeriod: grace) }
                if r.name == "pods", obj[path: ["metadata", "deletionTimestamp"]] != nil { return .json(obj) }
                return .json(SimStatus.success(r, n, uid: obj[path: ["metadata", "uid"]]?.str ?? ""))
            case ("DELETE", nil, _):
                let labels = try LabelSelector(req.query["labelSelector"] ?? "")
                let items = withLock { allLocked(r, namespace: namespace) }
                for o in items where labels.matches(o[path: ["metadata", "labels"]]?.stringMap ?? [:]) {
                    _ = try? withLock {
                        try deleteLocked(r, namespace: namespace, name: o[path: ["metadata", "name"]]?.str ?? "", propagation: nil, gracePeriod: nil)
                    }
                }
                return .json(listObject(r, items: [], rv: resourceVersion, cont: nil, remaining: nil))
            default:
                return .error(.methodNotAllowed())
            }
        } catch let e as SimError {
            return .error(e)
        } catch {
            return .error(.badRequest("\(error)"))
        }
    }

    func userAgentManager(_ req: SimRequest) -> String {
        let ua = req.headers["user-agent"] ?? "unknown"
        return String(ua.split(separator: "/").first ?? "unknown")
    }

    func openEndpoint(_ path: String) -> SimResponse {
        if path == "/version" {
            return .json(SimVersion.info)
        }
        return .full(code: 200, contentType: "text/plain; charset=utf-8", body: Array("ok".utf8), headers: [])
    }

    func notFoundPage() -> SimResponse {
        .full(code: 404, contentType: "text/plain; charset=utf-8", body: Array("404 page not found\n".utf8), headers: [])
    }

    func decodeBody(_ req: SimRequest) throws -> Value {
        if (req.headers["content-type"] ?? "").hasPrefix("application/vnd.kubernetes.protobuf") { return try SimProtobuf.decode(req.body) }
        let text = String(decoding: req.body, as: UTF8.self)
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            do { return try Value(jsonBytes: req.body) } catch { throw SimError.badRequest("error decoding JSON: \(error)") }
        }
        do { return try YAML.load(text, file: "request") } catch { throw SimError.badRequest("error decoding YAML: \(error)") }
    }

    func wantsTable(_ req: SimRequest) -> Bool { (req.headers["accept"] ?? "").contains("as=Table") }

    func listObject(_ r: SimResource, items: [Value], rv: Int, cont: String?, remaining: Int?) -> Value {
        var meta: OrderedDictionary<String, Value> = ["resourceVersion": .string(String(rv))]
        if let cont { meta["continue"] = .string(cont) }
        if let remaining { meta["remainingItemCount"] = .int(Int64(remaining)) }
        let stripped = items.map { item -> Value in
            guard case .map(var m) = item else { return item }
            m.removeValue(forKey: "apiVersion"); m.removeValue(forKey: "kind")
            return .map(m)
        }
        return .map(["kind": .string(r.kind + "List"), "apiVersion": .string(r.groupVersion), "metadata": .map(meta), "items": .list(stripped)])
    }

    func list(_ r: SimResource, namespace: String?, _ req: SimRequest) throws -> SimResponse {
        let labels = try LabelSelector(req.query["labelSelector"] ?? "")
        let fields = try req.query["fieldSelector"].flatMap { $0.isEmpty ? nil : try FieldSelector($0, resource: r) }
        let limit = Int(req.query["limit"] ?? "") ?? 0
        var startAfter: String?
        if let c = req.query["continue"], !c.isEmpty {
            guard let data = Data(base64Encoded: c), let token = try? Value(jsonBytes: Array(data)),
                let start = token["start"]?.str, let rv = token["rv"]?.intValue
            else {
                throw SimError.badRequest("continue key is not valid: illegal base64 data")
            }
            if Int(rv) < withLock({ watchLogStart }) - 1 {
                throw SimError.make(
                    410, reason: "Expired",
                    message:
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
                )
            }
            startAfter = start
        }
        let (list, rv) = withLock { () -> (SortedList, Int) in
            if namespace == nil { return (sortedAllLocked(r), revision) }
            let items = allLocked(r, namespace: namespace)
            let keys = items.map { "\($0[path: ["metadata", "namespace"]]?.str ?? "")/\($0[path: ["metadata", "name"]]?.str ?? "")" }
            return (SortedList(revision: revision, items: items, keys: keys), revision)
        }
        var matched: [Value] = []
        var cont: String?
        var remaining: Int?
        var count = 0
        var seenLimit = false
        let unfiltered = labels.isEmpty && fields == nil
        var i = startAfter.map(list.index(after:)) ?? 0
        while i < list.items.count {
            let o = list.items[i]
            let key = list.keys[i]
            i += 1
            if !labels.isEmpty, !labels.matches(o[path: ["metadata", "labels"]]?.stringMap ?? [:]) { continue }
            if let fields, !fields.matches(o) { continue }
            if seenLimit {
                if unfiltered { count += list.items.count - i + 1; break }
                count += 1
                continue
            }
            matched.append(o)
            if limit > 0, matched.count == limit {
                seenLimit = true
                let token: Value = .map(["rv": .int(Int64(rv)), "start": .string(key)])
                cont = Data(token.jsonBytes).base64EncodedString()
            }
        }
        if seenLimit {
            if count == 0 { cont = nil } else { remaining = count }
        }
        if wantsTable(req) {
            var t = SimTable.table(r, matched, includeObject: req.query["includeObject"])
            t[path: ["metadata", "resourceVersion"]] = .string(String(rv))
            if let cont { t[path: ["metadata", "continue"]] = .string(cont) }
            return .json(t)
        }
        return .json(listObject(r, items: matched, rv: rv, cont: cont, remaining: remaining))
    }

    func watch(_ r: SimResource, namespace: String?, _ req: SimRequest) throws -> SimResponse {
        let labels = try LabelSelector(req.query["labelSelector"] ?? "")
        let fields = try req.query["fieldSelector"].flatMap { $0.isEmpty ? nil : try FieldSelector($0, resource: r) }
        let rv = req.query["resourceVersion"]
        let bookmarks = req.query["allowWatchBookmarks"] == "true"
        return .stream(
            contentType: "application/json",
            start: { [self] sink in
                do {
                    let (id, initial) = try addWatcher(r, namespace: namespace, labels: labels, fields: fields, resourceVersion: rv, sink: sink)
                    return (initial, { [self] in removeWatcher(r, id: id) })
                } catch let e as SimError where e.code == 410 {
                    // A watch from a compacted version: the real server answers 200 and an ERROR event.
                    sink.finish()
                    return ([Self.watchEventBytes(type: "ERROR", object: e.status)], {})
                }
            }, bookmarks: bookmarks ? r : nil)
    }

    func logs(namespace: String, pod name: String, _ req: SimRequest) throws -> SimResponse {
        let r = Self.res("pods")
        return try withLock {
            let pod = try getLocked(r, namespace: namespace, name: name)
            let uid = pod[path: ["metadata", "uid"]]?.str ?? ""
            let names = containerNames(pod)
            let container: String
            if let c = req.query["container"], !c.isEmpty {
                guard names.contains(c) else {
                    throw SimError.badRequest("container \(c) is not valid for pod \(name)")
                }
                container = c
            } else if names.count == 1, let only = names.first {
                container = only
            } else {
                throw SimError.badRequest("a container name must be specified for pod \(name), choose one of: [\(names.joined(separator: " "))]")
            }
            let statuses = pod[path: ["status", "containerStatuses"]]?.list ?? []
            let cs = statuses.first { $0["name"]?.str == container }
            let previous = req.query["previous"] == "true"
            var lines: [LogLine]
            if previous {
                guard let prev = previousLogs[uid]?[container] else {
                    throw SimError.badRequest("previous terminated container \"\(container)\" in pod \"\(name)\" not found")
                }
                lines = prev
            } else {
                if let waiting = cs?[path: ["state", "waiting"]], podLogs[uid]?[container]?.isEmpty ?? true {
                    let reason = waiting["reason"]?.str ?? "ContainerCreating"
                    let why = reason.contains("Image") ? "trying and failing to pull image" : reason
                    throw SimError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: \(why)")
                }
                if cs == nil || podLogs[uid] == nil {
                    throw SimError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: ContainerCreating")
                }
                lines = podLogs[uid]?[container] ?? []
            }
            if let s = req.query["sinceSeconds"].flatMap(Double.init) {
                let cutoff = Date().addingTimeInterval(-s)
                lines = lines.filter { $0.time >= cutoff }
            }
            if let since = req.query["sinceTime"], let at = SimTime.parse(since) {
                let cutoff = at.addingTimeInterval(-1e-6)  // the stamp was printed truncated to nanoseconds
                lines = lines.filter { $0.time >= cutoff }
            }
            if let t = req.query["tailLines"].flatMap(Int.init), t >= 0 { lines = Array(lines.suffix(t)) }
            if let lb = req.query["limitBytes"].flatMap(Int.init) {
                var total = 0
                lines = Array(
                    lines.prefix {
                        total += $0.text.utf8.count + 1; return total <= lb
                    })
            }
            let timestamps = req.query["timestamps"] == "true"
            let initial = lines.map { Self.logBytes($0, timestamps: timestamps) }
            let follow = req.query["follow"] == "true" && !previous
            let done = ["Succeeded", "Failed"].contains(pod[path: ["status", "phase"]]?.str ?? "")
            if !follow || done {
                return .full(code: 200, contentType: "text/plain", body: initial.flatMap { $0 }, headers: [])
            }
            return .stream(
                contentType: "text/plain",
                start: { [self] sink in
                    withLock {
                        let id = nextWatcherID
                        nextWatcherID += 1
                        logFollowers[uid, default: [:]][id] = (container, sink, timestamps)
                        return (initial, { [self] in withLock { _ = logFollowers[uid]?.removeValue(forKey: id) } })
                    }
                }, bookmarks: nil)
        }
    }
}
