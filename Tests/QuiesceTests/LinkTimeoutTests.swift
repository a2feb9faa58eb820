import XCTest
import Glibc
import CQuiesceUring
@testable import Quiesce

/// Operations with a deadline the kernel enforces (a linked IORING_OP_LINK_TIMEOUT).
final class LinkTimeoutTests: XCTestCase {
    func testAReadWithNoDataEndsAtItsDeadlineWithETIMEAndItsBuffer() throws {
        let executor = try Executor(entries: 32)
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var read = IO.read(r, into: IOBuffer(capacity: 16)).withDeadline(nanoseconds: 5_000_000)
        let done = try drive(&read, on: executor)
        XCTAssertEqual(errnoOf(done.result), ETIME, "\(done.result)")
        XCTAssertEqual(done.buffer.capacity, 16, "the buffer comes back")
        XCTAssertEqual(read.deadlinePassed, true)
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }

    func testAReadThatCompletesInTimeIsUntouchedByItsDeadline() throws {
        let executor = try Executor(entries: 32)
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var read = IO.read(r, into: IOBuffer(capacity: 16)).withDeadline(nanoseconds: 10_000_000_000)
        XCTAssertFalse(pollOnce(&read, on: executor))
        put(w, "in time")
        let done = try drive(&read, on: executor)
        let text = done.buffer.string
        XCTAssertEqual(try done.result.get(), 7)
        XCTAssertEqual(text, "in time")
        XCTAssertEqual(read.deadlinePassed, false, "the link timeout was cancelled by the read's completion")
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testTheAsyncDropCancelsTheOperationAndWaitsForBothCompletions() throws {
        let executor = try Executor(entries: 32)
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var read = IO.read(r, into: IOBuffer(capacity: 16)).withDeadline(nanoseconds: 10_000_000_000)
        XCTAssertFalse(pollOnce(&read, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(executor.driver.operationsInFlight, 2, "the read and its link timeout")
        try driveDrop(&read, on: executor)
        XCTAssertTrue(executor.driver.isQuiescent, "nothing of it is in flight after its drop")
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }

    func testALinkedPairWaitsForRoomForBothAndReachesTheKernelTogether() throws {
        let backend = ScriptedBackend()
        backend.room = 3
        let executor = Executor(backend: backend)
        var nops = (0..<2).map { _ in OpBox(IO.nop()) }
        for box in nops { pollOnce(&box.op!, on: executor) }
        var read = IO.read(5, into: IOBuffer(capacity: 8)).withDeadline(nanoseconds: 1_000)
        XCTAssertFalse(pollOnce(&read, on: executor))
        XCTAssertEqual(backend.queued.count, 2, "one entry of room left: the pair waits, neither half goes alone")
        try executor.driver.turn(waitNanos: 0)
        let submitted = backend.submitted.compactMap(\.request)
        XCTAssertEqual(submitted.count, 4)
        XCTAssertEqual(submitted[2].opcode, UInt8(IORING_OP_READ.rawValue))
        XCTAssertEqual(submitted[3].opcode, UInt8(IORING_OP_LINK_TIMEOUT.rawValue), "right behind the read")
        backend.completions = (0..<4).map { (backend.operation($0), $0 == 3 ? -ECANCELED : 0) }
        try executor.driver.turn(waitNanos: 0)
        for box in nops { XCTAssertTrue(pollOnce(&box.op!, on: executor)) }
        XCTAssertTrue(pollOnce(&read, on: executor), "ready once both completions are in")
        XCTAssertEqual(read.deadlinePassed, false)
        nops.removeAll()
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testAPairCancelledWhileWaitingForRoomNeverReachesTheKernel() throws {
        let backend = ScriptedBackend()
        backend.room = 1
        let executor = Executor(backend: backend)
        let blocker = OpBox(IO.nop())
        pollOnce(&blocker.op!, on: executor)
        var read = IO.read(5, into: IOBuffer(capacity: 8)).withDeadline(nanoseconds: 1_000)
        XCTAssertFalse(pollOnce(&read, on: executor))
        XCTAssertEqual(executor.driver.backlogCount, 1, "the pair waits as one")
        try driveDrop(&read, on: executor)
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(backend.submitted.compactMap(\.request).count, 1, "only the blocker was submitted")
        XCTAssertEqual(executor.driver.liveSlots, 1, "only the blocker's slot is left")
        backend.completions = [(backend.operation(0), 0)]
        try executor.driver.turn(waitNanos: 0)
        XCTAssertTrue(pollOnce(&blocker.op!, on: executor))
    }
}
