import Foundation

/// Counts what the slim-bindings p2p example (the seeds' test apps alice and bob) logged,
/// so a message test is judged by counts instead of by eye. Pure: text in, report out; the
/// same parser serves local processes and `kubectl logs`.
///
/// Exit codes cannot replace this: in real runs a sender whose node or receiver died
/// mid-run still exits 0 after 10 iterations with only 3 replies (3.3.8).
public enum MessageLog {
    public static func parseSender(_ text: String) -> SenderReport {
        var report = SenderReport()
        var lastIndex = 0
        var awaitingOutcome = false
        for event in MessageLogScanner.scan(text) {
            switch event {
            case .connected: report.connected = true
            case .sent(let index, let total):
                report.sent += 1
                report.expected = total
                lastIndex = index
                awaitingOutcome = true
            case .reply:
                report.replies += 1
                awaitingOutcome = false
            case .messageError(let message):
                report.errors.append(message)
                awaitingOutcome = false
            case .record(let level, let message): record(level, message, into: &report.errors, &report.warnings)
            case .fatal(let message):
                report.fatal = message
                report.errors.append(message)
            case .received, .newSession, .listening: break
            }
        }
        if let expected = report.expected {
            report.finished = report.fatal == nil && lastIndex == expected && !awaitingOutcome
        }
        return report
    }

    public static func parseReceiver(_ text: String) -> ReceiverReport {
        var report = ReceiverReport()
        for event in MessageLogScanner.scan(text) {
            switch event {
            case .connected: report.connected = true
            case .received: report.received += 1
            case .newSession: report.sessions += 1
            case .listening: report.listening = true
            case .messageError(let message): report.errors.append(message)
            case .record(let level, let message): record(level, message, into: &report.errors, &report.warnings)
            case .fatal(let message):
                report.fatal = message
                report.errors.append(message)
            case .sent, .reply: break
            }
        }
        return report
    }

    /// Removes ANSI escape sequences (CSI such as colours, OSC, and two-byte escapes): the
    /// example and the SLIM library colour their output even when it goes to a file.
    public static func stripANSI(_ s: String) -> String {
        // ESC is ASCII, so a byte search finds it; most lines have none (this runs per line of
        // `slimctl logs` piped anywhere).
        var plain = s
        let hasEscape = plain.withUTF8 { b in b.baseAddress.map { memchr($0, 0x1B, b.count) != nil } ?? false }
        guard hasEscape else { return s }
        var out = String.UnicodeScalarView()
        var scalars = s.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\u{1B}" else { out.append(scalar); continue }
            switch scalars.next() {
            case "[":  // CSI: parameters and intermediates, then one final byte 0x40-0x7E.
                while let next = scalars.next(), !(0x40...0x7E).contains(next.value) {}
            case "]":  // OSC: ends with BEL or ESC \.
                while let next = scalars.next(), next != "\u{07}" {
                    if next == "\u{1B}" { _ = scalars.next(); break }
                }
            default: break  // two-byte escape: both bytes dropped.
            }
        }
        return String(out)
    }

    private static func record(_ level: String, _ message: String, into errors: inout [String], _ warnings: inout [String]) {
        switch level {
        case "ERROR": errors.append(message)
        case "WARN": warnings.append(message)
        default: break
        }
    }
}
