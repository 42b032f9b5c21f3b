import Foundation

/// Where every container's tail, the pod watch and the hub meet: one FIFO of `LogEvent`s with
/// many producers and one reader (stern's merge channel). It is bounded, because that is what
/// keeps `logs -f` bounded end to end: the reader is the writer to stdout, and when stdout stops
/// (Ctrl-Z, a pager that is not reading, a full pipe) the backlog reaches `limit`, every
/// container's tail waits in `send`, stops pulling from its `KubeStream`, and libcurl pauses
/// the transfers. An unbounded stream here would undo all of that and grow with the log.
///
/// Order is the order in which events were handed in, whatever their kind: a producer's events
/// arrive in the order it sent them, so a container's lines, its `restarted` and its warnings
/// stay in order. `send` enqueues first and then waits while the backlog is over the limit, so
/// no event is held outside the queue and an event that does not wait (`yield`) can never
/// overtake one that does. The backlog therefore stays under `limit` plus one batch per
/// producer.
final class LogMerge: @unchecked Sendable {
    /// Text bytes (plus a small cost per event) the reader may be behind before senders wait.
    let limit: Int
    private let lock = NSLock()
    private var queue: [LogEvent] = []
    private var head = 0
    private var backlog = 0
    private var finished = false
    private var cancelled = false
    private var reader: CheckedContinuation<LogEvent?, Never>?
    private var senders: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextSender = 0
    private var onCancel: (@Sendable () -> Void)?

    init(limit: Int) { self.limit = max(1, limit) }

    /// What the backlog is charged for one event.
    static func weight(_ e: LogEvent) -> Int {
        if case .lines(_, let batch) = e { return batch.reduce(batch.count * 16) { $0 + $1.text.utf8.count } }
        return 64
    }

    /// Unread bytes now (for tests).
    var pending: Int { lock.withLock { backlog } }

    /// Runs when the reader goes away (its task is cancelled or it stops iterating): the
    /// producers are cancelled through it. Set once, before reading.
    func onTermination(_ f: @escaping @Sendable () -> Void) {
        lock.lock()
        if cancelled { lock.unlock(); f(); return }
        onCancel = f
        lock.unlock()
    }

    /// Hands in an event and waits while the reader is more than `limit` behind. Returns at
    /// once when the reader has gone or the calling task is cancelled (the event is then
    /// dropped or already queued; either way nobody waits for it).
    func send(_ e: LogEvent) async {
        guard enqueue(e) else { return }
        let id: Int = lock.withLock {
            nextSender += 1; return nextSender
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if backlog <= limit || cancelled || Task.isCancelled {
                    lock.unlock()
                    c.resume()
                } else {
                    senders[id] = c
                    lock.unlock()
                }
            }
        } onCancel: {
            let c = lock.withLock { senders.removeValue(forKey: id) }
            c?.resume()
        }
    }

    /// Hands in an event without waiting: for the few that are not the log itself (targets,
    /// deletions, warnings, the end), which must not hold the hub up. They are small and rare,
    /// and they still queue behind every line handed in before them.
    func yield(_ e: LogEvent) { _ = enqueue(e) }

    /// Queues `e`; true when the reader is behind by more than the limit now.
    private func enqueue(_ e: LogEvent) -> Bool {
        lock.lock()
        guard !finished, !cancelled else { lock.unlock(); return false }
        if let r = reader {
            reader = nil
            lock.unlock()
            r.resume(returning: e)
            return false
        }
        queue.append(e)
        backlog += Self.weight(e)
        let over = backlog > limit
        lock.unlock()
        return over
    }

    /// No more events: the reader gets what is queued, then the end.
    func finish() {
        lock.lock()
        finished = true
        let r = reader
        reader = nil
        lock.unlock()
        r?.resume(returning: nil)
    }

    /// The reader has gone: drop what is queued, release every sender, stop the producers.
    func cancel() {
        lock.lock()
        if cancelled { lock.unlock(); return }
        cancelled = true
        queue = []; head = 0; backlog = 0
        let waiting = senders.values
        senders = [:]
        let r = reader
        reader = nil
        let f = onCancel
        onCancel = nil
        lock.unlock()
        for s in waiting { s.resume() }
        r?.resume(returning: nil)
        f?()
    }

    func next() async -> LogEvent? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<LogEvent?, Never>) in
                lock.lock()
                if head < queue.count {
                    let e = queue[head]
                    head += 1
                    backlog -= Self.weight(e)
                    if head >= 1024 && head * 2 >= queue.count { queue.removeFirst(head); head = 0 }
                    // Every waiting sender may add its next batch once the reader is within the
                    // limit; each adds at most one before waiting again.
                    var wake: [CheckedContinuation<Void, Never>] = []
                    if backlog <= limit && !senders.isEmpty { wake = Array(senders.values); senders = [:] }
                    lock.unlock()
                    for s in wake { s.resume() }
                    c.resume(returning: e)
                } else if finished || cancelled || Task.isCancelled {
                    lock.unlock()
                    c.resume(returning: nil)
                } else {
                    reader = c
                    lock.unlock()
                }
            }
        } onCancel: {
            cancel()
        }
    }

}

/// The reader's side of a `LogMerge`: what `LogTail.events()` returns. When the sequence and
/// every iterator made from it are gone, nobody can read again and the producers are stopped,
/// as `AsyncStream` does on termination.
public struct LogEvents: AsyncSequence, Sendable {
    public typealias Element = LogEvent
    public typealias Failure = Never
    let reading: Reading

    init(_ merge: LogMerge) { reading = Reading(merge) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let reading: Reading
        public mutating func next() async -> LogEvent? { await reading.merge.next() }
        public mutating func next(isolation actor: isolated (any Actor)?) async -> LogEvent? { await reading.merge.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reading: reading) }

    final class Reading: Sendable {
        let merge: LogMerge
        init(_ m: LogMerge) { merge = m }
        deinit { merge.cancel() }
    }
}
