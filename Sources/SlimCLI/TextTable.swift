/// Columns as kubectl prints them: a header row in capitals, each column as wide as its widest
/// cell plus three spaces, the last column unpadded (no trailing blanks in a pipe). Widths count
/// what shows: a coloured cell's escape sequences take no room on the screen.
enum TextTable {
    static func lines(_ header: [String], _ rows: [[String]], indent: String = "") -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { i < $0.count ? visibleWidth($0[i]) : 0 }.max() ?? 0 }
        return all.map { row in
            indent
                + row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[i] + 3 - visibleWidth(cell)))
                }.joined()
        }
    }

    /// Characters outside ANSI CSI sequences (`ESC [ … letter`).
    static func visibleWidth(_ s: String) -> Int {
        var n = 0, inEscape = false, sawBracket = false
        for c in s.unicodeScalars {
            if inEscape {
                if !sawBracket { sawBracket = c == "["; if !sawBracket { inEscape = false }; continue }
                if (0x40...0x7E).contains(c.value) { inEscape = false }
                continue
            }
            if c == "\u{1B}" { inEscape = true; sawBracket = false; continue }
            n += 1
        }
        return n
    }
}
