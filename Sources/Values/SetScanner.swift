/// Reads a `--set` argument one Unicode scalar at a time, as Helm's strvals reads runes, and
/// remembers the position so every error can point at a character.
struct SetScanner {
    let scalars: [Unicode.Scalar]
    private(set) var index = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    var atEnd: Bool { index >= scalars.count }
    /// 1-based position of the next scalar to be read (one past the end at the end).
    var position: Int { index + 1 }

    mutating func next() -> Unicode.Scalar? {
        guard index < scalars.count else { return nil }
        defer { index += 1 }
        return scalars[index]
    }

    mutating func unread() { if index > 0 { index -= 1 } }

    mutating func advance(by n: Int) { index = min(index + n, scalars.count) }

    /// The scalars not yet read.
    var rest: ArraySlice<Unicode.Scalar> { scalars[min(index, scalars.count)...] }

    /// What `runesUntil` returns: the text read, the stop scalar (nil at the end of input).
    struct Run {
        var text: String
        var stop: Unicode.Scalar?
        /// 1-based position where the text started, for messages.
        var start: Int
    }

    /// Reads up to (and consuming) the first scalar in `stops`. With `escapes`, a backslash takes
    /// the next scalar literally, whatever it is (`\.` `\,` `\=` `\[` `\\`); a trailing backslash
    /// is dropped, as in Helm.
    mutating func until(_ stops: Set<Unicode.Scalar>, escapes: Bool = true) -> Run {
        let start = position
        var text = String.UnicodeScalarView()
        while let r = next() {
            if stops.contains(r) { return Run(text: String(text), stop: r, start: start) }
            if escapes && r == "\\" {
                guard let escaped = next() else { break }
                text.append(escaped)
            } else {
                text.append(r)
            }
        }
        return Run(text: String(text), stop: nil, start: start)
    }
}
