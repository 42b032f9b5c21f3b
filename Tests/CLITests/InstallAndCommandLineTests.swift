import Foundation
import Testing
import Tools

/// slimctl as people install and type it: an installed tree finds its strategies, looking
/// creates no state, `version`, the commands of SLIM's own slimctl, and typo'd commands.
@Suite(.serialized) struct InstallAndCommandLine {
    /// Runs `binary args` in `cwd` with the environment minus slimctl's own variables (so the
    /// binary has to find its home and state folder by itself), plus `extra`.
    static func runIn(_ cwd: String, _ binary: String, _ args: [String], env extra: [String: String] = [:]) async throws -> (Int32, String) {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLIMCTL_") }
        env["NO_COLOR"] = "1"
        for (k, v) in extra { env[k] = v }
        return try await Spawn.capture(
            ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", cwd, binary] + args,
            environment: env, timeout: .seconds(120))
    }

    static let repo = root

    static func tempDir(_ tag: String) throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-\(tag)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The layout `make install DESTDIR=tmp PREFIX=/usr` makes, from the debug binary, through
    /// the same script the Makefile runs.
    static func installedTree(commit: String? = nil) async throws -> (root: String, binary: String) {
        let dest = try tempDir("install")
        var env = ProcessInfo.processInfo.environment
        env["COMMIT"] = commit ?? ""
        let (code, out) = try await Spawn.capture(
            ["\(root)/scripts/install-tree.sh", try slimctlBinary(), "\(dest)/usr"],
            environment: env, timeout: .seconds(120))
        #expect(code == 0, "\(out)")
        return (dest, "\(dest)/usr/bin/slimctl")
    }

    @Test func anInstalledSlimctlFindsItsStrategiesFromAnyFolder() async throws {
        let (root, bin) = try await Self.installedTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for f in [
            "strategies/daemonset.yaml", "strategies/statefulset.yaml", "strategies/manifests/daemonset/sender.yaml",
            "values/daemonset/slim-2.yaml", "runtime/slim_node.py", "images/test-apps/Dockerfile"
        ] {
            #expect(FileManager.default.fileExists(atPath: "\(root)/usr/share/slimctl/\(f)"), "\(f) not installed")
        }
        let elsewhere = try Self.tempDir("cwd")
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let (code, out) = try await Self.runIn(elsewhere, bin, ["strategies"])
        #expect(code == 0, "\(out)")
        #expect(out.contains("daemonset") && out.contains("statefulset"), "\(out)")
        let (jcode, json) = try await Self.runIn(elsewhere, bin, ["strategies", "-o", "json"])
        #expect(jcode == 0 && json.contains("\(root)/usr/share/slimctl/strategies/daemonset.yaml"), "\(json)")
        // The installed tree renders too: the strategies' relative values and manifest paths hold.
        let (rcode, rendered) = try await Self.runIn(elsewhere, bin, ["plan", "daemonset"])
        #expect(rcode == 0, "\(rendered)")
        #expect(!FileManager.default.fileExists(atPath: "\(elsewhere)/.slimctl"))
    }

    /// The page a renderer shows for `file`: man-db's `man -l` (the Makefile installs man-db),
    /// else mandoc or groff, whichever is there.
    static func rendered(manPage file: String) async throws -> String {
        let env = ["PATH": "/usr/bin:/bin", "MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat", "LANG": "C.UTF-8"]
        for argv in [["man", "-l", file], ["mandoc", "-Tutf8", file], ["groff", "-mdoc", "-Tutf8", file]]
        where Spawn.which(argv[0], environment: env) != nil {
            let r = try await Spawn.captureSeparately(argv, environment: env, timeout: .seconds(60))
            #expect(r.status == 0, "\(argv): \(String(decoding: r.stderr, as: UTF8.self))")
            // Overstrike bold (x\bx) as some renderers write it when not on a terminal.
            return String(decoding: r.stdout, as: UTF8.self).replacingOccurrences(of: ".\u{8}", with: "", options: .regularExpression)
        }
        throw TestFailure("no man page renderer (man, mandoc, groff): run `make deps`, which installs man-db")
    }

    /// `make install` puts the man page and the completion scripts where `man`, bash-completion,
    /// zsh and fish look under a prefix; the page renders and has the commands' sections.
    @Test func anInstallHasTheManPageAndTheShellCompletions() async throws {
        let (root, bin) = try await Self.installedTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let share = "\(root)/usr/share"
        let page = "\(share)/man/man1/slimctl.1"
        #expect(FileManager.default.contentsEqual(atPath: page, andPath: "\(InstallAndCommandLine.repo)/Docs/man/slimctl.1"))
        let text = try await Self.rendered(manPage: page)
        #expect(text.contains("SLIMCTL(1)") && text.contains("NAME") && text.contains("SYNOPSIS"), "\(text.prefix(500))")
        let lines = text.split(separator: "\n").map(String.init)
        let deploy = try #require(
            lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("deploy  Run a strategy's steps in order") },
            "the deploy subcommand's section: \(text.prefix(3000))")
        let section = lines[deploy...].prefix { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("verify  ") }.joined(separator: "\n")
        for option in ["--only", "--from", "--load-image", "--target", "--context"] {
            #expect(section.contains(option), "deploy's section lacks \(option): \(section.prefix(2000))")
        }
        for (shell, path) in [
            ("bash", "bash-completion/completions/slimctl"), ("zsh", "zsh/site-functions/_slimctl"),
            ("fish", "fish/vendor_completions.d/slimctl.fish")
        ] {
            let installed = try String(contentsOfFile: "\(share)/\(path)", encoding: .utf8)
            let (code, generated) = try await Self.runIn(root, bin, ["--generate-completion-script", shell])
            #expect(
                code == 0 && installed.trimmingCharacters(in: .whitespacesAndNewlines) == generated.trimmingCharacters(in: .whitespacesAndNewlines),
                "\(shell): the installed script is the binary's own")
            #expect(installed.contains("---completion deploy -- --only"), "\(shell)")
        }
    }

    /// The committed page against the commands as built, between `make man` runs: every command
    /// and every long option appears (`make man-check`, in `make test`, compares the whole page).
    @Test func theManPageNamesEveryCommandAndOption() async throws {
        let page = try String(contentsOfFile: "\(InstallAndCommandLine.repo)/Docs/man/slimctl.1", encoding: .utf8)
        let (code, json) = try await Self.runIn(Self.repo, try slimctlBinary(), ["--experimental-dump-help"])
        #expect(code == 0, "\(json.prefix(300))")
        var missing: [String] = []
        func walk(_ command: [String: Any]) {
            if let name = command["commandName"] as? String, !page.contains(".It Em \(name)") && !page.contains(".Nm \(name)") { missing.append(name) }
            for a in command["arguments"] as? [[String: Any]] ?? [] {
                for n in a["names"] as? [[String: Any]] ?? [] where n["kind"] as? String == "long" {
                    // `.It Fl -only`, or with a short name first `.It Fl n , -namespace`.
                    if let name = n["name"] as? String,
                        page.range(of: "(Fl |, )-" + NSRegularExpression.escapedPattern(for: name) + "(\\s|$)", options: .regularExpression) == nil
                    {
                        missing.append("--\(name)")
                    }
                }
            }
            for s in command["subcommands"] as? [[String: Any]] ?? [] { walk(s) }
        }
        let tool = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        walk(tool?["command"] as? [String: Any] ?? [:])
        #expect(missing.isEmpty, "Docs/man/slimctl.1 lacks \(Set(missing).sorted()): run `make man`")
    }

    /// The Makefile's wiring, without the release build: `install` stages under DESTDIR+PREFIX
    /// through the same script, stripped, with the commit; `dist` names the tarball by version.
    @Test func makeInstallAndDistUseTheSharedLayout() async throws {
        let (code, install) = try await Spawn.capture(
            ["make", "-n", "-C", root, "install", "DESTDIR=/tmp/stage", "PREFIX=/usr", "SLIMCTL_COMMIT=abc1234"],
            timeout: .seconds(60))
        #expect(code == 0, "\(install)")
        #expect(install.contains("--product slimctl") && install.contains("-c release"), "\(install)")
        #expect(install.contains("STRIP=1 COMMIT=\"abc1234\" ./scripts/install-tree.sh .build/release/slimctl \"/tmp/stage/usr\""), "\(install)")
        let (dcode, dist) = try await Spawn.capture(["make", "-n", "-C", root, "dist"], timeout: .seconds(60))
        #expect(dcode == 0, "\(dist)")
        #expect(dist.contains("dist/slimctl-0.1.0-linux-x86_64.tar.gz") && dist.contains(" bin share"), "\(dist)")
    }

    @Test func slimctlHomeWinsOverTheInstalledTree() async throws {
        let (root, bin) = try await Self.installedTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = try Self.tempDir("home")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: "\(home)/strategies", withIntermediateDirectories: true)
        let (code, out) = try await Self.runIn(home, bin, ["strategies"], env: ["SLIMCTL_HOME": home])
        #expect(code == 0 && out.contains("no strategies found in \(home)/strategies"), "\(out)")
    }

    @Test func readOnlyCommandsCreateNothing() async throws {
        let cwd = try Self.tempDir("readonly")
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        let xdg = try Self.tempDir("readonly-xdg")
        defer { try? FileManager.default.removeItem(atPath: xdg) }
        for args in [
            ["strategies"], ["plan", "daemonset"], ["render", "daemonset"], ["diff", "daemonset"], ["status", "daemonset"], ["verify", "daemonset"],
            ["status", "statefulset"], ["verify", "statefulset"], ["version"]
        ] {
            let (code, out) = try await Self.runIn(cwd, try slimctlBinary(), args, env: ["XDG_STATE_HOME": xdg])
            #expect(code == 0 || code == 1, "\(args): \(out)")
            for dir in [cwd, xdg] {
                let left = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                #expect(left.isEmpty, "`slimctl \(args.joined(separator: " "))` left \(left) in \(dir)")
            }
        }
    }

    /// The issue's new user: `make install` into a prefix, then from a project folder deploy,
    /// and from elsewhere status, verify, test and delete the same deployment. State goes to
    /// `~/.local/state/slimctl` (no XDG_STATE_HOME), never into the folder the command ran in,
    /// and never into `~/.slimctl`, which belongs to SLIM's control CLI.
    @Test func aNewUserDeploysTestsAndDeletesFromAnyFolder() async throws {
        let (tree, bin) = try await Self.installedTree()
        defer { try? FileManager.default.removeItem(atPath: tree) }
        let home = try Self.tempDir("newuser")
        let project = "\(home)/project", elsewhere = "\(home)/elsewhere"
        for d in [project, elsewhere] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let state = "\(home)/.local/state/slimctl"
        defer { cleanup(state); try? FileManager.default.removeItem(atPath: home) }
        // The bindings' virtualenv is the machine's (a cache, rebuilt only when missing).
        let real = ProcessInfo.processInfo.environment
        let cache = real["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((real["HOME"] ?? NSHomeDirectory()) + "/.cache")
        let env = ["HOME": home, "XDG_STATE_HOME": "", "XDG_CACHE_HOME": cache]

        var (code, out) = try await Self.runIn(project, bin, ["deploy", "daemonset"], env: env)
        #expect(code == 0, "\(out)")
        #expect(FileManager.default.fileExists(atPath: "\(state)/state/daemonset-local.json"), "\(out)")
        (code, out) = try await Self.runIn(elsewhere, bin, ["status", "daemonset"], env: env)
        #expect(code == 0 && !out.contains("pending"), "status from another folder sees the deployment: \(out)")
        (code, out) = try await Self.runIn(elsewhere, bin, ["verify", "daemonset"], env: env)
        #expect(code == 0, "\(out)")
        (code, out) = try await Self.runIn(home, bin, ["test", "all", "daemonset"], env: env)
        #expect(code == 0 && out.contains("10/10"), "\(out)")
        (code, out) = try await Self.runIn(elsewhere, bin, ["delete", "daemonset"], env: env)
        #expect(code == 0, "\(out)")
        #expect(!FileManager.default.fileExists(atPath: "\(home)/.slimctl"), "~/.slimctl is SLIM's control CLI's folder")
        for d in [project, elsewhere] {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []
            #expect(left.isEmpty, "\(d) holds \(left)")
        }
    }

    @Test func versionNamesTheBuildAndTheTools() async throws {
        let (root, bin) = try await Self.installedTree(commit: "abc1234")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fakeTools = try Self.tempDir("tools")
        defer { try? FileManager.default.removeItem(atPath: fakeTools) }
        try "#!/bin/sh\necho v3.99.1+gdeadbee\n".write(toFile: "\(fakeTools)/helm", atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho '{\"clientVersion\": {\"gitVersion\": \"v1.98.0\"}, \"kustomizeVersion\": \"v5\"}'\n"
            .write(toFile: "\(fakeTools)/kubectl", atomically: true, encoding: .utf8)
        for f in ["helm", "kubectl"] { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(fakeTools)/\(f)") }
        let path = ["PATH": "\(fakeTools):/usr/bin:/bin"]

        for first in [["version"], ["--version"]] {
            let (code, out) = try await Self.runIn(root, bin, first, env: path)
            #expect(code == 0, "\(out)")
            #expect(out.contains("slimctl 0.1.0 (commit abc1234)"), "\(out)")
            #expect(out.contains("swift    6."), "\(out)")
            #expect(out.contains("helm     v3.99.1+gdeadbee (\(fakeTools)/helm)"), "\(out)")
            #expect(out.contains("kubectl  v1.98.0 (\(fakeTools)/kubectl)"), "\(out)")
            #expect(out.contains("home     \(root)/usr/share/slimctl"), "\(out)")
        }
        let (code, json) = try await Self.runIn(root, bin, ["version", "-o", "json"], env: path)
        #expect(code == 0, "\(json)")
        let obj = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        let version = obj["version"] as? String, commit = obj["commit"] as? String, swift = obj["swift"] as? String ?? ""
        let kubectl = obj["kubectl"] as? [String: Any] ?? [:], helm = obj["helm"] as? [String: Any] ?? [:]
        #expect(version == "0.1.0" && commit == "abc1234", "\(json)")
        #expect(kubectl["version"] as? String == "v1.98.0", "\(json)")
        #expect(helm["path"] as? String == "\(fakeTools)/helm", "\(json)")
        #expect(swift.hasPrefix("6."), "\(json)")

        // Neither tool on PATH: said, and still exit 0.
        let (ncode, none) = try await Self.runIn(root, bin, ["version"], env: ["PATH": "/nonexistent"])
        #expect(ncode == 0 && none.contains("helm     not found on PATH") && none.contains("kubectl  not found on PATH"), "\(none)")
    }

    @Test(arguments: ["node", "controller", "route", "slim", "channel-manager", "login", "config", "bench"])
    func upstreamSlimctlCommandsPointToIt(command: String) async throws {
        let cwd = try Self.tempDir("upstream")
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        let (code, out) = try await Self.runIn(cwd, try slimctlBinary(), [command, "list", "--server", "x:1"])
        #expect(code == 2, "\(out)")
        let lines = out.split(separator: "\n")
        #expect(lines.count == 1, "\(out)")
        #expect(out.contains("`slimctl \(command)`") && out.contains("https://github.com/agntcy/slim") && out.contains("crates/slimctl"), "\(out)")
        let (hcode, help) = try await Self.runIn(cwd, try slimctlBinary(), ["--help"])
        #expect(hcode == 0 && !help.contains("channel-manager") && help.contains("crates/slimctl"), "\(help)")
    }

    @Test func aTypoedCommandNamesTheNearestOne() async throws {
        let cwd = try Self.tempDir("typo")
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        for (typo, meant) in [("deplyo", "deploy"), ("verfy", "verify"), ("stratgies", "strategies"), ("staus", "status")] {
            let (code, out) = try await Self.runIn(cwd, try slimctlBinary(), [typo, "daemonset"])
            #expect(code == 2, "\(out)")
            #expect(out.contains("unknown command `\(typo)`; did you mean `\(meant)`?"), "\(out)")
        }
        let (code, out) = try await Self.runIn(cwd, try slimctlBinary(), ["xyzzy"])
        #expect(code == 2 && out.contains("unknown command `xyzzy`; expected one of: strategies, render"), "\(out)")
        #expect(!FileManager.default.fileExists(atPath: "\(cwd)/.slimctl"))
    }
}
