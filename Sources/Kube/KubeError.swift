import YAML

/// Every failure the client reports: what was attempted, on which resource, through which
/// context and user, and what the server said. Never carries credentials.
public struct KubeError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        case config, unauthorized, forbidden, notFound, conflict, invalid, tooManyRequests, server, network, timeout, gone, other
    }
    public var kind: Kind
    public var message: String
    /// HTTP status, 0 when no response arrived.
    public var code: Int
    /// The `Status` object the API server sent, when it sent one.
    public var status: Value?

    public init(kind: Kind, message: String, code: Int = 0, status: Value? = nil) {
        self.kind = kind; self.message = message; self.code = code; self.status = status
    }

    public var description: String { message }

    static func config(_ m: String) -> KubeError { KubeError(kind: .config, message: m) }

    /// Turns an API error response into a message naming the operation, the API's own
    /// explanation, and the context/user, with advice for 401 and 403.
    static func from(code: Int, body: [UInt8], operation: String, context: String, user: String) -> KubeError {
        let status = try? Value(jsonBytes: body)
        var serverMessage = status?["message"]?.stringValue
        if serverMessage == nil {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            serverMessage = text.isEmpty ? "HTTP \(code)" : text
        }
        let reason = status?["reason"]?.stringValue
        let message = serverMessage ?? "HTTP \(code)"
        let who = "(context \"\(context)\", user \"\(user)\")"
        let kind: Kind
        var text = "\(operation): \(message) \(who)"
        switch code {
        case 401:
            kind = .unauthorized
            text =
                "\(operation): Unauthorized \(who): the API server did not accept these credentials; the client certificate, token or exec plugin output of user \"\(user)\" is missing, expired or for another cluster"
        case 403:
            kind = .forbidden
            text = "\(operation): \(message) \(who): the credentials are valid but RBAC does not allow this; ask a cluster admin for a Role/ClusterRole binding"
        case 404: kind = .notFound
        case 409: kind = .conflict
        case 410: kind = .gone
        case 422:
            kind = .invalid
            let causes = (status?.lookup(["details", "causes"])?.listValue ?? []).compactMap { c -> String? in
                guard let f = c["field"]?.stringValue, let m = c["message"]?.stringValue else { return nil }
                return "\(f): \(m)"
            }
            if !causes.isEmpty && !message.contains(causes[0]) { text += " [\(causes.joined(separator: "; "))]" }
        case 429: kind = .tooManyRequests
        case 500...599: kind = .server
        default: kind = .other
        }
        if let reason, kind == .other { text += " [\(reason)]" }
        return KubeError(kind: kind, message: text, code: code, status: status)
    }
}
