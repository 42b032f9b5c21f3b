import Foundation
import Testing
import Tools

/// A process is gone when /proc has no entry for it or it is a zombie waiting to be reaped.
func isGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    guard let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

func pids(in file: String) -> [Int32] {
    ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
}

@Suite struct CaptureSeparately {
    @Test func stdoutAndStderrStayApart() async throws {
        let r = try await Spawn.captureSeparately(["/bin/sh", "-c", "echo token; echo complaint >&2; exit 3"], timeout: .seconds(60))
        #expect(String(decoding: r.stdout, as: UTF8.self) == "token\n")
        #expect(String(decoding: r.stderr, as: UTF8.self) == "complaint\n")
        #expect(r.status == 3)
        #expect(!r.timedOut)
    }

    @Test func atTheTimeoutTheWholeGroupIsEndedAndItsStderrKept() async throws {
        let dir = tempDir()
        // The script and a child of its own, both asleep for good.
        let script = "echo $$ >> \(dir)/pids; sleep 100000 & echo $! >> \(dir)/pids; echo 'waiting for login' >&2; wait"
        // 10 s: long enough for the shell to start both and say so on a busy machine.
        let r = try await Spawn.captureSeparately(["/bin/sh", "-c", script], timeout: .seconds(10))
        #expect(r.timedOut)
        #expect(String(decoding: r.stderr, as: UTF8.self).contains("waiting for login"))
        let started = pids(in: "\(dir)/pids")
        #expect(started.count == 2, "\(started)")
        for p in started { #expect(isGone(p), "process \(p) outlived the timeout") }
    }

    /// A descriptor this process has open without close-on-exec (as Foundation's atomic writes
    /// leave theirs) does not reach the child: a long-lived child holding a script open for
    /// writing made every later exec of that script fail with "Text file busy".
    @Test func aChildInheritsNothingButItsThreeStandardDescriptors() async throws {
        let path = "\(tempDir())/script.sh"
        let fd = open(path, O_WRONLY | O_CREAT, 0o755)
        #expect(fd > 2)
        defer { close(fd) }
        let r = try await Spawn.captureSeparately(
            ["/bin/sh", "-c", "if [ -e /proc/$$/fd/\(fd) ]; then echo inherited; else echo clean; fi; ls /proc/$$/fd | sort -n | tr '\\n' ' '"],
            timeout: .seconds(60))
        let out = String(decoding: r.stdout, as: UTF8.self)
        #expect(out.hasPrefix("clean\n"), "\(out)")
    }

    @Test func aMissingProgramIsASpawnFailure() async {
        await #expect(throws: Spawn.Failure.self) {
            _ = try await Spawn.captureSeparately(["/nonexistent/plugin"], timeout: .seconds(5))
        }
    }
}

@Suite struct GoDurations {
    @Test func goDurationsAndTheirErrors() {
        #expect(GoDuration.parse("90s") == 90)
        #expect(GoDuration.parse("2m") == 120)
        #expect(GoDuration.parse("1h30m") == 5400)
        #expect(GoDuration.parse("30") == nil, "a bare number is not a Go duration")
    }
}
