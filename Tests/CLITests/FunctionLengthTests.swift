import Foundation
import Testing

/// Functions stay short enough to read at once: none in Sources is over 80 lines. Counted from
/// the line that declares it to its closing brace, braces inside string literals ignored.
@Suite struct FunctionLength {
    static let limit = 80

    /// (file:line, lines) of every function or initialiser longer than `limit` in `text`.
    static func long(_ text: String, file: String) -> [(String, Int)] {
        let lines = text.components(separatedBy: "\n")
        let strings = try? NSRegularExpression(pattern: #""(\\.|[^"\\])*""#)
        let declaration = try? NSRegularExpression(
            pattern: #"^\s*(@\w+\s+)*((public|private|fileprivate|internal|static|mutating|override|nonisolated|final)\s+)*(func\s|init[?(<])"#)
        var out: [(String, Int)] = []
        for (i, line) in lines.enumerated() {
            let range = NSRange(line.startIndex..., in: line)
            guard declaration?.firstMatch(in: line, range: range) != nil else { continue }
            var depth = 0, started = false, j = i
            scan: while j < lines.count {
                let l = lines[j]
                let code = strings?.stringByReplacingMatches(in: l, range: NSRange(l.startIndex..., in: l), withTemplate: "\"\"") ?? l
                for c in code {
                    if c == "{" { depth += 1; started = true } else if c == "}" { depth -= 1 }
                    if started && depth == 0 { break scan }
                }
                // A protocol requirement: no body.
                if !started && j > i && code.trimmingCharacters(in: .whitespaces).isEmpty { break }
                j += 1
            }
            if started && j - i + 1 > limit { out.append(("\(file):\(i + 1)", j - i + 1)) }
        }
        return out
    }

    @Test func noFunctionInSourcesIsOver80Lines() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        var found: [(String, Int)] = []
        var files = 0
        let walker = FileManager.default.enumerator(atPath: "\(root)/Sources")
        while let f = walker?.nextObject() as? String {
            guard f.hasSuffix(".swift") else { continue }
            files += 1
            found += Self.long(try String(contentsOfFile: "\(root)/Sources/\(f)", encoding: .utf8), file: "Sources/\(f)")
        }
        #expect(files > 100)
        #expect(found.isEmpty, "over \(Self.limit) lines: \(found.map { "\($0.0) (\($0.1))" }.joined(separator: ", "))")
    }

    @Test func theCountCanFail() {
        let body = (0..<90).map { "    let x\($0) = \"{\"" }.joined(separator: "\n")
        #expect(Self.long("func f() {\n\(body)\n}\n", file: "x").count == 1)
        #expect(Self.long("func f() {\n    let s = \"}\"\n}\n", file: "x").isEmpty)
    }
}
