import Foundation

/// What the client's watches and log follows return: an async sequence whose producer may run
/// at most `window` elements ahead of its consumer. An `AsyncThrowingStream` alone buffers
/// without bound, so a consumer slower than the server (a terminal, a pipe) would grow memory
/// with every line; here the producer waits, stops reading its transfer, and libcurl pauses the
/// network stream. Ending the iteration early still ends the producer (the stream's
/// termination handler cancels it).
public struct KubeStream<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = Error
    let base: AsyncThrowingStream<Element, Error>
    let credit: Credit

    /// `build` runs the producer; it must `await send(element)` for each element.
    init(window: Int, _ build: @escaping @Sendable (Sender) -> Void) {
        let credit = Credit(window: window)
        self.credit = credit
        base = AsyncThrowingStream { continuation in
            build(Sender(continuation: continuation, credit: credit))
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Element, Error>.AsyncIterator
        let credit: Credit
        public mutating func next() async throws -> Element? {
            let e = try await base.next()
            if e != nil { credit.release() }
            return e
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), credit: credit)
    }

    /// The producer's side.
    struct Sender: Sendable {
        let continuation: AsyncThrowingStream<Element, Error>.Continuation
        let credit: Credit

        /// Waits while `window` elements are unconsumed; throws CancellationError once the
        /// consumer has gone.
        func send(_ element: Element) async throws {
            try await credit.acquire()
            continuation.yield(element)
        }
        func finish(throwing error: Error? = nil) { continuation.finish(throwing: error) }
        var onTermination: (@Sendable (AsyncThrowingStream<Element, Error>.Continuation.Termination) -> Void)? {
            get { continuation.onTermination }
            nonmutating set { continuation.onTermination = newValue }
        }
    }
}

/// A counting semaphore for one producer, cancellation-aware.
final class Credit: @unchecked Sendable {
    private let lock = NSLock()
    private var available: Int
    private var waiter: CheckedContinuation<Void, Error>?
    private var cancelled = false

    init(window: Int) { available = max(1, window) }

    /// Takes a unit without suspending when one is free.
    private func tryTake() -> Bool {
        lock.withLock {
            guard available > 0, !cancelled else { return false }
            available -= 1
            return true
        }
    }

    func acquire() async throws {
        if tryTake() { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                lock.lock()
                if cancelled || Task.isCancelled {
                    lock.unlock()
                    c.resume(throwing: CancellationError())
                } else if available > 0 {
                    available -= 1
                    lock.unlock()
                    c.resume()
                } else {
                    waiter = c
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            cancelled = true
            let w = waiter
            waiter = nil
            lock.unlock()
            w?.resume(throwing: CancellationError())
        }
    }

    func release() {
        lock.lock()
        if let w = waiter {
            waiter = nil
            lock.unlock()
            w.resume()
        } else {
            available += 1
            lock.unlock()
        }
    }
}
