/// One user-supplied source of values, as given on a command line: a values file (`-f`) or a
/// `--set*` expression. Callers read files themselves; the module only sees text.
public struct ValuesLayer: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// A values file: its path (for messages) and its text.
        case file(path: String, text: String)
        /// A `--set*` expression exactly as typed after the flag.
        case set(SetKind, String)
    }

    public var source: Source

    public init(_ source: Source) { self.source = source }

    public static func file(_ path: String, text: String) -> ValuesLayer { ValuesLayer(.file(path: path, text: text)) }
    public static func set(_ kind: SetKind, _ expression: String) -> ValuesLayer { ValuesLayer(.set(kind, expression)) }

    /// The argument as the user would type it, e.g. `-f prod.yaml` or `--set a.b=1`.
    public var commandLine: [String] {
        switch source {
        case .file(let path, _): return ["-f", path]
        case .set(let kind, let expr): return [kind.flag, expr]
        }
    }
}
