import Checks
import Foundation
import Testing

@testable import SlimCLI

/// The pieces of `ci` and error reporting that need no deployment: a report write that fails at
/// the end fails the run, and Foundation's file errors are told in words.
@Suite struct ReportWrites {
    @Test func aReportThatCannotBeWrittenAtTheEndFailsTheRun() throws {
        let dir = tempDir()
        let blocker = dir + "/was-a-folder"
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        let report = CIReport(strategy: "daemonset", target: "local", startedAt: Date())
        let good = dir + "/reports/junit.xml"
        let failures = CICommand.writeReports(report, to: [("junit", good), ("json", blocker + "/r.json")], since: .now)
        #expect(FileManager.default.fileExists(atPath: good), "the report that can be written is")
        #expect(failures.count == 1)
        #expect(failures.first?.contains("the json report was not written") == true, "\(failures)")
        #expect(failures.first?.contains(blocker) == true, "\(failures)")
        // A passed run becomes exit 1; a failed or interrupted one keeps its code.
        #expect(throws: CLIError.self) { try CICommand.failOnUnwrittenReports(failures, code: .ok) }
        do { try CICommand.failOnUnwrittenReports(failures, code: .ok) } catch CLIError.silent(let code) {
            #expect(code == .failed)
        } catch { Issue.record("\(error)") }
        do { try CICommand.failOnUnwrittenReports(failures, code: .interrupted) } catch CLIError.silent(let code) {
            #expect(code == .interrupted)
        } catch { Issue.record("\(error)") }
        #expect(throws: Never.self) { try CICommand.failOnUnwrittenReports([], code: .ok) }
    }

    @Test func reportsAreWrittenWholeWithNoTempFileLeft() throws {
        let dir = tempDir() + "/out"
        var report = CIReport(strategy: "daemonset", target: "local", startedAt: Date())
        report.cases = [.init(group: "deploy", name: "slim", status: .passed, seconds: 1)]
        #expect(CICommand.writeReports(report, to: [("junit", dir + "/j.xml"), ("json", dir + "/r.json")], since: .now).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["j.xml", "r.json"])
        #expect(try String(contentsOfFile: dir + "/j.xml", encoding: .utf8).hasSuffix("</testsuites>\n"))
    }
}

@Suite struct FoundationErrorsInWords {
    @Test(arguments: [
        (CocoaError.Code.fileWriteVolumeReadOnly, "read-only file system"),
        (.fileWriteOutOfSpace, "no space left on device"),
        (.fileNoSuchFile, "does not exist"),
        (.fileWriteNoPermission, "permission denied")
    ])
    func cocoaCodesBecomeWords(code: CocoaError.Code, words: String) {
        let e = CocoaError(code, userInfo: [NSFilePathErrorKey: "/state/x.json"])
        let (exit, text) = ErrorReport.classify(e)
        #expect(exit == .config)
        #expect(text == "/state/x.json: \(words)", "\(text)")
    }

    @Test func theUnderlyingErrnoWins() {
        let posix = NSError(domain: NSPOSIXErrorDomain, code: Int(ENOTDIR))
        let e = NSError(domain: NSCocoaErrorDomain, code: 512, userInfo: [NSFilePathErrorKey: "/state/x", NSUnderlyingErrorKey: posix])
        let text = ErrorReport.classify(e).1
        #expect(text == "/state/x: a part of the path is not a directory", "\(text)")
        #expect(!text.contains("Domain"))
    }
}
