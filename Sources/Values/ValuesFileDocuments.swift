import YAML

extension Values {
    /// One YAML document of a values file, cut the way Helm cuts it, with the line it starts on.
    struct FileDocument {
        var text: String
        var firstLine: Int
    }

    /// Helm does not hand a values file to the YAML parser whole: Kubernetes' YAMLReader reads it
    /// line by line, ends every line with "\n" (so CRLF becomes LF and a last line always has its
    /// newline), and starts a new document at each line beginning with `---`. Only a comment may
    /// follow `---` on that line; `--- {a: 1}` is an error. Within one piece only the first YAML
    /// document counts (a `...` end marker drops the rest).
    static func splitLikeHelm(_ text: String, path: String) throws -> [FileDocument] {
        var docs: [FileDocument] = []
        var buffer = ""
        var bufferStart = 1
        var ended = false
        // By scalars: as Characters, "\r\n" is one grapheme and would not split on "\n".
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        if text.unicodeScalars.last == "\n" { lines.removeLast() }
        for (n, rawLine) in lines.enumerated() {
            let line = Substring(rawLine.last == "\r" ? rawLine.dropLast() : rawLine)
            let lineNumber = n + 1
            if line.hasPrefix("---") {
                let rest = line.dropFirst(3).drop { $0.isWhitespace }
                if let first = rest.first, first != "#" {
                    throw ValuesError(
                        "invalid YAML document separator: only a comment may follow '---' on its line",
                        at: .file(Mark(file: path, line: lineNumber, column: 4)),
                        hint: "Helm rejects this too; put the content on the next line")
                }
                if !buffer.isEmpty { docs.append(FileDocument(text: buffer, firstLine: bufferStart)) }
                buffer = ""
                bufferStart = lineNumber + 1
                ended = false
                continue
            }
            if ended { continue }
            if line.hasPrefix("..."), line.dropFirst(3).first.map({ $0.isWhitespace || $0 == "#" }) ?? true {
                // Helm's YAML decoder reads one document per piece; after `...` nothing more is read.
                ended = true
                continue
            }
            if buffer.isEmpty { bufferStart = lineNumber }
            buffer += line + "\n"
        }
        if !buffer.isEmpty { docs.append(FileDocument(text: buffer, firstLine: bufferStart)) }
        return docs
    }
}
