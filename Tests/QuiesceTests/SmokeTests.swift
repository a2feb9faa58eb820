import XCTest
import Glibc
@testable import Quiesce

/// A future driven by hand-written states: counts its polls and finishes after `steps` of them.
struct Countdown: Future {
    var steps: Int
    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        if steps == 0 { return .ready(42) }
        steps -= 1
        cx.waker.wake()
        return .pending
    }
}

/// Reads one pipe and gives back what came, through the ring: the README's example future.
typealias ReadOnce = ReadGreeting

final class SmokeTests: XCTestCase {
    func testBlockOnRunsAHandWrittenFuture() throws {
        let executor = try Executor()
        XCTAssertEqual(try executor.blockOn(Countdown(steps: 3)), 42)
        XCTAssertEqual(executor.statistics.polls, 4)
    }

    func testNopThroughTheRing() throws {
        let executor = try Executor()
        let result = try executor.blockOn(IO.nop())
        XCTAssertNoThrow(try result.get())
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testReadFromPipe() throws {
        let executor = try Executor()
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        XCTAssertEqual(write(w, "hello", 5), 5)
        XCTAssertEqual(try executor.blockOn(ReadOnce(fd: r)), "hello")
    }

    func testIdleExecutorParksInTheRingUntilItsTimer() throws {
        let executor = try Executor()
        try executor.blockOn(sleep(nanoseconds: 20_000_000))
        XCTAssertEqual(executor.statistics.polls, 2, "polled when spawned and when the timer fired, never in between")
        XCTAssertLessThanOrEqual(executor.statistics.parks, 3, "the loop slept in io_uring_enter instead of spinning")
        XCTAssertGreaterThanOrEqual(executor.statistics.parks, 1)
    }

    func testCancelledReadIsAwaited() throws {
        let executor = try Executor()
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        let handle = executor.spawn(ReadOnce(fd: r))
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight, 1)
        let outcome = try executor.blockOn(AsyncDrop(handle))
        _ = outcome
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }
}
