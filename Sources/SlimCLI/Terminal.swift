import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What slimctl's output goes to, decided once when the command starts, so that colour, live
/// progress and verbosity are one decision each instead of `isatty` calls spread over every
/// printer (which would disagree the moment one of them forgot `NO_COLOR` or `CI`).
struct Terminal: Sendable, Equatable {
    enum Verbosity: Sendable, Equatable { case quiet, normal, verbose }

    /// ANSI colour on stdout: a terminal, and neither `--no-color` nor a non-empty `NO_COLOR`.
    var color = false
    /// The same for stderr (warnings and errors), judged on stderr's own descriptor.
    var errorColor = false
    /// Progress as a spinner line rewritten in place: stdout is a terminal that can move its
    /// cursor (`TERM` is not `dumb`) and no CI system is reading it (a CI log keeps every
    /// carriage-return frame, so a live line there is hundreds of lines of noise).
    var live = false
    var verbosity = Verbosity.normal
    /// Columns of the terminal; a live line longer than this would wrap and `\r` could no
    /// longer rewrite it.
    var columns = 80

    /// Pure, so the rules are tested without a terminal.
    static func decide(
        noColor: Bool, verbosity: Verbosity, environment env: [String: String],
        stdoutIsTTY: Bool, stderrIsTTY: Bool, columns: Int?
    ) -> Terminal {
        // no-color.org: only a non-empty value counts (`NO_COLOR=` leaves colour on).
        let colorAllowed = !noColor && (env["NO_COLOR"] ?? "").isEmpty
        let ci = env["CI"].map { !$0.isEmpty && $0.lowercased() != "false" } ?? false
        let dumb = env["TERM"] == "dumb"
        return Terminal(
            color: colorAllowed && stdoutIsTTY, errorColor: colorAllowed && stderrIsTTY,
            live: stdoutIsTTY && !ci && !dumb, verbosity: verbosity,
            columns: max(20, columns ?? Int(env["COLUMNS"] ?? "") ?? 80))
    }

    /// The decision for this process; plain until `setUp` runs.
    static var current: Terminal { box.value }

    private static let box = LockedBox(Terminal())

    /// Called once, after the command line is parsed and before the command runs; nil for a
    /// command without the flags (`help`), which gets the defaults. (A `TerminalFlags()` made
    /// here would have no parsed values to read.)
    static func setUp(_ flags: TerminalFlags?) {
        let verbosity: Verbosity = flags?.quiet == true ? .quiet : flags?.verbose == true ? .verbose : .normal
        box.value = decide(
            noColor: flags?.noColor ?? false, verbosity: verbosity, environment: ProcessInfo.processInfo.environment,
            stdoutIsTTY: isatty(1) == 1, stderrIsTTY: isatty(2) == 1, columns: windowColumns())
    }

    /// The terminal's width as the kernel knows it (nil when stdout is not a terminal).
    static func windowColumns() -> Int? {
        var w = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 0 else { return nil }
        return Int(w.ws_col)
    }
}
