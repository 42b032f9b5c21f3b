import Foundation
import Tools

/// The writer of every line printed while a live progress line can be on screen. The live line
/// has no newline and is redrawn in place with `\r`; a line written by anyone else in the
/// meantime (a step's message, a `-v` trace on stderr, a warning) would be glued to it, so
/// those go through here: the live line is cleared, the line written, the live line redrawn.
final class Console: @unchecked Sendable {
    static let shared = Console()

    enum Stream { case out, err }

    /// kind's spinner: one column wide in every terminal font that has braille.
    static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
    /// How often the spinner moves and the elapsed time is redrawn, events or not.
    static let tick: Duration = .milliseconds(100)

    private struct Live {
        var label: String
        var start: ContinuousClock.Instant
        var detail: String?
        var frame = 0
    }

    private let lock = NSLock()
    private var live: Live?
    private var ticker: Task<Void, Never>?

    static let clearLine = "\r\u{1B}[2K"

    /// One whole line on stdout or stderr, under the live line if one is showing.
    func line(_ text: String, to stream: Stream = .out) {
        lock.lock(); defer { lock.unlock() }
        if live != nil { write(Self.clearLine, .out) }
        write(text + "\n", stream)
        if let l = live { write(render(l), .out) }
    }

    /// Shows a live line for a task that has started: spinner, label, elapsed time. It is
    /// redrawn every `tick` by a task of its own until `finish` or `abandon`.
    func begin(_ label: String) {
        lock.lock(); defer { lock.unlock() }
        let l = Live(label: label, start: .now)
        write((live == nil ? "" : Self.clearLine) + render(l), .out)
        live = l
        if ticker == nil {
            ticker = Task.detached { [self] in
                // Cancelled (the live line finished): out at once, without one more frame.
                while (try? await Task.sleep(for: Self.tick)) != nil {
                    advance()
                }
            }
        }
    }

    /// Extra words after the elapsed time (`3/10 replies`); nil removes them.
    func detail(_ text: String?) {
        lock.lock(); defer { lock.unlock() }
        guard var l = live else { return }
        l.detail = text
        live = l
        write(Self.clearLine + render(l), .out)
    }

    /// Replaces the live line with its final form (`✓ label (14.2s)`) and stops the spinner.
    func finish(mark: String, seconds: Double? = nil, note: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        guard let l = live else { return }
        let secs = seconds ?? Self.seconds(since: l.start)
        write(Self.clearLine + "\(mark) \(l.label) (\(Self.finalTime(secs))\(note.map { ", " + $0 } ?? ""))\n", .out)
        stop()
    }

    /// Ends a live line that will not finish (an error escaped, Ctrl-C): it stays on screen
    /// marked ✗ with `why`, and the cursor is left at the start of a fresh line for whatever
    /// is printed next. Nothing happens when no live line is showing; false then.
    @discardableResult
    func abandon(_ why: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let l = live else { return false }
        write(Self.clearLine + "\(Style.out.bad("✗")) \(l.label) (\(why) after \(Self.finalTime(Self.seconds(since: l.start))))\n", .out)
        stop()
        return true
    }

    var isLive: Bool { lock.lock(); defer { lock.unlock() }; return live != nil }

    private func stop() {
        live = nil
        ticker?.cancel()
        ticker = nil
    }

    private func advance() {
        lock.lock(); defer { lock.unlock() }
        guard var l = live else { return }
        l.frame = (l.frame + 1) % Self.frames.count
        live = l
        write(Self.clearLine + render(l), .out)
    }

    /// `⠋ label (12s, detail)`, cut to the terminal's width so it never wraps.
    private func render(_ l: Live) -> String {
        let body = "\(l.label) (\(Self.runningTime(Self.seconds(since: l.start)))\(l.detail.map { ", " + $0 } ?? ""))"
        let room = max(10, Terminal.current.columns - 3)
        let cut = body.count > room ? String(body.prefix(room - 1)) + "…" : body
        return Style.out.accent(Self.frames[l.frame]) + " " + cut
    }

    private func write(_ s: String, _ stream: Stream) {
        switch stream {
        case .out:
            // The same buffered stream as every other `print`, so lines keep their order.
            print(s, terminator: "")
            fflush(nil)
        case .err:
            // Whatever stdout holds goes first, so the two streams interleave as they happened.
            fflush(nil)
            FileHandle.standardError.write(Data(s.utf8))
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).inSeconds
    }

    /// While running, whole seconds as kind shows them: `12s`, `2m05s`.
    static func runningTime(_ s: Double) -> String {
        let whole = Int(s)
        return whole < 60 ? "\(whole)s" : "\(whole / 60)m" + String(format: "%02ds", whole % 60)
    }

    /// Once done, tenths under a minute: `14.2s`, `2m05s`.
    static func finalTime(_ s: Double) -> String {
        s < 60 ? String(format: "%.1fs", s) : runningTime(s)
    }
}
