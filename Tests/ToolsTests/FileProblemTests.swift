import Foundation
import Testing
import Tools

func tempDir() -> String {
    let d = NSTemporaryDirectory() + "toolstests-" + UUID().uuidString.prefix(8)
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

func message(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return "\(error)" }
}

/// Files that are not what a user meant: each is refused before it is opened, with the cause.
@Suite struct ReadingUserFiles {
    @Test func aDirectoryADeviceAndAFIFOAreNamedForWhatTheyAre() throws {
        let dir = tempDir()
        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(message { _ = try FileSystem.readText(dir, what: "values file") } == "values file \(dir) is a directory, not a file")
        // Opening a FIFO would block and /dev/zero would never end: both must fail without reading.
        #expect(message { _ = try FileSystem.readText(fifo) }.contains("is not a regular file"))
        #expect(message { _ = try FileSystem.readText("/dev/zero") }.contains("is not a regular file"))
        #expect(message { _ = try FileSystem.readText(dir + "/nope.yaml") } == "file \(dir)/nope.yaml does not exist")
        try "x".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        #expect(message { _ = try FileSystem.readText(dir + "/file/x.yaml") }.contains("(\(dir)/file is not a directory)"))
    }

    @Test func theFirstInvalidByteIsPlacedByLineAndColumn() throws {
        let bytes = Array("name: x\ndescription: caf".utf8) + [0xE9] + Array(" ok\n".utf8)
        let e = message { _ = try UTF8Text.decode(bytes, name: "strategy file s.yaml") }
        #expect(e.hasPrefix("strategy file s.yaml is not UTF-8 at 2:17 (byte 0xE9 at offset 24)"), "\(e)")
        // Columns count characters, not bytes: `é` written correctly is one column.
        let wide = Array("é€x".utf8) + [0xFF]
        #expect(UTF8Text.firstInvalid(wide)?.column == 4)
        #expect(UTF8Text.firstInvalid(Array("plain ✓\n".utf8)) == nil)
        // A truncated sequence at the very end is invalid too.
        #expect(UTF8Text.firstInvalid([0x61, 0xE2, 0x82])?.offset == 1)
    }

    @Test func errnoBecomesWordsAPersonActsOn() {
        #expect(FileProblem.words(errno: EROFS) == "read-only file system")
        #expect(FileProblem.words(errno: ENOSPC) == "no space left on device")
        #expect(FileProblem.words(errno: EISDIR) == "is a directory")
        #expect(FileProblem.words(errno: EACCES) == "permission denied")
        #expect(FileProblem.words(errno: ENOENT) == "does not exist")
    }
}

@Suite struct WritingFiles {
    @Test func aFolderThatIsAFileIsNamed() throws {
        let dir = tempDir()
        try "x".write(toFile: dir + "/state", atomically: true, encoding: .utf8)
        #expect(message { try FileSystem.makeDirectory(dir + "/state") } == "cannot create folder \(dir)/state: it exists and is not a directory")
        #expect(
            message { try FileSystem.makeDirectory(dir + "/state/sub") } == "cannot create folder \(dir)/state/sub: \(dir)/state is a file, not a directory")
        #expect(message { try AtomicWrite.text("x", dir + "/state/a.json") } == "cannot create folder \(dir)/state: it exists and is not a directory")
    }

    @Test func aPseudoFileSystemRefusesNewFoldersInWords() {
        #expect(
            message { try FileSystem.checkWritable("/proc/slimctl-nope/x.xml") }
                == "cannot create folder /proc/slimctl-nope: the file system there does not allow new folders")
    }

    @Test func checkWritableCreatesTheFolderAndLeavesNoProbe() throws {
        let dir = tempDir() + "/reports/deep"
        try FileSystem.checkWritable(dir + "/junit.xml")
        #expect(FileSystem.kind(dir) == .directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        #expect(message { try FileSystem.checkWritable(dir) } == "cannot write \(dir): is a directory")
    }

    @Test func anAtomicWriteReplacesTheFileWholeWithTheModeAsked() throws {
        let path = tempDir() + "/sub/secret.json"
        try AtomicWrite.text("one", path, mode: 0o600)
        try AtomicWrite.text("two", path, mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let left = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(left == ["secret.json"], "no temp file is left: \(left)")
    }
}

enum AtomicWrite {
    static func text(_ s: String, _ path: String, mode: Int = 0o644) throws {
        try FileSystem.writeAtomically(Data(s.utf8), to: path, mode: mode)
    }
}
