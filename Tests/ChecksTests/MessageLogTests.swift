import Checks
import Foundation
import Testing

func fixture(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
        throw CocoaError(.fileNoSuchFile)
    }
    return try String(contentsOf: url, encoding: .utf8)
}

/// Counted independently of the parser: lines that contain the phrase, colour codes and all.
func count(_ text: String, _ phrase: String) -> Int {
    text.split(separator: "\n").filter { $0.contains(phrase) }.count
}

@Test func realSenderLogOf3_3_8() throws {
    let text = try fixture("p2p-3.3.8-sender-ok.log")
    let r = MessageLog.parseSender(text)
    #expect(r.sent == count(text, "Sent message"))
    #expect(r.replies == count(text, "received (from session"))
    #expect(r.expected == 10)
    #expect(r.finished == text.contains("10/10"))
    #expect(r.sent > 0)
}

@Test func realReceiverLogOf3_3_8() throws {
    let text = try fixture("p2p-3.3.8-receiver-ok.log")
    let r = MessageLog.parseReceiver(text)
    #expect(r.received == count(text, "received: "))
    #expect(r.received > 0)
}

@Test func partialRunIsNotFinished() {
    let text = (1...7).map { "\u{1B}[1mabc\u{1B}[0mSent message hello - \($0)/10\nabc received (from session 1): hello from x" }.joined(separator: "\n")
        + "\nERROR message send retries exhausted"
    let r = MessageLog.parseSender(text)
    #expect(r.sent == 7 && r.replies == 7 && r.expected == 10 && !r.finished)
    #expect(r.errors.count == 1)
}

@Test(arguments: ["1.4.1", "3.3.8"]) func successLogsOfBothVersions(version: String) throws {
    let s = try fixture("p2p-\(version)-sender-ok.log")
    let r = try fixture("p2p-\(version)-receiver-ok.log")
    let sr = MessageLog.parseSender(s)
    #expect(sr.sent == count(s, "Sent message") && sr.sent > 0)
    #expect(sr.replies == count(s, "received (from session"))
    #expect(MessageLog.parseReceiver(r).received == count(r, "received: "))
}

@Test(arguments: ["1.4.1", "3.3.8"]) func noReceiverMeansNoReplies(version: String) throws {
    let s = try fixture("p2p-\(version)-sender-noreceiver.log")
    let sr = MessageLog.parseSender(s)
    #expect(sr.replies == 0)
    #expect(!sr.finished || sr.replies < (sr.expected ?? 10))
}
