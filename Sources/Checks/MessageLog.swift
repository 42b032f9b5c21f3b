import Foundation

/// Counts what the slim-bindings p2p example logged, so `slimctl test` can say "7/10 replies"
/// instead of asking the user to read logs. Pure: text in, counts out. ANSI colour codes are
/// stripped first; lines carry a coloured identity prefix before the message.
public struct SenderReport: Sendable, Hashable, Codable {
    public var sent: Int
    public var replies: Int
    /// The N of "Sent message … - i/N", when the sender printed it.
    public var expected: Int?
    public var errors: [String]
    /// The last message number reached the expected count.
    public var finished: Bool
}

public struct ReceiverReport: Sendable, Hashable, Codable {
    public var received: Int
    public var errors: [String]
}

public enum MessageLog {
    public static func parseSender(_ text: String) -> SenderReport {
        var sent = 0, replies = 0
        var expected: Int?
        var lastIndex = 0
        var errors: [String] = []
        for raw in text.split(separator: "\n") {
            let line = stripANSI(String(raw))
            if let r = line.range(of: "Sent message ") {
                sent += 1
                // "... - 3/10"
                if let dash = line[r.upperBound...].range(of: " - ", options: .backwards) {
                    let parts = line[dash.upperBound...].split(separator: "/")
                    if parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)), let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) {
                        lastIndex = max(lastIndex, i)
                        expected = n
                    }
                }
            } else if line.contains("received (from session") || line.range(of: #"received .*: .* from "#, options: .regularExpression) != nil {
                replies += 1
            } else if isError(line) {
                errors.append(message(line))
            }
        }
        return SenderReport(sent: sent, replies: replies, expected: expected, errors: errors,
                            finished: expected.map { lastIndex >= $0 } ?? false)
    }

    public static func parseReceiver(_ text: String) -> ReceiverReport {
        var received = 0
        var errors: [String] = []
        for raw in text.split(separator: "\n") {
            let line = stripANSI(String(raw))
            if line.range(of: #"(^|\s)received: "#, options: .regularExpression) != nil {
                received += 1
            } else if isError(line) {
                errors.append(message(line))
            }
        }
        return ReceiverReport(received: received, errors: errors)
    }

    static func isError(_ line: String) -> Bool {
        line.contains(" ERROR ") || line.hasPrefix("Error") || line.contains("Traceback") || line.contains("exhausted")
            || line.contains("Exception")
    }

    static func message(_ line: String) -> String {
        line.trimmingCharacters(in: .whitespaces)
    }

    public static func stripANSI(_ s: String) -> String {
        guard s.contains("\u{1B}") else { return s }
        var out = ""
        var inEscape = false
        for ch in s.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(ch.value) && ch != "[" { inEscape = false }
                continue
            }
            if ch == "\u{1B}" { inEscape = true; continue }
            out.unicodeScalars.append(ch)
        }
        return out
    }
}
