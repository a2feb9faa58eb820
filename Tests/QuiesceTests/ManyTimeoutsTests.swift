import XCTest
import Glibc
@testable import Quiesce

/// Thousands of ring timeouts at once, half expiring and half cancelled.
final class ManyTimeoutsTests: XCTestCase {
    func testThousandsOfTimeoutsExpireOrAreCancelled() throws {
        let executor = try Executor(entries: 128)
        let n = 3000
        let short = (0..<n).map { i in OpBox(IO.timeout(nanoseconds: UInt64(1_000_000 + (i % 7) * 100_000))) }
        let long = (0..<n).map { _ in OpBox(IO.timeout(nanoseconds: 120_000_000_000)) }
        for box in short { pollOnce(&box.op!, on: executor) }
        for box in long { pollOnce(&box.op!, on: executor) }
        XCTAssertEqual(executor.driver.operationsInFlight + executor.driver.backlogCount, 2 * n)

        var expired = 0
        for box in short {
            if value(try drive(&box.op!, on: executor)) != nil { expired += 1 }
        }
        XCTAssertEqual(expired, n)

        let target = CountingWakeTarget()
        var cancelled = 0
        var pending = long
        var turns = 0
        while !pending.isEmpty {
            var cx = Context(waker: Waker(target), executor: executor)
            pending.removeAll { box in
                guard case .ready(let result) = box.op!.cancel(&cx) else { return false }
                if errnoOf(result) == ECANCELED && box.op?.cancelResult == 0 { cancelled += 1 }
                return true
            }
            if !pending.isEmpty { try executor.driver.turn(waitNanos: 1_000_000_000) }
            turns += 1
            XCTAssertLessThan(turns, 1000)
            if turns >= 1000 { break }
        }
        XCTAssertEqual(cancelled, n, "every long timeout was found and cancelled")
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }
}
