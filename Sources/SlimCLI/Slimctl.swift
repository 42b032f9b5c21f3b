import ArgumentParser
import Dispatch
import Foundation
import Strategy
import Tools

/// Entry point: parses, runs, and turns every error into one clear message and a documented exit code.
public enum SlimctlMain {
    public static func run() async {
        installInterruptHandler()
        do {
            let args = try Slimctl.arguments(Array(CommandLine.arguments.dropFirst()))
            // The async parse: shell completion of pods asks a cluster (`Completions.logWords`).
            var command = try await Slimctl.asyncParseAsRoot(args)
            Terminal.setUp((command as? TerminalCommand)?.terminalFlags)
            TraceOutput.install(Terminal.current)
            if command is StatusCommand || command is VerifyCommand || command is DiffCommand { Workspace.readOnlyCommand = true }
            Output.select(from: command)
            if let note = StateRoot.movedNote(
                arguments: args, environment: ProcessInfo.processInfo.environment,
                cwd: FileManager.default.currentDirectoryPath)
            {
                FileHandle.standardError.write(Data((note + "\n").utf8))
            }
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            finish(.ok)
        } catch let e where isArgumentParserExit(e) {
            if CommandLine.arguments.dropFirst().first == DumpHelp.flag, let json = DumpHelp.withoutHidden(Slimctl.fullMessage(for: e)) {
                print(json)
                finish(.ok)
            }
            // A usage error is exit 2, as documented (ArgumentParser's own code would be 64).
            if Slimctl.exitCode(for: e) == ArgumentParser.ExitCode.validationFailure {
                FileHandle.standardError.write(Data((Slimctl.fullMessage(for: e) + "\n").utf8))
                finish(.config)
            }
            Slimctl.exit(withError: e)
        } catch {
            if ChildRegistry.shared.interrupted {
                // The interrupt handler is ending children and will exit with 130.
                while true { sleep(1) }
            }
            let (code, message) = ErrorReport.classify(error)
            Console.shared.abandon("failed")
            if !message.isEmpty {
                Console.shared.line(Style.err.bad("error:") + " " + message, to: .err)
            }
            finish(code)
        }
    }

    /// Ends the process once everything is written: `_exit` after flushing, because the
    /// library teardown `exit` runs (TLS and libcurl global state, the runtime's) has nothing
    /// left to save and cost about a millisecond after `verify --wait` had its answer. Every
    /// file slimctl writes is complete and renamed into place before this point.
    static func finish(_ code: ExitCode) -> Never {
        Console.shared.abandon("stopped")
        fflush(nil)
        _exit(code.rawValue)
    }

    static func isArgumentParserExit(_ e: Error) -> Bool {
        !(e is CLIError) && String(reflecting: type(of: e)).contains("ArgumentParser")
    }

    /// Ctrl-C: end every child process group, keep the state saved so far, exit 130. The next
    /// run resumes at the step that did not finish.
    ///
    /// A plain signal handler that writes one byte to a pipe (async-signal-safe), and a thread of
    /// its own that waits on the pipe and does the work. Not a dispatch signal source: there the
    /// signal is set to SIG_IGN and handed over by libdispatch, and once, on a busy two-core
    /// machine, a Ctrl-C during a 30 s venv install was lost and the deploy ran to its end.
    static func installInterruptHandler() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        InterruptPipe.writeEnd = fds[1]
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let onSignal: @convention(c) (Int32) -> Void = { sig in
            var byte = UInt8(truncatingIfNeeded: sig)
            _ = write(InterruptPipe.writeEnd, &byte, 1)
        }
        signal(SIGINT, onSignal)
        signal(SIGTERM, onSignal)
        let readEnd = fds[0]
        let waiter = Thread {
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) != 1 {
                if errno != EINTR { return }
            }
            ChildRegistry.shared.interrupted = true
            // The spinner stops first, so the note starts on a line of its own; without a
            // live line, a newline moves past the `^C` the terminal echoed.
            let fresh = Console.shared.abandon("interrupted")
            let note = Retained.interruptNote
            FileHandle.standardError.write(Data((note.isEmpty ? "" : (fresh ? "" : "\n") + note + "\n").utf8))
            ChildRegistry.shared.terminateAll()
            exit(ExitCode.interrupted.rawValue)
        }
        waiter.start()
    }
}

/// The write end of the interrupt pipe, read by the signal handler (set before the handler is
/// installed, so the handler only loads it).
enum InterruptPipe {
    nonisolated(unsafe) static var writeEnd: Int32 = -1
}

enum Retained {
    /// What Ctrl-C says on stderr; a command with nothing to resume (logs) empties it.
    nonisolated(unsafe) static var interruptNote = "interrupted: stopping child processes; re-run the command to resume"
}

struct Slimctl: AsyncParsableCommand {
    /// The release; `make install`/`make dist` add the commit (see `slimctl version`).
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "slimctl",
        abstract: "Deploy SLIM (Secure Low-Latency Interactive Messaging) by strategy, verify it, and test it with real messages.",
        // Paragraphs are single lines (`\` joins the source lines): the argument parser wraps
        // them at the terminal's width. Only the example lines break by hand, each short
        // enough for 80 columns.
        discussion: """
            A strategy (strategies/daemonset.yaml, strategies/statefulset.yaml, or your own) describes a whole \
            deployment as data: cluster layout, Helm releases with pinned charts and values, test apps, checks.

            First run, no Docker or Kubernetes needed (the local target runs real SLIM nodes as processes):
              slimctl deploy daemonset     # simulated kind nodes, a SLIM node per worker
              slimctl verify daemonset     # is every SLIM node where the strategy says?
              slimctl test all daemonset   # receivers + sender, 10 messages counted
              slimctl logs daemonset slim  # every SLIM node's log, prefixed
              slimctl delete daemonset

            Exit codes: 0 ok, 1 a check, test or step failed (diff --exit-code: a deploy would change something), 2 usage or configuration error, \
            3 a tool or runtime is missing, 130 interrupted.

            Output: progress is a live line per step on a terminal and plain lines on a pipe or in CI; \
            -v prints every external command and Kubernetes API call, -q only errors and the result; \
            colour only on a terminal, never with --no-color or a non-empty NO_COLOR.

            This slimctl is SLIM's deployment tool. SLIM's own control CLI, also named slimctl \
            (https://github.com/agntcy/slim, crates/slimctl: node, route, controller, ...), manages a \
            running SLIM; install one of them under another name or call it by path. Its commands \
            typed here say so and exit 2.
            """,
        version: Slimctl.version,
        subcommands: [
            StrategiesCommand.self, RenderCommand.self, PlanCommand.self, DiffCommand.self, DeployCommand.self,
            VerifyCommand.self, TestCommand.self, LogsCommand.self, StatusCommand.self, CICommand.self,
            DeleteCommand.self, ClusterCommand.self, DoctorCommand.self, LocalNodeCommand.self, VersionCommand.self,
            UpstreamNodeCommand.self, UpstreamControllerCommand.self, UpstreamRouteCommand.self, UpstreamSlimCommand.self,
            UpstreamChannelManagerCommand.self, UpstreamLoginCommand.self, UpstreamConfigCommand.self, UpstreamBenchCommand.self
        ]
    )

    /// The command line before ArgumentParser sees it: shared options typed before the command
    /// move after it (`GlobalOptions`), `--version` first is `version` (with its flags), and an
    /// unknown command word is a usage error with the nearest command named. ArgumentParser's
    /// own words (`---completion …` from completion scripts, `--generate-completion-script`,
    /// `--experimental-dump-help` for the man page) start with a dash and pass unchanged.
    static func arguments(_ given: [String]) throws -> [String] {
        let args = GlobalOptions.reorder(given, subcommands: subcommandNames(under:))
        guard let first = args.first else { return args }
        if first == "--version" { return ["version"] + args.dropFirst() }
        if first.hasPrefix("-") { return args }
        var names: [String] = [], visible: [String] = []
        for c in configuration.subcommands {
            let conf = c.configuration
            guard let name = conf.commandName else { continue }
            names.append(name)
            if conf.shouldDisplay { visible.append(name) }
        }
        if names.contains(first) || first == "help" { return args }
        throw CLIError.config("unknown command `\(first)`; " + Suggest.didYouMean(first, in: visible) + " (`slimctl --help` lists them)")
    }
}
