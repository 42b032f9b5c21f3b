import Foundation
import Plan
import Testing
import Tools

@testable import SlimCLI

/// The rules behind colour, live progress and `-v`/`-q`, without a terminal: `Terminal.decide`
/// is pure, and every command parses the flags into something `Terminal.setUp` reads.
@Suite struct TerminalDecisions {
    static func decide(_ env: [String: String] = [:], tty: Bool = true, noColor: Bool = false) -> Terminal {
        Terminal.decide(noColor: noColor, verbosity: .normal, environment: env, stdoutIsTTY: tty, stderrIsTTY: tty, columns: 100)
    }

    @Test func aTerminalGetsColourAndLiveProgress() {
        let t = Self.decide()
        #expect(t.color && t.errorColor && t.live)
        #expect(t.columns == 100)
    }

    @Test func aPipeGetsNeither() {
        let t = Self.decide(tty: false)
        #expect(!t.color && !t.errorColor && !t.live)
    }

    @Test(arguments: [("1", false), ("", true), ("0", false)])
    func noColorCountsOnlyWhenNotEmpty(value: String, colour: Bool) {
        let t = Self.decide(["NO_COLOR": value])
        #expect(t.color == colour && t.errorColor == colour)
        #expect(t.live, "NO_COLOR is about colour, not about the live line")
    }

    @Test func theNoColorFlagWins() {
        #expect(!Self.decide(noColor: true).color)
    }

    @Test(arguments: [("true", false), ("1", false), ("yes", false), ("false", true), ("FALSE", true), ("", true)])
    func ciTurnsTheLiveLineIntoPlainLines(value: String, live: Bool) {
        let t = Self.decide(["CI": value])
        #expect(t.live == live, "CI=\(value)")
        #expect(t.color, "a CI system that gives a terminal still gets colour")
    }

    @Test func aDumbTerminalGetsNoLiveLine() {
        #expect(!Self.decide(["TERM": "dumb"]).live)
    }

    /// Every command that prints reads `--no-color`, `-v` and `-q` (a command left out of
    /// `TerminalCommands.swift` would accept them and ignore them).
    @Test(arguments: [
        ["strategies"], ["render", "daemonset"], ["plan", "daemonset"], ["deploy", "daemonset"], ["verify"], ["test"],
        ["logs"], ["status"], ["diff", "daemonset"], ["ci", "daemonset"], ["delete"], ["doctor"], ["version"], ["cluster", "up"], ["cluster", "down"],
        ["local-node", "list"], ["local-node", "add", "w"], ["local-node", "remove", "w"], ["local-node", "label", "w", "a=b"],
        ["local-node", "taint", "w", "a=b:NoSchedule"], ["local-node", "cordon", "w"], ["local-node", "uncordon", "w"]
    ])
    func everyCommandTakesTheTerminalFlags(args: [String]) throws {
        for (flag, check) in [("-v", \TerminalFlags.verbose), ("--quiet", \TerminalFlags.quiet), ("--no-color", \TerminalFlags.noColor)] {
            let command = try Slimctl.parseAsRoot(args + [flag])
            let flags = try #require((command as? TerminalCommand)?.terminalFlags, "\(args) does not carry the terminal flags")
            #expect(flags[keyPath: check], "\(args) \(flag)")
        }
        #expect(throws: (any Error).self, "\(args): -v with -q") { _ = try Slimctl.parseAsRoot(args + ["-v", "-q"]) }
    }

    /// One place decides: `isatty` appears in Terminal.swift only.
    @Test func isattyIsCalledInOnePlace() throws {
        let dir = "\(TargetSeam.root)/Sources/SlimCLI"
        let files = try #require(FileManager.default.enumerator(atPath: dir)?.allObjects as? [String]).filter { $0.hasSuffix(".swift") }
        let callers = try files.filter { try String(contentsOfFile: "\(dir)/\($0)", encoding: .utf8).contains("isatty(") }
        #expect(callers == ["Terminal.swift"], "\(callers)")
    }
}

@Suite struct ProgressLines {
    /// Pipes and CI read the same lines as before the live line existed.
    @Test func plainLinesKeepTheirFormat() {
        let p = ProgressDisplay(Redactor(secrets: [:]), json: false, terminal: Terminal())
        #expect(p.mode == .plain)
        #expect(ProgressDisplay.tenths(14.25) == "14.2" || ProgressDisplay.tenths(14.25) == "14.3")
        #expect(ProgressDisplay(Redactor(secrets: [:]), json: true, terminal: Terminal(live: true)).mode == .stderr)
        #expect(ProgressDisplay(Redactor(secrets: [:]), json: false, terminal: Terminal(live: true)).mode == .live)
        #expect(ProgressDisplay(Redactor(secrets: [:]), json: false, terminal: Terminal(live: true, verbosity: .quiet)).mode == .silent)
    }

    @Test func elapsedTimesReadLikeKinds() {
        #expect(Console.runningTime(12.7) == "12s")
        #expect(Console.runningTime(125) == "2m05s")
        #expect(Console.finalTime(14.24) == "14.2s")
        #expect(Console.finalTime(61) == "1m01s")
    }

    @Test func warningsAreColouredOnlyWhenColourIsOn() {
        let line = "      slim: WARNING slim.tls: SPIRE TLS replaced"
        #expect(ProgressDisplay.warningWord(line, Style(enabled: false)) == line)
        #expect(ProgressDisplay.warningWord(line, Style(enabled: true)) == "      slim: \u{1B}[33mWARNING\u{1B}[0m slim.tls: SPIRE TLS replaced")
    }
}

@Suite struct VerboseLines {
    @Test func commandsAreShownAsTheyCouldBePastedBack() {
        let line = TraceOutput.text(.command(["helm", "upgrade", "--install", "slim", "--set", "a=b c", "it's"]), redactor: nil)
        #expect(line == #"run: helm upgrade --install slim --set 'a=b c' 'it'\''s'"#, "\(line)")
        #expect(TraceOutput.text(.request(method: "GET", path: "/api/v1/nodes?limit=500"), redactor: nil) == "api: GET /api/v1/nodes?limit=500")
    }

    @Test func secretsAreMasked() {
        let r = Redactor(secrets: ["sharedSecret": "hunter2-very-secret"])
        let line = TraceOutput.text(.command(["python3", "app.py", "--secret", "hunter2-very-secret"]), redactor: r)
        #expect(line == "run: python3 app.py --secret <secret:sharedSecret>", "\(line)")
    }
}
