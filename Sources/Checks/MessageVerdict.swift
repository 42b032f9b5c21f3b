/// One receiver's log as a target collected it, with what the target itself noticed about it
/// (stopped, restarted) — things the log cannot say.
public struct ReceiverLog: Sendable {
    public var pod: String
    public var node: String
    public var log: String
    public var note: String?

    public init(pod: String, node: String, log: String, note: String? = nil) {
        self.pod = pod
        self.node = node
        self.log = log
        self.note = note
    }
}

/// The verdict of `slimctl test`, judged the same way on every target so the local and
/// Kubernetes runs print the same counts and the same wording for the same failure.
public struct MessageVerdict: Sendable {
    public struct Receiver: Sendable, Equatable {
        public var pod: String
        public var node: String
        public var received: Int
    }

    public var expected: Int
    public var sender: SenderReport
    public var receivers: [Receiver]
    /// What went wrong, each naming what did not happen ("7/10 replies", "sender never
    /// connected to a receiver (last lines: …)"); empty when the test passed.
    public var problems: [String]
    public var passed: Bool { problems.isEmpty }

    /// `senderTimeout`: the seconds the sender was given, when it had not ended by then.
    /// `senderStarted: false`: the sender's program never ran (a note says why), so its empty
    /// log says nothing about connecting.
    public static func judge(
        expected: Int, senderLog: String, receivers: [ReceiverLog], senderTimeout: Int? = nil,
        senderStarted: Bool = true, notes: [String] = []
    ) -> MessageVerdict {
        let sr = MessageLog.parseSender(senderLog)
        var problems: [String] = []
        if let senderTimeout {
            problems.append("the sender did not finish within \(senderTimeout)s (\(sr.replies)/\(expected) replies so far)")
        }
        let last = lastLines(senderLog)
        let tail = last.isEmpty ? "its log is empty" : "last lines: " + last.joined(separator: " | ")
        if !senderStarted {
            // The notes say why it never ran.
        } else if sr.sent == 0 {
            // "client connected" is the app reaching its own SLIM node; a receiver is only
            // reached once a session exists, which the first "Sent message" proves.
            problems.append(sr.connected ? "sender never connected to a receiver (\(tail))" : "sender never connected to its SLIM node (\(tail))")
        } else if sr.replies < expected {
            problems.append("\(sr.replies)/\(expected) replies")
        }
        let counted = receivers.map { Receiver(pod: $0.pod, node: $0.node, received: MessageLog.parseReceiver($0.log).received) }
        let received = counted.map(\.received).reduce(0, +)
        if received < expected {
            problems.append(receivers.isEmpty ? "no receiver to count messages on" : "receivers logged \(received)/\(expected) messages")
        }
        problems += receivers.compactMap(\.note)
        problems += notes
        problems += sr.errors.prefix(3).map { "sender error: \($0)" }
        return MessageVerdict(expected: expected, sender: sr, receivers: counted, problems: problems)
    }

    /// The last non-empty lines of a log, colours removed: what a failure message quotes.
    public static func lastLines(_ text: String, count: Int = 3) -> [String] {
        // Runs of blanks become one: the example pads its instance ids to 45 columns.
        let lines = text.split(whereSeparator: \.isNewline).map {
            MessageLog.stripANSI(String($0)).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        return Array(lines.filter { !$0.isEmpty }.suffix(count))
    }
}
