/// The five `--set` flavours Helm accepts. They differ in how the text after `=` becomes a value,
/// and Helm applies them in a fixed order regardless of their order on the command line.
public enum SetKind: String, Sendable, Hashable, CaseIterable {
    /// `--set`: typed scalars (`true`, `null`, integers), `{a,b}` lists, commas separate assignments.
    case set
    /// `--set-string`: same syntax as `--set`, every value stays a string.
    case string
    /// `--set-file`: same syntax, each value is a path whose content becomes a string.
    case file
    /// `--set-json`: each value is one JSON document, or the whole argument is a JSON object.
    case json
    /// `--set-literal`: one assignment; everything after the first `=` is taken verbatim.
    case literal

    /// The command-line flag, for messages and for building Helm argument lists.
    public var flag: String {
        switch self {
        case .set: return "--set"
        case .string: return "--set-string"
        case .file: return "--set-file"
        case .json: return "--set-json"
        case .literal: return "--set-literal"
        }
    }

    /// Helm 4 `MergeValues` applies, after all `-f` files: `--set-json`, `--set`, `--set-string`,
    /// `--set-file`, `--set-literal`. A later kind wins over an earlier one for the same key, even
    /// when it came first on the command line.
    public static let helmOrder: [SetKind] = [.json, .set, .string, .file, .literal]
}
