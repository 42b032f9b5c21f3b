/// What a multi-pod log tail reports: the containers it names and the events it delivers, in
/// one order for the reader. Kept apart from the machinery so printers (text, JSON) depend on
/// the vocabulary only.

/// One container's log as the output names it.
public struct LogTarget: Sendable, Hashable {
    public var namespace: String
    public var pod: String
    public var container: String
    public var node: String
    public init(namespace: String, pod: String, container: String, node: String) {
        self.namespace = namespace; self.pod = pod; self.container = container; self.node = node
    }
}

/// A log line's text and its kubelet timestamp (nil when the line carried none).
public struct LogText: Sendable, Hashable {
    public var text: String
    public var time: String?
    public init(text: String, time: String?) { self.text = text; self.time = time }
}

/// What the follower reports, in arrival order.
public enum LogEvent: Sendable {
    /// Lines of one container, as many as arrived together (one chunk from the server).
    case lines(LogTarget, [LogText])
    /// The containers being shown changed (pods came or went): printers realign on it.
    case targets([LogTarget])
    /// A followed container restarted; lines after this belong to the new instance.
    case restarted(LogTarget, restartCount: Int)
    case podDeleted(namespace: String, pod: String, node: String)
    /// Something worth saying that does not stop the others (a container that cannot start).
    case warning(String)
    /// The tail cannot go on (the pods cannot be listed or watched); the stream ends after it.
    case failed(String)
}
