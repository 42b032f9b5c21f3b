import Foundation
import Testing
import Tools

/// slimctl as a person sees it at a terminal (a pseudo-terminal here: spinner lines rewritten in
/// place, colour) and as a script sees it on a pipe (today's plain lines, not one escape byte),
/// with real deploys and message tests on the local target. Behaviour only, never timing.
@Suite(.serialized) struct TerminalProgress {
    static let spinner = Set("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
    static let green = "\u{1B}[32m"
    /// A running line: `[1/3] cluster (0s)`, with the spinner before it.
    static let runningLine = #"\[\d+/\d+\] [^\r\n]+ \(\d+s[,)]"#
    /// A finished step: `✓ [1/3] cluster (0.4s)` (the mark coloured or not).
    static let doneLine = #"✓(\x1B\[0m)? \[\d+/\d+\] [^\r\n]+ \(\d+\.\ds\)"#

    /// The environment of someone at a terminal: slimctl's state in `state`, no CI, colour allowed.
    static func environment(_ state: String, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for k in ["NO_COLOR", "CI", "GITHUB_ACTIONS"] { env.removeValue(forKey: k) }
        env["SLIMCTL_STATE_DIR"] = state
        env["TERM"] = "xterm"
        env["COLUMNS"] = "160"
        for (k, v) in extra { env[k] = v }
        return env
    }

    func onTerminal(_ args: [String], state: String, env extra: [String: String] = [:]) async throws -> (Int32, String) {
        let t = try PseudoTerminal(args, environment: Self.environment(state, extra))
        let code = await t.wait()
        return (code, t.text)
    }

    func onPipe(_ args: [String], state: String, env extra: [String: String] = [:]) async throws -> (Int32, String) {
        try await Spawn.capture([try slimctlBinary()] + args, environment: Self.environment(state, extra), timeout: .seconds(600))
    }

    func count(_ pattern: String, in text: String) -> Int {
        (try? NSRegularExpression(pattern: pattern))?.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text)) ?? 0
    }

    @Test func deployIsALiveLinePerStepOnATerminalAndPlainLinesOnAPipe() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, screen) = try await onTerminal(["deploy", "daemonset"], state: state)
        #expect(code == 0, "\(screen)")
        #expect(screen.contains(where: Self.spinner.contains), "no spinner frame:\n\(screen)")
        #expect(count(Self.runningLine, in: screen) > 0, "no running line with its elapsed time:\n\(screen)")
        #expect(screen.contains("\r\u{1B}[2K"), "the live line is not rewritten in place:\n\(screen)")
        #expect(screen.contains(Self.green + "✓"), "no green ✓:\n\(screen)")
        let steps = count(Self.doneLine, in: screen)
        #expect(steps >= 2, "a ✓ line per step:\n\(screen)")
        #expect(screen.contains("deployed daemonset (local): \(steps) step(s) run"), "\(screen)")
        #expect(!screen.contains("done in"), "plain lines on a terminal:\n\(screen)")

        // The same deploy on a pipe, with and without NO_COLOR: today's plain lines, no escape
        // byte, no spinner; `-v` adds the commands it runs.
        for extra in [[:], ["NO_COLOR": "1"]] {
            let (dcode, gone) = try await onPipe(["delete", "daemonset"], state: state)
            #expect(dcode == 0, "\(gone)")
            let (pcode, plain) = try await onPipe(["deploy", "daemonset", "-v"], state: state, env: extra)
            #expect(pcode == 0, "\(plain)")
            #expect(!plain.contains("\u{1B}"), "an escape byte on a pipe (\(extra)):\n\(plain)")
            #expect(!plain.contains(where: Self.spinner.contains), "a spinner on a pipe:\n\(plain)")
            #expect(count(#"(?m)^\[1/\d+\] \S+ …$"#, in: plain) == 1, "\(plain)")
            #expect(count(#"(?m)^      \S+: done in \d+\.\ds$"#, in: plain) == steps, "\(plain)")
            #expect(count(#"(?m)^run: \S*python\S* "#, in: plain) > 0, "-v shows the processes it starts:\n\(plain)")
        }

        // -q: only the result.
        let (qcode, quiet) = try await onPipe(["deploy", "daemonset", "-q"], state: state)
        #expect(qcode == 0, "\(quiet)")
        #expect(quiet.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("deployed daemonset (local): 0 step(s) run"), "\(quiet)")
        #expect(quiet.split(separator: "\n").count == 1, "\(quiet)")

        // CI on a terminal: plain lines (a CI log keeps every frame), colour allowed.
        let (ccode, ci) = try await onTerminal(["deploy", "daemonset"], state: state, env: ["CI": "true"])
        #expect(ccode == 0, "\(ci)")
        #expect(!ci.contains(where: Self.spinner.contains) && !ci.contains("\r\u{1B}[2K"), "\(ci)")
        #expect(ci.contains("skipped (unchanged since"), "\(ci)")
        _ = try await onPipe(["delete", "daemonset"], state: state)
    }

    @Test func theMessageTestSaysWhatItWaitsForAndStopsCleanlyOnCtrlC() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (dcode, deployed) = try await onPipe(["deploy", "daemonset"], state: state)
        #expect(dcode == 0, "\(deployed)")

        // NO_COLOR on a terminal: the live line still moves, without one colour code.
        let (code, screen) = try await onTerminal(["test", "all", "daemonset"], state: state, env: ["NO_COLOR": "1"])
        #expect(code == 0, "\(screen)")
        #expect(screen.contains("wait until they listen") && screen.contains("send 10 messages, wait for the replies"), "\(screen)")
        #expect(count(#"wait for the replies \(\d+s, \d+ sent, \d+/10 replies\)"#, in: screen) > 0, "no reply count on the live line:\n\(screen)")
        #expect(screen.contains(where: Self.spinner.contains), "\(screen)")
        #expect(count(Self.doneLine, in: screen) == 2, "\(screen)")
        #expect(count(#"\x1B\[[0-9;]*m"#, in: screen) == 0, "colour with NO_COLOR=1:\n\(screen)")
        #expect(screen.contains("test: PASS (10/10)"), "\(screen)")

        // Ctrl-C while the sender runs: the live line ends marked, the cursor on a fresh line.
        let t = try PseudoTerminal(["test", "all", "daemonset"], environment: Self.environment(state))
        #expect(try await t.waitFor { $0.contains("wait for the replies") }, "\(t.text)")
        kill(t.pid, SIGINT)
        #expect(await t.wait() == 130, "\(t.text)")
        let text = t.text
        let ended = try #require(
            text.range(
                of: #"✗(\x1B\[0m)? \[2/2\] send 10 messages, wait for the replies \(interrupted after [0-9.ms]+\)\r?\n"#,
                options: .regularExpression), "\(text)")
        let after = text[ended.upperBound...]
        #expect(!after.contains(where: Self.spinner.contains), "the spinner went on after Ctrl-C:\n\(text)")
        #expect(after.hasPrefix("interrupted: stopping child processes"), "\(text)")
        _ = try await onPipe(["delete", "daemonset"], state: state)
    }

    /// `-v` against a cluster that does not answer: helm's argv and the API path are shown on
    /// stderr before the command gives up.
    @Test func verboseShowsHelmArgvAndAPICalls() async throws {
        let dir = tempDir(), state = tempDir()
        let fd = KubeconfigSafetyCLI().closedPort()
        defer { close(fd) }
        let kubeconfig = "\(dir)/config"
        try """
        current-context: lab
        clusters:
        - {name: lab-cluster, cluster: {server: "https://127.0.0.1:\(KubeconfigSafetyCLI().port(of: fd))"}}
        users:
        - {name: u, user: {token: secret-token}}
        contexts:
        - {name: lab, context: {cluster: lab-cluster, user: u}}
        """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        // A helm that lists no release, so status goes on to ask the API server.
        try "#!/bin/sh\necho '[]'\n".write(toFile: "\(dir)/helm", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/helm")
        let path = ["PATH": "\(dir):" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        let args = ["status", "daemonset", "--target", "cluster", "--kubeconfig", kubeconfig]

        let (code, text) = try await onPipe(args + ["-v"], state: state, env: path)
        #expect(code == 0, "\(text)")
        #expect(text.contains("run: helm list --all-namespaces --deployed --failed --pending --output json --kubeconfig \(kubeconfig)"), "\(text)")
        #expect(count(#"(?m)^api: GET /api"#, in: text) > 0, "\(text)")
        #expect(!text.contains("secret-token"))

        let (plainCode, plain) = try await onPipe(args, state: state, env: path)
        #expect(plainCode == 0 && !plain.contains("run: ") && !plain.contains("api: "), "\(plain)")

        let (both, refused) = try await onPipe(args + ["-v", "-q"], state: state, env: path)
        #expect(both == 2, "\(refused)")
        #expect(refused.contains("-v/--verbose and -q/--quiet do not go together"), "\(refused)")

        // An exec credential plugin may take a token as an argument: -v names the plugin, never
        // its arguments.
        try "#!/bin/sh\necho '{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"kind\": \"ExecCredential\", \"status\": {\"token\": \"t\"}}'\n"
            .write(toFile: "\(dir)/get-token", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/get-token")
        let execConfig = "\(dir)/exec-config"
        try """
        current-context: lab
        clusters:
        - {name: lab-cluster, cluster: {server: "https://127.0.0.1:\(KubeconfigSafetyCLI().port(of: fd))"}}
        users:
        - name: u
          user:
            exec: {apiVersion: client.authentication.k8s.io/v1, command: get-token, args: ["--token", "plugin-arg-token-123"], interactiveMode: Never}
        contexts:
        - {name: lab, context: {cluster: lab-cluster, user: u}}
        """.write(toFile: execConfig, atomically: true, encoding: .utf8)
        let (execCode, execText) = try await onPipe(["status", "daemonset", "--target", "cluster", "--kubeconfig", execConfig, "-v"], state: state, env: path)
        #expect(execCode == 0, "\(execText)")
        #expect(execText.contains("/get-token '(2 argument(s) not shown: they may hold credentials)'"), "\(execText)")
        #expect(!execText.contains("plugin-arg-token-123"), "\(execText)")
    }
}
