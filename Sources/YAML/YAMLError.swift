/// Every YAML failure carries the place it happened so a user can jump straight to it; `mark` is
/// nil only when the failure has no position (libyaml ran out of memory, say).
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var mark: Mark?

    public init(_ message: String, mark: Mark?) {
        self.message = message
        self.mark = mark
    }

    public var description: String {
        guard let mark else { return message }
        return "\(mark): \(message)"
    }
}
