import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Spawn {
    /// What a short-lived helper (a kubeconfig credential plugin) printed, kept apart.
    public struct Captured: Sendable {
        /// Exit code as a shell reports it (128+signal when killed).
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// True when the timeout ended it: its whole process group was killed.
        public var timedOut: Bool
    }

    /// Runs `argv` in a process group of its own, registered with `ChildRegistry` (Ctrl-C ends it
    /// and whatever it started), with stdout and stderr read through pipes — nothing touches the
    /// disk, which matters when stdout is a token. After `timeout` the whole group is ended
    /// (SIGTERM, then SIGKILL) and what it printed so far is returned with `timedOut`; a helper
    /// waiting for a browser login or a network that never answers cannot hang slimctl.
    public static func captureSeparately(
        _ argv: [String], environment: [String: String]? = nil,
        timeout: Duration
    ) async throws -> Captured {
        let out = try pipe()
        let err: (readEnd: Int32, writeEnd: Int32)
        do { err = try pipe() } catch {
            close(out.readEnd); close(out.writeEnd)
            throw error
        }
        let pid: pid_t
        do {
            pid = try start(argv, environment: environment, output: .pipes(stdout: out.writeEnd, stderr: err.writeEnd))
        } catch {
            for fd in [out.readEnd, out.writeEnd, err.readEnd, err.writeEnd] { close(fd) }
            throw error
        }
        // Only the child holds the write ends now: end of file means it (and its group) closed them.
        close(out.writeEnd)
        close(err.writeEnd)
        ChildRegistry.shared.add(pid)
        defer { ChildRegistry.shared.remove(pid) }

        let expired = Flag()
        let timer = Task.detached {
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            expired.set()
            terminateGroup(pid, grace: .seconds(2))
        }
        let (status, stdout, stderr) = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<(Int32, [UInt8], [UInt8]), Never>) in
                let thread = Thread {
                    let errBytes = Bytes()
                    let errDone = DispatchSemaphore(value: 0)
                    let reader = Thread {
                        errBytes.value = readAll(err.readEnd)
                        errDone.signal()
                    }
                    reader.start()
                    let o = readAll(out.readEnd)
                    errDone.wait()
                    close(out.readEnd)
                    close(err.readEnd)
                    var st: Int32 = 0
                    var rc: pid_t
                    repeat { rc = waitpid(pid, &st, 0) } while rc == -1 && errno == EINTR
                    // Reaped by the timeout's group termination already: it was killed.
                    if rc == -1 { st = SIGKILL }
                    c.resume(returning: (st, o, errBytes.value))
                }
                thread.start()
            }
        } onCancel: {
            terminateGroup(pid, grace: .seconds(2))
        }
        timer.cancel()
        let timedOut = expired.isSet
        // Whatever the group left behind goes too (a helper's background child holding no pipe).
        if timedOut { terminateGroup(pid, grace: .seconds(2)) }
        return Captured(status: decode(status), stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Reads a descriptor to its end.
    static func readAll(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out += buf[0..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            return out
        }
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }

    final class Bytes: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        var value: [UInt8] {
            get { lock.lock(); defer { lock.unlock() }; return bytes }
            set { lock.lock(); bytes = newValue; lock.unlock() }
        }
    }
}
