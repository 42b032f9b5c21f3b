import YAML

/// A problem in a strategy file. Always carries where it is, so the user can jump to it.
public struct StrategyError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var mark: Mark?
    public var hint: String?

    public init(_ message: String, at mark: Mark?, hint: String? = nil) {
        self.message = message
        self.mark = mark
        self.hint = hint
    }

    public var description: String {
        var s = mark.map { "\($0): \(message)" } ?? message
        if let hint { s += "\n  hint: \(hint)" }
        return s
    }
}

/// Several problems found in one pass: users fix a file faster when they see all of them at once.
public struct StrategyErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [StrategyError]
    public init(_ errors: [StrategyError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Levenshtein-based suggestion for unknown keys and names ("did you mean `needs`?").
public enum Suggest {
    public static func closest(_ word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for c in candidates {
            let d = distance(word.lowercased(), c.lowercased())
            if d <= max(2, c.count / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    public static func didYouMean(_ word: String, in candidates: [String]) -> String {
        if let c = closest(word, in: candidates) { return "did you mean `\(c)`?" }
        return "expected one of: " + candidates.joined(separator: ", ")
    }
}
