import Foundation
import Tools

/// Foundation's file errors print as `Error Domain=NSCocoaErrorDomain Code=512 "(null)"`, which
/// names neither the path nor the cause. slimctl's own file I/O throws `FileProblem`; this is the
/// safety net for any Foundation call left, turning its error into the path and the cause in words.
enum FoundationErrorText {
    static func describe(_ error: Error) -> String? {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        let cause = words(ns)
        guard let path else { return "file system error: \(cause)" }
        return "\(path): \(cause)"
    }

    /// The underlying errno when Foundation kept one, else the Cocoa code in words.
    static func words(_ ns: NSError) -> String {
        if ns.domain == NSPOSIXErrorDomain { return FileProblem.words(errno: Int32(ns.code)) }
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return FileProblem.words(errno: Int32(u.code))
        }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "does not exist"
        case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on device"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        case .fileWriteFileExists: return "already exists (or a part of the path is a file, not a directory)"
        case .fileReadCorruptFile: return "is not in the expected format"
        case .fileReadInapplicableStringEncoding: return "is not UTF-8 text"
        case .fileReadTooLarge: return "is too large"
        case .fileWriteInvalidFileName: return "is not a valid file name"
        default: return "the file operation failed (code \(ns.code))"
        }
    }
}
