import Foundation
import Testing
import Tools

@testable import Local

/// The waiting primitives of the local target: incremental log reading, stopping process
/// groups (zombies count as gone), and a held start released or abandoned.
@Suite struct SupervisorTests {
    func tempFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-sup-\(UUID().uuidString)").path
    }

    func append(_ text: String, to path: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        h.write(Data(text.utf8))
        try h.close()
    }

    @Test func logTailHandsOverWholeLinesOnly() throws {
        let path = tempFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var tail = LogTail(path: path)
        var got = tail.poll()
        #expect(!got, "no file yet")
        FileManager.default.createFile(atPath: path, contents: Data("first line\nwaiting for new ".utf8))
        got = tail.poll()
        #expect(got)
        #expect(tail.text == "first line\n")
        got = tail.poll()
        #expect(!got, "nothing new")
        try append("session to be established", to: path)
        got = tail.poll()
        #expect(!got, "the line is not finished")
        #expect(!tail.text.contains("waiting"))
        try append("\nlast\n", to: path)
        got = tail.poll()
        #expect(got)
        #expect(tail.text == "first line\nwaiting for new session to be established\nlast\n")
    }

    /// A process whose parent does not reap it stays a zombie; stopping its group must not
    /// wait for the reaper (SLIM nodes outlive `deploy`, so init is their parent).
    @Test func stoppingDoesNotWaitForAnUnreapedZombie() throws {
        // The parent starts a child in a session (and group) of its own, prints its pid and
        // never reaps it.
        guard Spawn.which("python3") != nil else { return }
        let out = tempFile()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let parent = try Spawn.start(
            [
                "python3", "-c",
                "import subprocess, time\np = subprocess.Popen(['sleep', '60'], start_new_session=True)\nprint(p.pid, flush=True)\ntime.sleep(60)"
            ],
            output: .file(out))
        defer { Spawn.terminateGroup(parent, grace: .seconds(1)) }
        var child: Int32 = 0
        for _ in 0..<500 where child == 0 {
            child = Int32(((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            if child == 0 { usleep(10_000) }
        }
        #expect(child > 0)
        kill(child, SIGKILL)  // now a zombie: its parent sh is sleeping, not waiting
        // A grace far longer than the bound: waiting for the zombie would take all 60 s, not
        // returning at once takes milliseconds (30 s leaves room for a busy machine).
        let t = ContinuousClock.now
        Spawn.terminateGroups([child], grace: .seconds(60))
        #expect(ContinuousClock.now - t < .seconds(30), "waited for a zombie")
    }

    @Test func heldStartRunsOnlyWhenReleased() async throws {
        let python = "/usr/bin/env"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("runtime/held_start.py").path
        #expect(Spawn.which("python3") != nil, "python3 is needed (make deps installs python3-venv)")
        // Released: the program runs (exec'd: echo is no console script of this interpreter).
        let log1 = tempFile()
        defer { try? FileManager.default.removeItem(atPath: log1) }
        let s1 = try Supervisor.start([python, "python3", script, "/bin/echo", "ran"], env: [:], log: log1, held: true)
        try await Task.sleep(for: .milliseconds(300))
        #expect(((try? String(contentsOfFile: log1, encoding: .utf8)) ?? "").isEmpty, "ran before the release")
        let released = Supervisor.go(s1.gate!)
        #expect(released)
        // Generous bounds: Python's start-up took over 10 s once on a machine busy with the whole suite.
        var r = await Supervisor.waitFor(marker: "ran", pid: s1.pid, log: log1, timeout: .seconds(90))
        #expect(r == .found)
        Supervisor.release([s1.pid])

        // Abandoned: leaves without running the program.
        let log2 = tempFile()
        defer { try? FileManager.default.removeItem(atPath: log2) }
        let s2 = try Supervisor.start([python, "python3", script, "/bin/echo", "ran"], env: [:], log: log2, held: true)
        Supervisor.abandon(s2.gate!)
        r = await Supervisor.waitFor(marker: "not released", pid: s2.pid, log: log2, timeout: .seconds(90))
        #expect(r == .found)
        #expect(!((try? String(contentsOfFile: log2, encoding: .utf8)) ?? "").contains("ran\n"))
        Supervisor.release([s2.pid])
    }

    /// `--exit-file`: the launcher records how an entry point ended, whether it returned,
    /// called sys.exit or raised, so `status` can say Completed or Error after slimctl is gone.
    /// The entry point lives in a throwaway virtualenv with its own console script, as the
    /// slim-bindings ones do.
    @Test(arguments: [("return 0", "0"), ("sys.exit(3)", "3"), ("raise RuntimeError('boom')", "1"), ("return None", "0")])
    func heldStartRecordsTheExitCode(body: String, code: String) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("runtime/held_start.py").path
        let venv = tempFile()
        defer { try? FileManager.default.removeItem(atPath: venv) }
        let (vcode, vout) = try await Spawn.capture(["python3", "-m", "venv", "--without-pip", venv], timeout: .seconds(120))
        try #require(vcode == 0, "python3 -m venv: \(vout)")
        let (_, site) = try await Spawn.capture(
            ["\(venv)/bin/python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], timeout: .seconds(60))
        let lib = site.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.createDirectory(atPath: "\(lib)/exitdemo-1.0.dist-info", withIntermediateDirectories: true)
        try "import sys\ndef main():\n    print('ran', flush=True)\n    \(body)\n".write(toFile: "\(lib)/exitdemo.py", atomically: true, encoding: .utf8)
        try "Metadata-Version: 2.1\nName: exitdemo\nVersion: 1.0\n".write(toFile: "\(lib)/exitdemo-1.0.dist-info/METADATA", atomically: true, encoding: .utf8)
        try "[console_scripts]\nexit-demo = exitdemo:main\n".write(toFile: "\(lib)/exitdemo-1.0.dist-info/entry_points.txt", atomically: true, encoding: .utf8)
        try "#!/bin/sh\nexit 99\n".write(toFile: "\(venv)/bin/exit-demo", atomically: true, encoding: .utf8)
        chmod("\(venv)/bin/exit-demo", 0o755)

        let log = "\(venv)/app.log"
        let (rc, out) = try await Spawn.capture(
            ["\(venv)/bin/python", script, "--no-hold", "--exit-file", AppExit.path(log: log), "\(venv)/bin/exit-demo"],
            timeout: .seconds(60))
        #expect(out.contains("ran"), "the entry point ran in-process (the shell script would exit 99 silently): \(out)")
        #expect(String(rc) == code, "\(out)")
        #expect(
            AppExit.recorded(log).map(String.init) == code,
            "exit file: \(String(describing: try? String(contentsOfFile: AppExit.path(log: log), encoding: .utf8)))")
    }
}
