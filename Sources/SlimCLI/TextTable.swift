/// Columns as kubectl prints them: a header row in capitals, each column as wide as its widest
/// cell plus three spaces, the last column unpadded (no trailing blanks in a pipe).
enum TextTable {
    static func lines(_ header: [String], _ rows: [[String]], indent: String = "") -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        return all.map { row in
            indent + row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0)
            }.joined()
        }
    }
}
