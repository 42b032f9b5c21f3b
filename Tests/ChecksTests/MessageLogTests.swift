import Checks
import Foundation
import Testing

// The fixtures are real logs of slim-bindings-p2p (1.4.1 and 3.3.8) captured with ANSI colours
// kept (see runtime/README.md). Expected numbers come from expected-counts.tsv, made with grep
// on the raw logs when they were captured, and from substring counts here, never from the parser.

enum FixtureError: Error, CustomStringConvertible {
    case missing(String)
    var description: String {
        switch self {
        case .missing(let name): "fixture \(name) is missing from Tests/ChecksTests/Fixtures (re-capture it as runtime/README.md describes)"
        }
    }
}

func fixture(_ name: String) throws -> String {
    guard let base = Bundle.module.resourceURL else { throw FixtureError.missing(name) }
    let url = base.appendingPathComponent("Fixtures").appendingPathComponent(name)
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw FixtureError.missing(name) }
    return text
}

/// Lines of the raw text (colour codes and all) that contain `phrase`.
func count(_ text: String, _ phrase: String) -> Int {
    text.split(separator: "\n").filter { $0.contains(phrase) }.count
}

struct CountsRow: CustomStringConvertible, Sendable {
    var file: String
    var sent: Int, replies: Int, received: Int, sessions: Int, fatal: Int
    var exitCode: Int?
    var isSender: Bool { file.contains("-sender-") }
    var description: String { file }
}

func countsRows() throws -> [CountsRow] {
    try fixture("expected-counts.tsv").split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
        let f = line.split(separator: "\t").map(String.init)
        guard f.count == 7, let s = Int(f[1]), let r = Int(f[2]), let rc = Int(f[3]), let ns = Int(f[4]), let fa = Int(f[5]) else {
            throw FixtureError.missing("expected-counts.tsv (bad row: \(line))")
        }
        return CountsRow(file: f[0], sent: s, replies: r, received: rc, sessions: ns, fatal: fa, exitCode: Int(f[6]))
    }
}

// MARK: every fixture against the grep manifest

@Test func manifestCoversEveryLogFixture() throws {
    let listed = Set(try countsRows().map(\.file))
    guard let base = Bundle.module.resourceURL?.appendingPathComponent("Fixtures") else { throw FixtureError.missing("Fixtures") }
    let files = try FileManager.default.contentsOfDirectory(atPath: base.path).filter { $0.hasPrefix("p2p-") && $0.hasSuffix(".log") }
    #expect(!files.isEmpty)
    #expect(Set(files) == listed)
}

@Test(arguments: try countsRows().filter(\.isSender))
func senderCountsMatchTheManifest(row: CountsRow) throws {
    let text = try fixture(row.file)
    let report = MessageLog.parseSender(text)
    #expect(report.sent == row.sent)
    #expect(report.replies == row.replies)
    #expect((report.fatal != nil) == (row.fatal > 0))
    // In every captured run the sender exited 0 exactly when it went through all iterations.
    #expect(report.finished == (row.exitCode == 0), "exit code \(String(describing: row.exitCode))")
    if row.sent > 0 {
        // The N of the last "i/N" line, read here with a plain split.
        let lastSent = text.split(separator: "\n").last { $0.contains("Sent message ") }
        let total = lastSent.flatMap { $0.split(separator: "/").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        #expect(report.expected == total)
    } else {
        #expect(report.expected == nil)
    }
    #expect(report.allReplied == (row.exitCode == 0 && row.replies == row.sent && row.sent > 0))
}

@Test(arguments: try countsRows().filter { !$0.isSender })
func receiverCountsMatchTheManifest(row: CountsRow) throws {
    let text = try fixture(row.file)
    let report = MessageLog.parseReceiver(text)
    #expect(report.received == row.received)
    #expect(report.sessions == row.sessions)
    #expect(report.listening == text.contains("waiting for new session to be established"))
    #expect(report.connected == text.contains("client connected"))
    #expect((report.fatal != nil) == (row.fatal > 0))
}

// MARK: success runs, both wordings

@Test(arguments: ["1.4.1", "3.3.8"])
func successfulRunsOfBothVersions(version: String) throws {
    let sender = try fixture("p2p-\(version)-sender-ok.log")
    let receiver = try fixture("p2p-\(version)-receiver-ok.log")
    let s = MessageLog.parseSender(sender)
    let r = MessageLog.parseReceiver(receiver)
    #expect(s.sent == count(sender, "Sent message hello - "))
    #expect(s.replies == count(sender, "received (from session "))
    #expect(s.expected == s.sent)
    #expect(s.allReplied)
    #expect(s.connected)
    #expect(s.errors.isEmpty)
    #expect(r.received == count(receiver, "received: hello"))
    #expect(r.received == s.sent)
    #expect(r.listening && r.connected && r.sessions == 1)
    #expect(r.errors.isEmpty)
}

@Test func threeNodeMeshRun() throws {
    let sender = try fixture("p2p-3.3.8-sender-mesh3-ok.log")
    let receiver = try fixture("p2p-3.3.8-receiver-mesh3-ok.log")
    #expect(MessageLog.parseSender(sender).allReplied)
    #expect(MessageLog.parseReceiver(receiver).received == count(receiver, "received: hello"))
}

// MARK: failures

@Test(arguments: ["1.4.1", "3.3.8"])
func noReceiverFoldsToTheSameErrorInBothVersions(version: String) throws {
    let text = try fixture("p2p-\(version)-sender-noreceiver.log")
    let report = MessageLog.parseSender(text)
    #expect(report.sent == 0 && report.replies == 0 && !report.finished && report.connected)
    let fatal = try #require(report.fatal)
    #expect(fatal.hasPrefix("failed to add participant to session: message send retries exhausted for id="))
    #expect(!fatal.contains("Caused by") && !fatal.contains("\\n") && !fatal.contains("message='"))
    // The session id in the folded text is the one the raw log names.
    let id = String(fatal.reversed().prefix { $0.isNumber }.reversed())
    #expect(!id.isEmpty && text.contains("exhausted for id=\(id)"))
}

@Test(arguments: ["1.4.1", "3.3.8"])
func badSecretShowsOnBothSides(version: String) throws {
    let sender = try fixture("p2p-\(version)-sender-badsecret.log")
    let receiver = try fixture("p2p-\(version)-receiver-badsecret.log")
    #expect(MessageLog.parseSender(sender).fatal?.contains("message send retries exhausted") == true)
    let r = MessageLog.parseReceiver(receiver)
    #expect(r.received == 0 && r.listening)
    #expect(r.errors.count == count(receiver, "ERROR"))
    #expect(!r.errors.isEmpty)
    #expect(r.errors.allSatisfy { $0.contains("auth error: token invalid") && !$0.contains("token invalid: token invalid") })
}

@Test(arguments: ["1.4.1", "3.3.8"])
func shortSecretIsFatalBeforeAnySession(version: String) throws {
    let report = MessageLog.parseSender(try fixture("p2p-\(version)-sender-shortsecret.log"))
    #expect(report.fatal == "hmac key is too short")
    #expect(report.sent == 0 && !report.finished)
}

@Test func nodeKilledMidRunIn3_3_8StillFinishesWithTimeouts() throws {
    let text = try fixture("p2p-3.3.8-sender-nodekill.log")
    let report = MessageLog.parseSender(text)
    #expect(report.finished)  // the real process exited 0
    #expect(!report.allReplied)
    let timeouts = report.errors.filter { $0 == "receive timeout waiting for message" }.count
    #expect(timeouts == count(text, "error: message='receive timeout waiting for message'"))
    #expect(timeouts + report.replies == report.sent)
    #expect(report.errors.contains { $0.contains("connection closed") })
}

@Test func nodeKilledMidRunIn1_4_1EndsOnAClosedSession() throws {
    let text = try fixture("p2p-1.4.1-sender-nodekill.log")
    let report = MessageLog.parseSender(text)
    #expect(!report.finished)
    #expect(report.fatal == "Session already closed or dropped")
    #expect(
        report.errors.filter { $0 == "Session already closed or dropped" }.count
            == count(text, "Session already closed or dropped"))
    #expect(report.errors.contains { $0.hasPrefix("participant disconnected: org/ns/alice") })
}

@Test func receiverKilledMidRun() throws {
    let sender = try fixture("p2p-3.3.8-sender-receiverkill.log")
    let receiver = try fixture("p2p-3.3.8-receiver-receiverkill.log")
    let s = MessageLog.parseSender(sender)
    let r = MessageLog.parseReceiver(receiver)
    #expect(r.received == s.replies)
    #expect(s.sent - s.replies == count(sender, "receive timeout"))
}

@Test func senderWithoutANodeOnlyWarns() throws {
    let text = try fixture("p2p-3.3.8-sender-nonode.log")
    let report = MessageLog.parseSender(text)
    #expect(!report.connected && report.sent == 0 && !report.finished && report.fatal == nil)
    #expect(report.warnings.count == count(text, "transient connect error"))
    #expect(!report.warnings.isEmpty)
    #expect(report.warnings.allSatisfy { $0.hasSuffix("tcp connect error: Connection refused (os error 111)") })
}

@Test func receiverKilledBySigtermWithBufferedStdoutLosesItsLines() throws {
    // Captured without PYTHONUNBUFFERED: only the library's own lines survive SIGTERM.
    let text = try fixture("p2p-3.3.8-receiver-buffered-sigterm.log")
    let report = MessageLog.parseReceiver(text)
    #expect(report.connected)
    #expect(!report.listening && report.received == 0)
}

@Test func nodeKilledMidRunReceiverSideWarnsAboutReconnects() throws {
    let text = try fixture("p2p-3.3.8-receiver-nodekill.log")
    let report = MessageLog.parseReceiver(text)
    #expect(report.warnings.count == count(text, "WARN"))
    #expect(report.errors.count == count(text, "ERROR"))
}

// MARK: synthetic edge cases (inputs written here, so their results are known by construction)

@Test func partialRunIsNotFinished() {
    let lines = (1...7).flatMap { i in
        [
            "\u{1B}[1m\u{1B}[96m1234            \u{1B}[0mSent message hi - there - \(i)/10",
            "\u{1B}[1m\u{1B}[96m1234            \u{1B}[0mreceived (from session 9): hi - there from 5"
        ]
    }
    let report = MessageLog.parseSender(lines.joined(separator: "\n"))
    #expect(report.sent == 7 && report.replies == 7 && report.expected == 10 && !report.finished)
}

@Test func lastIterationAwaitingItsReplyIsNotFinished() {
    let text = "a   Sent message x - 1/2\na   received (from session 1): x from b\na   Sent message x - 2/2\n"
    #expect(!MessageLog.parseSender(text).finished)
    #expect(MessageLog.parseSender(text + "a   error: message='receive timeout waiting for message'\n").finished)
    #expect(MessageLog.parseSender(text + "a   received (from session 1): x from b\n").allReplied)
}

@Test func crlfAndTracebacks() {
    let text = "a   Created app\r\na   Sent message x - 1/1\r\nTraceback (most recent call last):\r\n  File \"x.py\", line 1\r\nRuntimeError: boom\r\n"
    let report = MessageLog.parseSender(text)
    #expect(report.sent == 1)
    #expect(report.fatal == "RuntimeError: boom")
    #expect(!report.finished)
}

@Test func stripANSIHandlesCSIOSCAndTwoByteEscapes() {
    #expect(MessageLog.stripANSI("\u{1B}[1m\u{1B}[96mid\u{1B}[0m text") == "id text")
    #expect(MessageLog.stripANSI("a\u{1B}]0;title\u{07}b") == "ab")
    #expect(MessageLog.stripANSI("a\u{1B}]8;;http://x\u{1B}\\b") == "ab")
    #expect(MessageLog.stripANSI("a\u{1B}7b\u{1B}[2;31mc") == "abc")
    #expect(MessageLog.stripANSI("plain") == "plain")
    #expect(MessageLog.stripANSI("cut\u{1B}[") == "cut")
}

@Test func tracingCausesFoldIntoOneLine() {
    let text = """
        2026-01-01T00:00:00.000000Z ERROR slim span{a=1}: slim_x::y: 12: it broke error=outer
        Caused by:
          -> outer
          -> inner
        2026-01-01T00:00:00.500000Z ERROR slim slim_x::y: 12: again error=outer
        Caused by:
          -> inner kind=x
        2026-01-01T00:00:01.000000Z  WARN slim slim_x::y: 13: careful
        """
    let report = MessageLog.parseReceiver(text)
    #expect(report.errors == ["it broke error=outer: inner", "again error=outer: inner kind=x"])
    #expect(report.warnings == ["careful"])
}
