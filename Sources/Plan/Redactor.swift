import Foundation

/// Masks secret values wherever text leaves the process (plans, logs, reports, errors). Works on
/// the values themselves, not on key names, so a secret is caught wherever it was interpolated.
public struct Redactor: Sendable {
    public var secrets: [String: String]
    public init(secrets: [String: String]) { self.secrets = secrets }

    public func redact(_ text: String) -> String {
        var out = text
        for (name, value) in secrets.sorted(by: { $0.value.count > $1.value.count }) where value.count >= 4 {
            out = out.replacingOccurrences(of: value, with: "<secret:\(name)>")
        }
        return out
    }
}

