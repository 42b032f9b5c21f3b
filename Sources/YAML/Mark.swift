/// A position in a source file, 1-based, so every error can say `file:line:column`.
public struct Mark: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// For values that did not come from a file (`--set`, defaults).
    public static func synthetic(_ origin: String) -> Mark { Mark(file: origin, line: 0, column: 0) }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}
