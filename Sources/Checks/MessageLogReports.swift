/// What a sender (`slim-bindings-p2p --message …`) logged, so `slimctl test` can say
/// "7/10 replies" and why, instead of asking the user to read logs by eye.
public struct SenderReport: Sendable, Hashable, Codable {
    /// "Sent message <m> - i/N" lines.
    public var sent: Int
    /// "received (from session S): <reply>" lines: replies that came back.
    public var replies: Int
    /// The N of "i/N"; nil when the sender never got as far as sending.
    public var expected: Int?
    /// Errors in the order logged: per-message errors ("receive timeout waiting for message"),
    /// ERROR records of the SLIM library, and the fatal error if any. Causes are folded in
    /// ("a: b: c") so each entry reads on one line.
    public var errors: [String]
    /// WARN records of the SLIM library (e.g. "transient connect error, retrying …"); a sender
    /// that cannot reach its node only ever logs these, so they explain a silent hang.
    public var warnings: [String]
    /// The error that ended the process ("Error: …", "Configuration error: …" or a traceback).
    public var fatal: String?
    /// The app connected to its SLIM node ("client connected" record).
    public var connected: Bool
    /// The sender went through every iteration, each one concluded (reply or error), and it
    /// did not die on a fatal error. In the captured runs this is exactly "exited with status 0".
    /// A finished sender may still have missed replies: compare `replies` with `expected`.
    public var finished: Bool

    public init(
        sent: Int = 0, replies: Int = 0, expected: Int? = nil, errors: [String] = [], warnings: [String] = [],
        fatal: String? = nil, connected: Bool = false, finished: Bool = false
    ) {
        self.sent = sent
        self.replies = replies
        self.expected = expected
        self.errors = errors
        self.warnings = warnings
        self.fatal = fatal
        self.connected = connected
        self.finished = finished
    }

    /// The seeds' success criterion: every message sent and every reply back.
    public var allReplied: Bool {
        guard let expected, expected > 0 else { return false }
        return finished && sent == expected && replies == expected
    }
}

/// What a receiver (`slim-bindings-p2p` without `--message`) logged.
public struct ReceiverReport: Sendable, Hashable, Codable {
    /// "received: <m>" lines, one per message the receiver got (and echoed).
    public var received: Int
    /// Errors in the order logged (ERROR records such as "identity verification failed …",
    /// and the fatal error if any), causes folded in.
    public var errors: [String]
    public var warnings: [String]
    public var fatal: String?
    public var connected: Bool
    /// The receiver subscribed and waits for sessions ("waiting for new session to be
    /// established"): from this line on a sender can reach it, so it is the readiness signal.
    public var listening: Bool
    /// "new session N" lines: sessions opened towards this receiver.
    public var sessions: Int

    public init(
        received: Int = 0, errors: [String] = [], warnings: [String] = [], fatal: String? = nil,
        connected: Bool = false, listening: Bool = false, sessions: Int = 0
    ) {
        self.received = received
        self.errors = errors
        self.warnings = warnings
        self.fatal = fatal
        self.connected = connected
        self.listening = listening
        self.sessions = sessions
    }
}
