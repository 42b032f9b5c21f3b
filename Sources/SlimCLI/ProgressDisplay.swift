import Engine
import Foundation
import Plan

/// How a command shows that it is working, one decision per command run:
/// - `live` (stdout is a terminal, not CI): a spinner line per running task with its elapsed
///   time, rewritten in place, then `✓`/`✗` with the duration;
/// - `plain` (a pipe, a file, CI): one line when a task starts and one when it ends, the format
///   scripts and the tests have always read (`[2/4] slim …`, `      slim: done in 1.2s`);
/// - `stderr` (`-o json`): the plain lines on stderr, so stdout holds only the JSON;
/// - `silent` (`-q`): nothing; errors and the result are printed by the command itself.
/// Every line passes through the redactor: step messages quote logs and commands.
struct ProgressDisplay: Sendable {
    enum Mode: Sendable, Equatable { case live, plain, stderr, silent }

    let mode: Mode
    let redactor: Redactor

    init(_ redactor: Redactor, json: Bool, terminal: Terminal = .current) {
        self.redactor = redactor
        mode = terminal.verbosity == .quiet ? .silent : json ? .stderr : terminal.live ? .live : .plain
    }

    /// For `Engine.run(events:)`.
    var events: @Sendable (EngineEvent) -> Void { { self.show($0) } }

    func show(_ event: EngineEvent) {
        switch event {
        case .stepStarted(let n, let i, let t): started(n, index: i, total: t)
        case .stepSkipped(let n, let why): emit("      \(n): skipped (\(why))", live: style.faint("  \(n): skipped (\(why))"))
        case .stepFinished(let n, let s): finished(n, seconds: s)
        case .stepFailed(let n, let s, _): failed(n, seconds: s)
        case .message(let n, let text): message(n, text)
        }
    }

    func started(_ name: String, index: Int, total: Int) {
        if mode == .live { Console.shared.begin(redactor.redact("[\(index)/\(total)] \(name)")) } else { emit("[\(index)/\(total)] \(name) …") }
    }

    /// Words after the elapsed time on the live line (`3/10 replies`); plain output has no
    /// place for them (a line per change would flood a CI log).
    func detail(_ text: String?) {
        if mode == .live { Console.shared.detail(text.map(redactor.redact)) }
    }

    func finished(_ name: String, seconds: Double) {
        if mode == .live { Console.shared.finish(mark: style.good("✓"), seconds: seconds) } else { emit("      \(name): done in \(Self.tenths(seconds))s") }
    }

    func failed(_ name: String, seconds: Double) {
        if mode == .live {
            Console.shared.finish(mark: style.bad("✗"), seconds: seconds)
        } else {
            emit("      \(name): \(style.bad("FAILED")) after \(Self.tenths(seconds))s")
        }
    }

    func message(_ step: String, _ text: String) {
        emit("      \(step): \(text)", warnings: true)
    }

    /// Runs one task of a command (not an engine step: the waits of `test`) between a start
    /// and an end line. It ends failed when it throws (the error goes on) or when `succeeded`
    /// says its result is not what was waited for.
    func task<T>(
        _ name: String, index: Int, total: Int, succeeded: (T) -> Bool = { _ in true },
        _ body: () async throws -> T
    ) async throws -> T {
        let start = ContinuousClock.now
        started(name, index: index, total: total)
        do {
            let value = try await body()
            if succeeded(value) { finished(name, seconds: Engine.seconds(since: start)) } else { failed(name, seconds: Engine.seconds(since: start)) }
            return value
        } catch {
            failed(name, seconds: Engine.seconds(since: start))
            throw error
        }
    }

    /// A wait that had no progress lines before the live line existed (`verify --wait`): a
    /// live line on a terminal, and nothing elsewhere, so piped output stays as it was.
    func waiting<T>(_ label: String, succeeded: (T) -> Bool = { _ in true }, _ body: () async throws -> T) async throws -> T {
        guard mode == .live else { return try await body() }
        Console.shared.begin(redactor.redact(label))
        do {
            let value = try await body()
            Console.shared.finish(mark: succeeded(value) ? style.good("✓") : style.bad("✗"))
            return value
        } catch {
            Console.shared.finish(mark: style.bad("✗"))
            throw error
        }
    }

    /// A progress line outside any task (chart checks, `waiting: …` of verify, what a delete
    /// removed): on stdout, on stderr with `-o json`, nowhere with `-q`.
    static func note(_ line: String, json: Bool, terminal: Terminal = .current) {
        guard terminal.verbosity != .quiet else { return }
        Console.shared.line(line, to: json ? .err : .out)
    }

    /// Colour only where the progress goes to the terminal's stdout; the JSON mode's stderr
    /// lines stay plain text.
    private var style: Style { mode == .stderr ? Style(enabled: false) : .out }

    private func emit(_ line: String, live: String? = nil, warnings: Bool = false) {
        let text = redactor.redact(mode == .live ? live ?? line : line)
        switch mode {
        case .silent: return
        case .stderr: Console.shared.line(text, to: .err)
        case .live, .plain: Console.shared.line(warnings ? Self.warningWord(text, style) : text)
        }
    }

    /// The `WARNING` a step message may carry after its `step:` prefix, coloured.
    static func warningWord(_ line: String, _ style: Style) -> String {
        guard style.enabled, let r = line.range(of: ": WARNING") else { return line }
        return line.replacingCharacters(in: r, with: ": " + style.warn("WARNING"))
    }

    static func tenths(_ s: Double) -> String { String(format: "%.1f", s) }
}
