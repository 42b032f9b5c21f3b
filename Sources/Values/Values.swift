import OrderedCollections
import YAML

/// Helm's values semantics, exactly: how `-f` files and `--set*` arguments layer into one set of
/// user values, and how those meet a chart's defaults. The module does no I/O: callers hand in file
/// text, and a reader for the paths `--set-file` names.
public enum Values {
    /// The default reader: `--set-file` needs the caller to say how files are read.
    public static func noFileReader(_ path: String) throws -> String {
        throw ValuesError("cannot read \"\(path)\": no file reader was given for --set-file", at: .none)
    }

    /// Applies one `--set*` argument to `base`, as Helm's strvals does.
    ///
    /// - Parameter readFile: reads a path named by `--set-file` (only called for `.file`).
    public static func parseSet(
        _ expression: String, kind: SetKind, into base: Value = .emptyMap,
        readFile: (String) throws -> String = Values.noFileReader
    ) throws -> Value {
        var data = base.mapValue ?? [:]
        if kind == .json, let object = try wholeJSONObject(expression) {
            return .map(mergeMaps(data, object))
        }
        try withoutActuallyEscaping(readFile) { read in
            let convert: (String, Int) throws -> Value
            switch kind {
            case .set: convert = { text, _ in typedScalar(text) }
            case .string, .json, .literal: convert = { text, _ in .string(text) }
            case .file:
                convert = { path, start in
                    do {
                        return .string(try read(path))
                    } catch {
                        throw ValuesError(
                            "cannot read file \"\(path)\": \(error)",
                            at: .argument(kind: kind, expression: expression, position: start))
                    }
                }
            }
            var parser = SetParser(kind: kind, expression: expression, convert: convert)
            try parser.parse(into: &data)
        }
        return .map(data)
    }

    /// Helm 4 takes a `--set-json` argument that is a JSON object as a whole (`{"a":{"b":1}}`) and
    /// merges it like a values file, instead of replacing keys as `a={"b":1}` does.
    private static func wholeJSONObject(_ expression: String) throws -> OrderedDictionary<String, Value>? {
        let leading = expression.unicodeScalars.prefix { $0.properties.isWhitespace }.count
        let trimmed = expression.unicodeScalars.dropFirst(leading)
        guard trimmed.first == "{" else { return nil }
        do {
            guard case .map(let m) = try JSONReader.readWhole(expression) else { return nil }
            return m
        } catch {
            throw ValuesError(
                "invalid JSON object: \(error.message)",
                at: .argument(kind: .json, expression: expression, position: error.offset + 1),
                hint: "an argument starting with '{' must be one JSON object")
        }
    }

    /// One values file as Helm 4 loads it: split into documents as Helm splits them, every
    /// document a map (or empty), merged in order; numbers as Helm holds them (float64).
    public static func loadFile(path: String, text: String) throws -> Value {
        var out: OrderedDictionary<String, Value> = [:]
        for piece in try splitLikeHelm(text, path: path) {
            // Leading blank lines keep the parser's marks on the file's own line numbers.
            let padded = String(repeating: "\n", count: piece.firstLine - 1) + piece.text
            let value: Value
            let mark: Mark
            do {
                guard let node = try YAML.parseDocuments(padded, file: path).first else { continue }
                mark = node.mark
                value = try node.resolve()
            } catch let error as YAMLError {
                throw ValuesError(error.message, at: .file(error.mark ?? .synthetic(path)))
            }
            switch value {
            case .null: continue
            case .map(let m):
                guard case .map(let rounded) = roundedLikeFloat64(.map(m)) else { continue }
                out = mergeMaps(out, rounded)
            default:
                throw ValuesError(
                    "a values file must be a map of keys at the top, found a \(value.kindName)",
                    at: .file(mark), hint: "write `key: value` lines")
            }
        }
        return .map(out)
    }

    /// All user layers in Helm's fixed order, whatever order they were given in: every `-f` file
    /// in order, then `--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal`, each
    /// kind in its own order. The result is what Helm passes on to meet the chart defaults.
    /// `base`: values that come before every file (a strategy's own layers): `--set` then indexes
    /// into their lists as helm's strvals does into values files' lists (`list[1]=B` keeps the rest).
    public static func compose(
        files: [(path: String, text: String)], sets: [(SetKind, String)], base start: Value = .emptyMap,
        readFile: (String) throws -> String = Values.noFileReader
    ) throws -> Value {
        var base: Value = start
        for file in files {
            base = merge(base, try loadFile(path: file.path, text: file.text))
        }
        for kind in SetKind.helmOrder {
            for (k, expression) in sets where k == kind {
                base = try parseSet(expression, kind: kind, into: base, readFile: readFile)
            }
        }
        return base
    }

    /// `compose` over layers as they came from a command line.
    public static func compose(
        _ layers: [ValuesLayer], base: Value = .emptyMap,
        readFile: (String) throws -> String = Values.noFileReader
    ) throws -> Value {
        var files: [(path: String, text: String)] = []
        var sets: [(SetKind, String)] = []
        for layer in layers {
            switch layer.source {
            case .file(let path, let text): files.append((path, text))
            case .set(let kind, let expression): sets.append((kind, expression))
            }
        }
        return try compose(files: files, sets: sets, base: base, readFile: readFile)
    }
}
