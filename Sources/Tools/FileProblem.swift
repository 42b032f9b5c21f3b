import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file or folder slimctl could not read or write, said the way a person fixes it: the path,
/// what was being done, and the cause in words ("is a directory", "read-only file system").
/// Foundation's own errors (`NSCocoaErrorDomain Code=512`) name neither the path nor the cause
/// a user can act on, so file I/O on user-given paths goes through here instead.
public struct FileProblem: Error, Sendable, CustomStringConvertible {
    public var path: String
    /// "cannot read", "cannot write", "cannot create folder"…; empty when `cause` says it all.
    public var action: String
    public var cause: String

    public init(_ action: String, _ path: String, cause: String) {
        self.action = action
        self.path = path
        self.cause = cause
    }

    public var description: String { action.isEmpty ? "\(path) \(cause)" : "\(action) \(path): \(cause)" }

    /// The cause of an `errno`, in the words of the messages above (lower case, no jargon).
    public static func words(errno code: Int32) -> String {
        switch code {
        case ENOENT: return "does not exist"
        case ENOTDIR: return "a part of the path is not a directory"
        case EISDIR: return "is a directory"
        case EACCES, EPERM: return "permission denied"
        case EROFS: return "read-only file system"
        case ENOSPC: return "no space left on device"
        case EDQUOT: return "disk quota exceeded"
        case EEXIST: return "already exists"
        case ENAMETOOLONG: return "the name is too long"
        case ELOOP: return "too many levels of symbolic links"
        case EIO: return "input/output error"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}

/// File operations on paths users give (values files, strategy files, state and report folders)
/// that fail with a `FileProblem`, never with Foundation's error text.
public enum FileSystem {
    public enum Kind: Sendable, Equatable { case missing, regular, directory, other }

    /// What is at `path` (following symbolic links), without opening it: opening a FIFO blocks
    /// and reading `/dev/zero` never ends, so the kind is checked before any read.
    public static func kind(_ path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The bytes of a regular file. `what` names it in messages ("values file", "strategy file").
    public static func readRegularFile(_ path: String, what: String = "file") throws -> [UInt8] {
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            throw FileProblem("", "\(what) \(path)", cause: words(missing: path, errno: e))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw FileProblem("", "\(what) \(path)", cause: "is a directory, not a file")
        default: throw FileProblem("", "\(what) \(path)", cause: "is not a regular file (a device, FIFO or socket)")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileProblem("cannot read", "\(what) \(path)", cause: FileProblem.words(errno: errno)) }
        defer { close(fd) }
        var out: [UInt8] = []
        out.reserveCapacity(Int(st.st_size))
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileProblem("cannot read", "\(what) \(path)", cause: FileProblem.words(errno: errno))
            }
            out += buf[0..<n]
        }
        return out
    }

    /// A regular file's text, which must be UTF-8; the first invalid byte is named by line and column.
    public static func readText(_ path: String, what: String = "file") throws -> String {
        try UTF8Text.decode(try readRegularFile(path, what: what), name: "\(what) \(path)")
    }

    /// `stat` failed: "does not exist", or which part of the path is in the way.
    static func words(missing path: String, errno code: Int32) -> String {
        guard code == ENOTDIR else { return FileProblem.words(errno: code) }
        if let blocker = firstNonDirectoryAncestor(path) { return "does not exist (\(blocker) is not a directory)" }
        return FileProblem.words(errno: code)
    }

    /// The first existing ancestor of `path` that is not a directory, if any.
    static func firstNonDirectoryAncestor(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/").dropLast() {
            prefix += "/" + part
            switch kind(prefix) {
            case .directory: continue
            case .missing: return nil
            default: return prefix
            }
        }
        return nil
    }

    /// `mkdir -p`, with a message naming the component that could not be created and why.
    /// Folders slimctl makes are private by default: state, secrets, logs and rendered values.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        if kind(path) == .directory { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            switch kind(prefix) {
            case .directory: continue
            case .missing:
                if mkdir(prefix, mode) != 0 && errno != EEXIST {
                    let e = errno
                    // ENOENT with an existing parent: a pseudo file system such as /proc.
                    throw FileProblem(
                        "cannot create folder", prefix,
                        cause: e == ENOENT ? "the file system there does not allow new folders" : FileProblem.words(errno: e))
                }
                if kind(prefix) != .directory { throw FileProblem("cannot create folder", prefix, cause: "it is not a directory") }
            default:
                throw FileProblem(
                    "cannot create folder", path,
                    cause: prefix == path || prefix == "./" + path ? "it exists and is not a directory" : "\(prefix) is a file, not a directory")
            }
        }
    }

    /// Writes to a temp file beside `path`, then renames it into place: a reader never sees half
    /// a file, and a failed write leaves the old one.
    public static func writeAtomically(_ data: Data, to path: String, mode: Int = 0o644) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try makeDirectory(dir.isEmpty ? "." : dir)
        if kind(path) == .directory { throw FileProblem("cannot write", path, cause: "is a directory") }
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw FileProblem("cannot write", path, cause: FileProblem.words(errno: errno)) }
        // open's mode is masked by the umask; a 0600 secret must be 0600 whatever the umask.
        fchmod(fd, mode_t(mode))
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        if failure == 0 && fsync(fd) != 0 && errno != EINVAL { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure != 0 {
            unlink(tmp)
            throw FileProblem("cannot write", path, cause: FileProblem.words(errno: failure))
        }
        if rename(tmp, path) != 0 {
            let e = errno
            unlink(tmp)
            throw FileProblem("cannot write", path, cause: FileProblem.words(errno: e))
        }
    }

    /// Checks, before any work, that a file can later be written at `path`: its folder exists or
    /// is created now, a probe file can be created there, and `path` itself is not a directory.
    /// A probe is the only honest test: permissions say nothing to root, and a read-only mount
    /// or a pseudo file system (`/proc`) only shows itself on an actual create.
    public static func checkWritable(_ path: String) throws {
        switch kind(path) {
        case .directory: throw FileProblem("cannot write", path, cause: "is a directory")
        case .other: throw FileProblem("cannot write", path, cause: "is not a regular file")
        default: break
        }
        let dir = (path as NSString).deletingLastPathComponent
        let folder = dir.isEmpty ? "." : dir
        try makeDirectory(folder)
        let probe = "\(folder)/.slimctl-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileProblem("cannot write", path, cause: FileProblem.words(errno: errno)) }
        close(fd)
        unlink(probe)
    }
}
