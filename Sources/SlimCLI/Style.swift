/// Colour for verdict words (ok, FAIL, WARNING, ✓, ✗), on or off as `Terminal` decided for
/// the stream the text goes to. Only the word is coloured, so column padding stays outside
/// the escape codes and tables still line up.
struct Style: Sendable {
    var enabled: Bool

    /// For text printed on stdout.
    static var out: Style { Style(enabled: Terminal.current.color) }
    /// For text printed on stderr.
    static var err: Style { Style(enabled: Terminal.current.errorColor) }

    func good(_ s: String) -> String { paint(s, "32") }
    func bad(_ s: String) -> String { paint(s, "31") }
    func warn(_ s: String) -> String { paint(s, "33") }
    func faint(_ s: String) -> String { paint(s, "2") }
    func accent(_ s: String) -> String { paint(s, "36") }
    func bold(_ s: String) -> String { paint(s, "1") }

    /// A leading `WARNING` or `warning:` in yellow; anything else as it is.
    func warnings(_ line: String) -> String {
        for word in ["WARNING", "warning:"] where line.hasPrefix(word) {
            return warn(word) + line.dropFirst(word.count)
        }
        return line
    }

    private func paint(_ s: String, _ code: String) -> String {
        enabled && !s.isEmpty ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }
}
