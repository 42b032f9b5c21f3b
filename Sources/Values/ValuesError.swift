import YAML

/// A values problem that names exactly where it is: a position in a values file, or the `--set`
/// argument and the character in it, so the user can fix the input without guessing.
public struct ValuesError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Location: Sendable, Hashable {
        /// A position inside a values file.
        case file(Mark)
        /// A `--set*` argument; `position` is the 1-based character (Unicode scalar) index.
        case argument(kind: SetKind, expression: String, position: Int)
        /// A file named by `--set-file`, which could not be read.
        case none
    }

    public var message: String
    public var location: Location
    public var hint: String?

    public init(_ message: String, at location: Location, hint: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
    }

    public var description: String {
        var out: String
        switch location {
        case .file(let mark):
            out = "\(mark): \(message)"
        case .argument(let kind, let expression, let position):
            out = "\(kind.flag) \(quoted(expression)): at character \(position): \(message)"
        case .none:
            out = message
        }
        if let hint { out += " (\(hint))" }
        return out
    }

    private func quoted(_ s: String) -> String {
        var out = "\""
        for c in s {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
    }
}
