import Foundation
import Testing

@testable import KubeTarget

/// The queue between verify's watches and its judge: what arrived while the consumer was busy
/// comes as one batch, in order; the end and failures reach the consumer; cancelling a waiting
/// consumer ends its wait (verify --wait's --timeout depends on it).
@Suite struct EventBatchesTests {
    @Test func eventsPushedWhileBusyArriveAsOneBatchInOrder() async throws {
        let q = EventBatches<Int>()
        for i in 0..<5 { q.push(i) }
        #expect(try await q.next() == [0, 1, 2, 3, 4])
        let consumer = Task { try await q.next() }
        try await Task.sleep(nanoseconds: 50_000_000)
        q.push(9)
        #expect(try await consumer.value == [9])
        q.push(10)
        q.finish()
        #expect(try await q.next() == [10])
        #expect(try await q.next() == nil)
        q.push(11)
        #expect(try await q.next() == nil)
    }

    @Test func aFailureReachesTheConsumerAfterWhatCameBefore() async throws {
        struct Boom: Error {}
        let q = EventBatches<String>()
        q.push("a")
        q.finish(throwing: Boom())
        #expect(try await q.next() == ["a"])
        await #expect(throws: Boom.self) { try await q.next() }
    }

    @Test func cancellingAWaitingConsumerEndsTheWait() async throws {
        let q = EventBatches<Int>()
        let consumer = Task { try await q.next() }
        try await Task.sleep(nanoseconds: 50_000_000)
        consumer.cancel()
        await #expect(throws: CancellationError.self) { try await consumer.value }
    }
}
