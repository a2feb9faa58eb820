import XCTest
@testable import QuiesceKVCore

/// The ring behind a connection's replies: bytes come out in the order they went in, across the
/// ring's wrap and its growth, and its size follows what is queued at once.
final class ReplyQueueTests: XCTestCase {
    func testBytesComeOutInOrderAcrossWrapsAndGrowth() {
        var queue = ReplyQueue()
        var expected: [UInt8] = []
        var received: [UInt8] = []
        var next: UInt8 = 0
        var state: UInt64 = 0x5EED
        func random(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var chunk = [UInt8](repeating: 0, count: 20_000)
        var mostQueued = 0
        for round in 0..<4000 {
            // Appends outpace takes for a while (the ring grows while wrapped), then fall behind.
            let appendSize = round < 2000 ? random(3000) : random(1500)
            let bytes = (0..<appendSize).map { _ -> UInt8 in next &+= 1; return next }
            queue.append(bytes)
            expected += bytes
            mostQueued = Swift.max(mostQueued, queue.count)
            XCTAssertLessThanOrEqual(queue.capacity, Swift.max(4096, 2 * mostQueued), "the ring outgrew what was queued")
            let want = random(2500)
            let n = chunk.withUnsafeMutableBytes { queue.take(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            received += chunk[0..<n]
            XCTAssertEqual(queue.count, expected.count - received.count)
        }
        while queue.count > 0 {
            let n = chunk.withUnsafeMutableBytes { queue.take(into: $0) }
            received += chunk[0..<n]
        }
        XCTAssertEqual(received, expected)
        XCTAssertGreaterThan(mostQueued, 100_000, "the queue grew well past its first ring")
    }

    func testEmptyingReleasesAHugeRingOnly() {
        var queue = ReplyQueue()
        queue.append([UInt8](repeating: 1, count: 5000))
        queue.removeAll(keepingCapacityUpTo: 1 << 20)
        XCTAssertEqual(queue.capacity, 8192)
        queue.append([UInt8](repeating: 1, count: 2 << 20))
        queue.removeAll(keepingCapacityUpTo: 1 << 20)
        XCTAssertEqual(queue.count, 0)
        XCTAssertEqual(queue.capacity, 0)
    }
}
