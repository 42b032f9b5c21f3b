import OrderedCollections
import YAML

/// An API failure carried as the `Status` object kube-apiserver sends, with the same reason,
/// message wording and details, so clients are tested against the real shapes.
struct SimError: Error {
    var code: Int
    var status: Value
    var headers: [(String, String)] = []

    static func make(_ code: Int, reason: String, message: String, details: Value? = nil) -> SimError {
        var m: OrderedDictionary<String, Value> = [
            "kind": "Status", "apiVersion": "v1", "metadata": .map([:]), "status": "Failure",
            "message": .string(message), "reason": .string(reason)
        ]
        if let details { m["details"] = details }
        m["code"] = .int(Int64(code))
        return SimError(code: code, status: .map(m))
    }

    static func notFound(_ r: SimResource, _ name: String) -> SimError {
        var d: OrderedDictionary<String, Value> = ["name": .string(name)]
        if !r.group.isEmpty { d["group"] = .string(r.group) }
        d["kind"] = .string(r.name)
        let qualified = r.group.isEmpty ? r.name : "\(r.name).\(r.group)"
        return make(404, reason: "NotFound", message: "\(qualified) \"\(name)\" not found", details: .map(d))
    }

    static let unknownResource = make(
        404, reason: "NotFound", message: "the server could not find the requested resource",
        details: .map([:]))

    static func alreadyExists(_ r: SimResource, _ name: String) -> SimError {
        var d: OrderedDictionary<String, Value> = ["name": .string(name)]
        if !r.group.isEmpty { d["group"] = .string(r.group) }
        d["kind"] = .string(r.name)
        let qualified = r.group.isEmpty ? r.name : "\(r.name).\(r.group)"
        return make(409, reason: "AlreadyExists", message: "\(qualified) \"\(name)\" already exists", details: .map(d))
    }

    static func conflict(_ r: SimResource, _ name: String) -> SimError {
        var d: OrderedDictionary<String, Value> = ["name": .string(name)]
        if !r.group.isEmpty { d["group"] = .string(r.group) }
        d["kind"] = .string(r.name)
        let qualified = r.group.isEmpty ? r.name : "\(r.name).\(r.group)"
        return make(
            409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(qualified) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: .map(d))
    }

    /// Field manager conflicts on server-side apply, worded like the apply manager's error.
    static func applyConflict(_ conflicts: [(manager: String, apiVersion: String, field: String)]) -> SimError {
        let n = conflicts.count
        var message = "Apply failed with \(n) conflict\(n == 1 ? "" : "s"): "
        if n == 1, let c = conflicts.first {
            message += "conflict with \"\(c.manager)\" using \(c.apiVersion): \(c.field)"
        } else {
            message += conflicts.map { "conflict with \"\($0.manager)\" using \($0.apiVersion): \($0.field)" }.joined(separator: "\n")
        }
        let causes = conflicts.map { c -> Value in
            .map(["reason": "FieldManagerConflict", "message": .string("conflict with \"\(c.manager)\" using \(c.apiVersion)"), "field": .string(c.field)])
        }
        return make(409, reason: "Conflict", message: message, details: .map(["causes": .list(causes)]))
    }

    static func invalid(
        _ r: SimResource, _ name: String, field: String, reason: String = "FieldValueRequired",
        detail: String = "Required value"
    ) -> SimError {
        var d: OrderedDictionary<String, Value> = ["name": .string(name)]
        if !r.group.isEmpty { d["group"] = .string(r.group) }
        d["kind"] = .string(r.kind)
        d["causes"] = .list([.map(["reason": .string(reason), "message": .string(detail), "field": .string(field)])])
        let qualified = r.group.isEmpty ? r.kind : "\(r.kind).\(r.group)"
        return make(422, reason: "Invalid", message: "\(qualified) \"\(name)\" is invalid: \(field): \(detail)", details: .map(d))
    }

    static func badRequest(_ message: String) -> SimError { make(400, reason: "BadRequest", message: message) }
    static func unsupportedMediaType(_ message: String) -> SimError { make(415, reason: "UnsupportedMediaType", message: message) }

    static let unauthorized = make(401, reason: "Unauthorized", message: "Unauthorized")

    static func forbidden(user: String, verb: String, r: SimResource, namespace: String?, name: String?) -> SimError {
        let qualified = r.group.isEmpty ? r.name : "\(r.name).\(r.group)"
        var message =
            "\(qualified)\(name.map { " \"\($0)\"" } ?? "") is forbidden: User \"\(user)\" cannot \(verb) resource \"\(r.name)\" in API group \"\(r.group)\""
        if let namespace { message += " in the namespace \"\(namespace)\"" } else if r.namespaced { message += " at the cluster scope" }
        var d: OrderedDictionary<String, Value> = [:]
        if let name { d["name"] = .string(name) }
        if !r.group.isEmpty { d["group"] = .string(r.group) }
        d["kind"] = .string(r.name)
        return make(403, reason: "Forbidden", message: message, details: .map(d))
    }

    static func tooManyRequests(retryAfter: Int) -> SimError {
        var e = make(
            429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
            details: .map(["retryAfterSeconds": .int(Int64(retryAfter))]))
        e.headers = [("Retry-After", String(retryAfter))]
        return e
    }

    static func internalError(_ message: String) -> SimError {
        make(
            500, reason: "InternalError", message: "Internal error occurred: \(message)",
            details: .map(["causes": .list([.map(["message": .string(message)])])]))
    }

    static func expired(_ requested: Int, _ oldest: Int) -> SimError {
        make(410, reason: "Expired", message: "too old resource version: \(requested) (\(oldest))")
    }

    static func methodNotAllowed() -> SimError {
        make(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
    }
}

enum SimStatus {
    static func success(_ r: SimResource, _ name: String, uid: String) -> Value {
        var d: OrderedDictionary<String, Value> = ["name": .string(name)]
        if !r.group.isEmpty { d["group"] = .string(r.group) }
        d["kind"] = .string(r.name)
        d["uid"] = .string(uid)
        return .map(["kind": "Status", "apiVersion": "v1", "metadata": .map([:]), "status": "Success", "details": .map(d)])
    }
}
