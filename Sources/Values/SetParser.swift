import OrderedCollections
import YAML

/// Helm's strvals parser (`pkg/strvals/parser.go` and `literal_parser.go`), rule for rule, over
/// `Value`. The quirks are kept on purpose because Helm is the oracle: `a={}` is `[""]`, `a[0]`
/// with nothing after it leaves an empty list, `a=1x` is the string `1x`, `--set-json a=1 b=2`
/// sets both, a backslash escapes any character in keys and values but not in `--set-literal`.
struct SetParser {
    typealias Map = OrderedDictionary<String, Value>

    /// Whether parsing goes on after an assignment (Go's nil) or the argument is used up (io.EOF).
    enum Outcome { case more, end }

    static let maxIndex = 65536
    static let maxNestedNameLevel = 30

    let kind: SetKind
    let expression: String
    var scanner: SetScanner
    /// Turns the raw text of a value into a value; unused by `.json` and `.literal`.
    let convert: (String, _ start: Int) throws -> Value

    init(kind: SetKind, expression: String, convert: @escaping (String, Int) throws -> Value) {
        self.kind = kind
        self.expression = expression
        self.scanner = SetScanner(expression)
        self.convert = convert
    }

    private var literal: Bool { kind == .literal }
    private var json: Bool { kind == .json }

    func error(_ message: String, at position: Int, hint: String? = nil) -> ValuesError {
        ValuesError(message, at: .argument(kind: kind, expression: expression, position: position), hint: hint)
    }

    mutating func parse(into data: inout Map) throws {
        while try key(&data, level: 0, path: "") == .more {}
    }

    // MARK: keys

    private mutating func key(_ data: inout Map, level: Int, path: String) throws -> Outcome {
        let stops: Set<Unicode.Scalar> = literal ? ["=", "[", "."] : ["=", "[", ",", "."]
        let run = scanner.until(stops, escapes: !literal)
        let k = run.text
        let here = path.isEmpty ? k : path + "." + k
        switch run.stop {
        case nil:
            if k.isEmpty { return .end }
            throw error(
                "key \"\(here)\" has no value", at: scanner.position,
                hint: "expected '=' and a value after the key")
        case "[":
            // An index cut off by the end of the argument ends it quietly: Helm wraps io.EOF.
            guard let (index, indexAt) = try keyIndex() else { return .end }
            var list: [Value] = []
            if let existing = data[k] {
                guard case .list(let l) = existing else {
                    throw conflict(here, existing, wanted: "list", at: run.start)
                }
                list = l
            }
            let outcome = try listItem(&list, index, at: indexAt, level: level, path: "\(here)[\(index)]")
            Self.set(&data, k, .list(list))
            return outcome
        case "=":
            if json { return try jsonValue { v in Self.set(&data, k, v) } }
            if literal {
                Self.set(&data, k, .string(restVerbatim()))
                return .more
            }
            return try value { v in Self.set(&data, k, v) }
        case ",":
            throw error(
                "key \"\(here)\" has no value", at: scanner.position - 1,
                hint: "expected '=' and a value before ','; write \\, for a comma inside a key")
        default:  // "."
            let next = level + 1
            if next > Self.maxNestedNameLevel {
                throw error(
                    "key \"\(here)\" is nested more than \(Self.maxNestedNameLevel) levels deep (Helm's limit)",
                    at: scanner.position - 1)
            }
            let dotAt = scanner.position - 1
            var inner: Map = [:]
            if let existing = data[k] {
                guard case .map(let m) = existing else {
                    throw conflict(here, existing, wanted: "map", at: run.start)
                }
                inner = m
            }
            let outcome = try key(&inner, level: next, path: here)
            if outcome == .more && inner.isEmpty {
                throw error(
                    "key \"\(here).\" has no value", at: dotAt + 1,
                    hint: "expected a key name after '.'; write \\. for a dot inside a key")
            }
            if !inner.isEmpty { Self.set(&data, k, .map(inner)) }
            return outcome
        }
    }

    /// Helm ignores assignments to an empty key (`=1`, `.a=1`) without a word.
    private static func set(_ data: inout Map, _ key: String, _ value: Value) {
        guard !key.isEmpty else { return }
        data[key] = value
    }

    private func conflict(_ path: String, _ existing: Value, wanted: String, at position: Int) -> ValuesError {
        let what = existing.isNull ? "null" : "a \(existing.kindName)"
        return error(
            "cannot use \"\(path)\" as a \(wanted): it is already \(what)", at: position,
            hint: "Helm does not replace an existing value of another kind through a path; set \"\(path)\" itself first")
    }

    // MARK: list indexes

    /// The index and the position where it starts, for messages; nil when the argument ends
    /// before ']', which Helm treats as the end of input rather than an error.
    private mutating func keyIndex() throws -> (Int, Int)? {
        let run = scanner.until(["]"], escapes: !literal)
        guard run.stop != nil else { return nil }
        let text = run.text
        // Go's strconv.Atoi: optional sign, then decimal digits.
        var digits = Substring(text)
        var negative = false
        if let f = digits.first, f == "+" || f == "-" { negative = f == "-"; digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw error(
                "list index \"\(text)\" is not a number", at: run.start,
                hint: "expected a non-negative integer between '[' and ']'")
        }
        guard let magnitude = Int(digits) else {
            throw error(
                "list index \(text) is out of range", at: run.start,
                hint: "Helm allows at most \(Self.maxIndex)")
        }
        let index = negative ? -magnitude : magnitude
        if index < 0 {
            throw error("list index \(index) is negative", at: run.start, hint: "expected a non-negative integer")
        }
        return (index, run.start)
    }

    private func setIndex(_ list: inout [Value], _ index: Int, _ value: Value, at position: Int) throws {
        if index > Self.maxIndex {
            throw error("list index \(index) is larger than Helm's maximum of \(Self.maxIndex)", at: position)
        }
        if list.count <= index {
            list.append(contentsOf: repeatElement(.null, count: index + 1 - list.count))
        }
        list[index] = value
    }

    private mutating func listItem(
        _ list: inout [Value], _ index: Int, at indexAt: Int, level: Int,
        path: String
    ) throws -> Outcome {
        let run = scanner.until(["[", ".", "="], escapes: !literal)
        if !run.text.isEmpty {
            throw error(
                "unexpected \"\(run.text)\" after list index \"\(path)\"", at: run.start,
                hint: "expected '=', '.' or '[' after ']'")
        }
        switch run.stop {
        case nil:
            return .end
        case "=":
            var assigned: Value = .null
            let outcome: Outcome
            if json {
                outcome = try jsonValue { v in assigned = v }
            } else if literal {
                assigned = .string(restVerbatim())
                outcome = .more
            } else {
                outcome = try value { v in assigned = v }
            }
            _ = outcome  // Helm stores the item either way and reads on; the end is found by the next key
            try setIndex(&list, index, assigned, at: indexAt)
            return .more
        case "[":
            guard let (nextIndex, nextAt) = try keyIndex() else { return .end }
            var inner: [Value] = []
            var existedAsList = false
            if index < list.count, !list[index].isNull {
                guard case .list(let l) = list[index] else {
                    throw conflict(path, list[index], wanted: "list", at: run.start)
                }
                inner = l
                existedAsList = true
            }
            let outcome = try listItem(&inner, nextIndex, at: nextAt, level: level, path: "\(path)[\(nextIndex)]")
            if outcome == .end {
                // Helm returns without storing, but changes made in place to an existing element stay.
                if existedAsList { list[index] = .list(inner) }
                return .end
            }
            try setIndex(&list, index, .list(inner), at: indexAt)
            return outcome
        default:  // "."
            var inner: Map = [:]
            if index < list.count {
                if case .map(let m) = list[index] {
                    inner = m
                } else {
                    list[index] = .map([:])  // Helm: "indices out of order", start a fresh map
                }
            }
            let outcome = try key(&inner, level: level, path: path)
            if outcome == .end {
                if index < list.count { list[index] = .map(inner) }
                return .end
            }
            try setIndex(&list, index, .map(inner), at: indexAt)
            return outcome
        }
    }

    // MARK: values

    /// `--set-literal`: everything after '=' as it is, commas and backslashes included.
    private mutating func restVerbatim() -> String {
        var out = String.UnicodeScalarView()
        while let r = scanner.next() { out.append(r) }
        return String(out)
    }

    /// `--set`, `--set-string`, `--set-file`: `{a,b}` list or text up to an unescaped ','.
    /// Returns `.end` only where Helm sees the end of input right after '='.
    private mutating func value(_ store: (Value) -> Void) throws -> Outcome {
        guard let first = scanner.next() else {
            store(.string(""))
            return .end
        }
        if first == "{" {
            var items: [Value] = []
            let open = scanner.position - 1
            while true {
                let run = scanner.until([",", "}"])
                switch run.stop {
                case nil:
                    throw error("list is not closed", at: open, hint: "expected '}' to end the list that starts here")
                case "}":
                    if let r = scanner.next(), r != "," { scanner.unread() }
                    items.append(try convert(run.text, run.start))
                    store(.list(items))
                    return .more
                default:
                    items.append(try convert(run.text, run.start))
                }
            }
        }
        scanner.unread()
        let run = scanner.until([","])
        store(try convert(run.text, run.start))
        return .more
    }

    /// `--set-json`: nothing (or only spaces) before ',' or the end is null; otherwise one JSON value.
    private mutating func jsonValue(_ store: (Value) -> Void) throws -> Outcome {
        if skipBlanksAndComma() {
            store(.null)
            return .more
        }
        let start = scanner.position
        do {
            let (v, consumed) = try JSONReader.readPrefix(scanner.rest)
            store(v)
            scanner.advance(by: consumed)
        } catch {
            throw self.error(
                "invalid JSON: \(error.message)", at: start + error.offset,
                hint: "--set-json takes key=<JSON value>, e.g. a={\"b\":1} or a=[1,2] or a=\"text\"")
        }
        _ = skipBlanksAndComma()
        return .more
    }

    /// Helm's `emptyVal`: skips white space; true at the end or at a ',' (which it consumes).
    private mutating func skipBlanksAndComma() -> Bool {
        while let r = scanner.next() {
            if r == "," { return true }
            if !r.properties.isWhitespace {
                scanner.unread()
                return false
            }
        }
        return true
    }
}
