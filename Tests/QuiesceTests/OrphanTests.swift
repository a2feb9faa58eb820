import XCTest
import Glibc
@testable import Quiesce

/// Synchronous drop of an in-flight operation: the driver keeps its buffer in the orphan table, sends
/// the cancel, and frees the buffer only when the kernel's completion has arrived.
final class OrphanTests: RingPipeTestCase {

    /// Submits a read on the pipe and drops it synchronously while the kernel holds it.
    func dropInFlightRead(turning: Bool = true) throws {
        var read = IO.read(r, into: IOBuffer(capacity: 64))
        XCTAssertFalse(pollOnce(&read, on: executor))
        if turning { try executor.driver.turn(waitNanos: 0) }
        XCTAssertTrue(read.isInFlight)
        _ = consume read  // synchronous drop: deinit runs now, the read is still in the kernel
    }

    func testOrphanWaitsForTheCancelsCompletion() throws {
        try dropInFlightRead()
        XCTAssertEqual(executor.driver.orphanCount, 1)
        XCTAssertEqual(executor.driver.liveSlots, 1, "the slot keeps the buffer")
        XCTAssertEqual(executor.driver.cancelsInFlight, 1, "a cancel was sent for it")
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        XCTAssertEqual(executor.driver.orphanCount, 0)
        XCTAssertEqual(executor.driver.liveSlots, 0, "freed once the kernel was done")
    }

    func testOrphanWhoseDataArrivesFirst() throws {
        try dropInFlightRead()
        put(w, "into the orphan")  // the kernel writes into the orphan's buffer: it must still exist
        XCTAssertEqual(executor.driver.orphanCount, 1)
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        XCTAssertEqual(executor.driver.orphanCount, 0)
        XCTAssertEqual(executor.driver.liveSlots, 0)
        var probe: UInt8 = 0
        XCTAssertEqual(Glibc.read(r, &probe, 0), 0)
    }

    func testOrphanOfACompletedButUntakenOperationIsReleasedAtOnce() throws {
        var read = IO.read(r, into: IOBuffer(capacity: 8))
        put(w, "x")
        XCTAssertFalse(pollOnce(&read, on: executor))
        try executor.driver.turn(waitNanos: 1_000_000_000)
        XCTAssertEqual(executor.driver.operationsInFlight, 0)
        _ = consume read
        XCTAssertEqual(executor.driver.orphanCount, 0)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }

    func testOrphanedWhileItsCancelIsInFlight() throws {
        var read = IO.read(r, into: IOBuffer(capacity: 8))
        XCTAssertFalse(pollOnce(&read, on: executor))
        try executor.driver.turn(waitNanos: 0)
        var cx = Context(waker: .noop, executor: executor)
        XCTAssertFalse(read.pollDropReady(&cx).isReady)  // the async drop began …
        _ = consume read                                 // … and was abandoned
        XCTAssertEqual(executor.driver.orphanCount, 1)
        XCTAssertEqual(executor.driver.cancelsInFlight, 1, "no second cancel")
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        XCTAssertEqual(executor.driver.orphanCount, 0)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }

    func testManyOrphansAllSettle() throws {
        for _ in 0..<100 { try dropInFlightRead(turning: false) }
        XCTAssertEqual(executor.driver.orphanCount, 100)
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        XCTAssertEqual(executor.driver.orphanCount, 0)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }

    func testReleasedExecutorFirstAsyncDropsItsTasks() throws {
        // An executor released with a read in flight shuts down first (bounded): the read is cancelled
        // and awaited, so the ring can be torn down and nothing is left behind.
        weak var driver: Driver?
        do {
            let executor = try Executor(entries: 8)
            driver = executor.driver
            executor.spawn(ReadOnce(fd: r)).detach()
            try executor.runUntilIdle()
            XCTAssertEqual(executor.driver.operationsInFlight, 1)
        }
        XCTAssertNil(driver, "nothing in flight: the driver and its ring are gone")
    }

    func testTaskLeftByAShutdownDeadlineKeepsTheDriverAlive() throws {
        // Past the shutdown deadline the driver keeps its state (ring, slots and buffers) rather than
        // tear the ring down under the kernel.
        weak var ring: UringBackend?
        var ringFD: Int32 = -1
        var reports: [Diagnostic] = []
        do {
            let executor = try Executor(entries: 8)
            executor.diagnosticHandler = { reports.append($0) }
            ring = executor.driver.backend as? UringBackend
            ringFD = ring?.ringFD ?? -1
            executor.spawn(ReadOnce(fd: r)).detach()
            try executor.runUntilIdle()
            let report = executor.shutdown(deadline: 0)
            XCTAssertEqual(report, Executor.ShutdownReport(tasksLeft: 1, operationsLeft: 1))
        }
        XCTAssertNotNil(ring, "the driver's state, and the ring it holds, outlive the executor")
        XCTAssertEqual(ring?.ringFD, ringFD, "the ring is still open")
        XCTAssertNotEqual(fcntl(ringFD, F_GETFD), -1, "its descriptor was not closed")
        XCTAssertEqual(reports.map(\.kind), [.orphanedAtShutdown])
    }
}
