import CYAML

/// libyaml's problem strings are terse and talk about tokens; users need to know what to fix, so
/// the common ones get a plain-language explanation while keeping the original wording.
extension EventParser {
    func libyamlError(_ parser: yaml_parser_t, text: String) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        let at = Mark(file: file, line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1)
        let ctxMark = parser.context_mark
        let ctxWhere = "line \(ctxMark.line + 1), column \(ctxMark.column + 1)"

        if parser.error == YAML_MEMORY_ERROR {
            return YAMLError("libyaml ran out of memory", mark: nil)
        }
        if parser.error == YAML_READER_ERROR {
            // Reader errors report a byte offset, not a line: turn it into one.
            let (mark, scalar) = Self.position(in: text, byteOffset: parser.problem_offset, file: file)
            var message = problem
            if problem.hasPrefix("control characters"), let scalar {
                message += " (found U+\(String(scalar.value, radix: 16, uppercase: true))); write it as an escape inside double quotes"
            } else if problem.contains("UTF-8") {
                message += " (the file must be UTF-8 text)"
            }
            return YAMLError(message, mark: mark)
        }

        let offending = Self.character(in: text, line: at.line, column: at.column)
        var message = problem
        switch problem {
        case "found character that cannot start any token" where offending == "\t":
            message = "found a tab character where indentation or a value was expected; YAML indentation must use spaces, not tabs"
        case "found character that cannot start any token":
            if let c = offending { message = "found character '\(c)' that cannot start any token; quote the value if it is text" }
        case "did not find expected key":
            message = "did not find expected key: this is not a key of the mapping"
            if context != nil { message += " that started at \(ctxWhere)" }
            message += " (wrong indentation, or text after a quoted value?)"
        case "did not find expected '-' indicator":
            message = "expected another '- ' entry of the list"
            if context != nil { message += " that started at \(ctxWhere)" }
            message += " (wrong indentation, or a key mixed into a list?)"
        case "found unexpected end of stream" where context?.contains("quoted scalar") == true:
            return YAMLError(
                "unclosed quoted string: the quote opened at \(ctxWhere) is never closed",
                mark: Mark(file: file, line: ctxMark.line + 1, column: ctxMark.column + 1))
        case "mapping values are not allowed in this context":
            message = "mapping values are not allowed here: a ': ' inside a plain value needs quotes, or the indentation is wrong"
        case "block sequence entries are not allowed in this context":
            message = "a list entry ('- ') is not allowed here: check its indentation, or quote a value starting with '-'"
        case "could not find expected ':'":
            message = "could not find the ':' after a key"
            if context != nil { message += " (the key starts at \(ctxWhere))" }
        case "did not find expected node content":
            message = "expected a value here but found none (a stray indicator such as '-', '?' or ','?)"
        default:
            if let context { message += " (\(context) at \(ctxWhere))" }
        }
        return YAMLError(message, mark: at)
    }

    /// Line, column and character at a UTF-8 byte offset.
    static func position(in text: String, byteOffset: Int, file: String) -> (Mark, Unicode.Scalar?) {
        var line = 1, column = 1, offset = 0
        for scalar in text.unicodeScalars {
            if offset >= byteOffset { return (Mark(file: file, line: line, column: column), scalar) }
            offset += UTF8.width(scalar)
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (Mark(file: file, line: line, column: column), nil)
    }

    /// The character at a 1-based line/column, counting columns in Unicode scalars as libyaml does.
    static func character(in text: String, line: Int, column: Int) -> Character? {
        var currentLine = 1
        var col = 1
        for scalar in text.unicodeScalars {
            if currentLine == line && col == column { return Character(scalar) }
            if scalar == "\n" {
                if currentLine == line { return nil }
                currentLine += 1
                col = 1
            } else {
                col += 1
            }
        }
        return nil
    }
}
