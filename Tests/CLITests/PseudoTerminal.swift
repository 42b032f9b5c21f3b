import Foundation
import Tools

#if canImport(Glibc)
import Glibc
#endif

/// Runs the slimctl binary with a pseudo-terminal as its stdin, stdout and stderr, as a person
/// at a terminal runs it, and collects every byte it wrote there (escape codes included).
final class PseudoTerminal: @unchecked Sendable {
    let pid: pid_t
    private let master: Int32
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var exited = false
    private let done = DispatchSemaphore(value: 0)

    /// Starts `slimctl args` on a new terminal. Both ends are close-on-exec, so no other child
    /// (nor a SLIM node that outlives slimctl) holds the terminal open.
    init(_ args: [String], environment: [String: String]) throws {
        let (m, name) = try Self.openMaster()
        let slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { close(m); throw TestFailure("cannot open \(name): \(String(cString: strerror(errno)))") }
        defer { close(slave) }
        master = m
        pid = try Spawn.start([try slimctlBinary()] + args, environment: environment, output: .pipes(stdout: slave, stderr: slave), stdin: slave)
        let reader = Thread { [self] in readUntilExit() }
        reader.start()
    }

    /// posix_openpt on Linux: the multiplexer, unlocked, and the name of its other end. Glibc's
    /// Swift module leaves out unlockpt and ptsname_r (they need _XOPEN_SOURCE), so they are
    /// looked up in the C library already loaded.
    static func openMaster() throws -> (Int32, String) {
        let m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard m >= 0 else { throw TestFailure("no pseudo-terminal: /dev/ptmx: \(String(cString: strerror(errno)))") }
        typealias Unlock = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32
        guard let u = dlsym(nil, "unlockpt"), let n = dlsym(nil, "ptsname_r") else { close(m); throw TestFailure("unlockpt/ptsname_r not found") }
        var buf = [CChar](repeating: 0, count: 128)
        guard unsafeBitCast(u, to: Unlock.self)(m) == 0, unsafeBitCast(n, to: Name.self)(m, &buf, buf.count) == 0 else {
            close(m)
            throw TestFailure("cannot unlock the pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        return (m, String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// What the terminal showed so far, as text.
    var text: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits for the process to end; its exit code as a shell reports it.
    func wait() async -> Int32 {
        let status = await withCheckedContinuation { (c: CheckedContinuation<Int32, Never>) in
            Thread {
                var st: Int32 = 0
                while waitpid(self.pid, &st, 0) == -1 && errno == EINTR {}
                c.resume(returning: st)
            }.start()
        }
        markExited()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread {
                self.done.wait(); c.resume()
            }.start()
        }
        let sig = status & 0x7f
        return sig == 0 ? (status >> 8) & 0xff : 128 + sig
    }

    private func markExited() { lock.lock(); exited = true; lock.unlock() }

    /// Polls until `condition` holds for the text shown (bounded at 120 s, so a hang fails the
    /// test instead of stalling it).
    func waitFor(_ condition: (String) -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < end {
            if condition(text) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition(text)
    }

    /// Reads the master side until the process has exited and nothing more is waiting.
    private func readUntilExit() {
        var buf = [UInt8](repeating: 0, count: 4096)
        func over() -> Bool { lock.lock(); defer { lock.unlock() }; return exited }
        while true {
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 100) > 0 {
                let n = buf.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n > 0 {
                    lock.lock(); bytes += buf[0..<n]; lock.unlock()
                    continue
                }
                // EIO: every slave descriptor is closed, nothing more will come.
                if over() { break }
                usleep(10_000)
            } else if over() {
                break
            }
        }
        close(master)
        done.signal()
    }
}
