/// One meaningful line of a p2p example log. The example prints its own lines as
/// "<instance id padded to 45> <text>" and the SLIM library adds tracing records
/// "<timestamp> <LEVEL> <spans>: <target>: <line>: <message>", whose causes follow on
/// "Caused by:" / "  -> …" lines. The wording is the same in 1.4.1 and 3.3.8 (checked on
/// real logs); only the instance ids differ (numbers vs UUIDs).
enum MessageLogEvent: Equatable {
    case connected
    case sent(index: Int, of: Int)
    case reply
    case received
    case newSession
    case listening
    case messageError(String)
    case record(level: String, message: String)
    case fatal(String)
}

/// Turns text into events; stateful only for multi-line records (causes, tracebacks).
struct MessageLogScanner {
    private(set) var events: [MessageLogEvent] = []
    private var inTraceback = false

    static func scan(_ text: String) -> [MessageLogEvent] {
        var scanner = MessageLogScanner()
        // Character.isNewline, not "\n": in a Swift String "\r\n" is ONE Character.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            scanner.feed(MessageLog.stripANSI(String(raw)))
        }
        return scanner.events
    }

    mutating func feed(_ line: String) {
        if inTraceback {
            // The exception line is the first unindented one after "Traceback …:".
            if let first = line.first, first != " ", first != "\t" {
                inTraceback = false
                events.append(.fatal(line))
            }
            return
        }
        if line.hasPrefix("Traceback (most recent call last)") { inTraceback = true; return }
        if let cause = Self.cause(of: line) { appendCause(cause); return }
        if let record = line.wholeMatch(of: /\d{4}-\d\d-\d\dT\S+\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)/) {
            let body = String(record.output.2)
            let message =
                body.firstMatch(of: /[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z0-9_]+)+: \d+: (.*)/)
                .map { String($0.output.1) } ?? body
            if record.output.1 == "INFO", message.hasPrefix("client connected") { events.append(.connected); return }
            events.append(.record(level: String(record.output.1), message: message))
            return
        }
        if let fatal = line.wholeMatch(of: /(?:Error|Configuration error): (.*)/) {
            events.append(.fatal(Self.tidy(String(fatal.output.1)))); return
        }
        // The example's own lines: "<instance id> <text>".
        guard let own = line.wholeMatch(of: /\S+\s+(.*)/) else { return }
        let text = own.output.1
        if let sent = text.wholeMatch(of: /Sent message .* - (\d+)\/(\d+)\s*/),
            let index = Int(sent.output.1), let total = Int(sent.output.2)
        {
            events.append(.sent(index: index, of: total))
        } else if text.wholeMatch(of: /received \(from session \S+\): .*/) != nil {
            events.append(.reply)
        } else if text.hasPrefix("received: ") {
            events.append(.received)
        } else if text.hasPrefix("error: ") {
            events.append(.messageError(Self.tidy(String(text.dropFirst("error: ".count)))))
        } else if text.wholeMatch(of: /new session \S+\s*/) != nil {
            events.append(.newSession)
        } else if text.hasPrefix("waiting for new session") {
            events.append(.listening)
        }
    }

    /// "Caused by:" opens a cause list; "  -> x" is one cause.
    private static func cause(of line: String) -> String?? {
        if line == "Caused by:" { return .some(nil) }
        if let match = line.wholeMatch(of: /\s+-> (.*)/) { return .some(String(match.output.1)) }
        return nil
    }

    private mutating func appendCause(_ cause: String?) {
        guard let cause, case .record(let level, let message)? = events.last else { return }
        events[events.count - 1] = .record(level: level, message: Self.fold(message, cause))
    }

    /// "a" + "b" → "a: b", skipping a cause the text already ends with (the library repeats the
    /// last cause, and tracing then appends the record's other fields to it: "token invalid
    /// msg_type=…" after "error=auth error: token invalid" adds only " msg_type=…").
    static func fold(_ text: String, _ cause: String) -> String {
        if text.hasSuffix(cause) { return text }
        var repeated: String.Index?
        for index in cause.indices where cause[index] == " " && text.hasSuffix(cause[..<index]) {
            repeated = index
        }
        if let repeated { return text + cause[repeated...] }
        return "\(text): \(cause)"
    }

    /// The example prints SlimError reprs: `message='a\nCaused by:\n  -> b'` with a literal
    /// backslash-n. Reduce that to "a: b" so 1.4.1 and 3.3.8 read the same.
    static func tidy(_ raw: String) -> String {
        var text = raw
        if let quoted = text.wholeMatch(of: /message=(['"])(.*)\1/) { text = String(quoted.output.2) }
        // Spelled out step by step: as one chain this expression takes the type checker too long.
        var parts: [String] = []
        for chunk in text.split(separator: "\\n") {
            for line in chunk.split(separator: "\n") {
                let trimmed = String(line.trimmingPrefix(/\s*(?:-> )?/))
                if !trimmed.isEmpty && trimmed != "Caused by:" { parts.append(trimmed) }
            }
        }
        guard var folded = parts.first else { return text }
        for part in parts.dropFirst() { folded = fold(folded, part) }
        return folded
    }
}
