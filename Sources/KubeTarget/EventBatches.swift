import Foundation

/// Events from many watches, handed to one consumer in batches: whatever arrived while the
/// consumer was busy is taken at once, so it is applied together and judged once. Before, every
/// event was judged (and its progress printed) on its own; the events that make a DaemonSet
/// ready arrive together, and `verify --wait` spent its time judging states already overtaken.
final class EventBatches<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []
    private var finished = false
    private var failure: Error?
    private var waiter: CheckedContinuation<Void, Never>?

    func push(_ e: Element) {
        let w: CheckedContinuation<Void, Never>? = lock.withLock {
            guard !finished else { return nil }
            items.append(e)
            defer { waiter = nil }
            return waiter
        }
        w?.resume()
    }

    func finish(throwing error: Error? = nil) {
        let w: CheckedContinuation<Void, Never>? = lock.withLock {
            if !finished { finished = true; failure = error }
            defer { waiter = nil }
            return waiter
        }
        w?.resume()
    }

    private enum Take { case batch([Element]), end(Error?), empty }

    private func take() -> Take {
        lock.withLock {
            if !items.isEmpty {
                defer { items.removeAll(keepingCapacity: true) }
                return .batch(items)
            }
            return finished ? .end(failure) : .empty
        }
    }

    /// The next batch (never empty), nil at the end; throws the producers' failure, or
    /// CancellationError when the consuming task is cancelled while waiting.
    func next() async throws -> [Element]? {
        while true {
            switch take() {
            case .batch(let b): return b
            case .end(let e?): throw e
            case .end(nil): return nil
            case .empty: break
            }
            try Task.checkCancellation()
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let ready: Bool = lock.withLock {
                        if !items.isEmpty || finished { return true }
                        waiter = c
                        return false
                    }
                    if ready { c.resume() }
                }
            } onCancel: {
                let w: CheckedContinuation<Void, Never>? = lock.withLock {
                    defer { waiter = nil }; return waiter
                }
                w?.resume()
            }
        }
    }
}
