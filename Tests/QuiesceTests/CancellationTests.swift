import XCTest
import Glibc
@testable import Quiesce

/// Cancellation through the real ring: each outcome of IORING_OP_ASYNC_CANCEL, with the operation's own
/// completion always awaited before its buffer and slot are released.
final class CancellationTests: RingPipeTestCase {
    override func tearDownWithError() throws {
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
        XCTAssertEqual(executor.driver.orphanCount, 0)
        try super.tearDownWithError()
    }

    /// A read submitted and armed in the kernel (its first attempt found no data).
    func armedRead(capacity: Int = 32) throws -> ReadOp {
        var read = IO.read(r, into: IOBuffer(capacity: capacity))
        XCTAssertFalse(pollOnce(&read, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertTrue(read.isInFlight)
        XCTAssertEqual(executor.driver.operationsInFlight, 1)
        return read
    }

    func testCancelOfAPendingReadIsECANCELEDAndTheBufferComesBack() throws {
        var read = try armedRead(capacity: 32)
        let outcome = try driveCancel(&read, on: executor)
        XCTAssertEqual(errnoOf(outcome.result), ECANCELED)
        XCTAssertEqual(outcome.buffer.capacity, 32)
        XCTAssertEqual(outcome.buffer.count, 0)
        XCTAssertEqual(read.cancelResult, 0, "the cancel found the read and cancelled it")
    }

    func testCancelStaysPendingUntilTheOperationsOwnCompletion() throws {
        var read = try armedRead()
        var cx = Context(waker: .noop, executor: executor)
        XCTAssertFalse(read.cancel(&cx).isReady, "the cancel was only submitted")
        XCTAssertEqual(executor.driver.cancelsInFlight, 1)
        XCTAssertEqual(executor.driver.liveSlots, 1, "the slot (and buffer) stay until the kernel is done")
        _ = try driveCancel(&read, on: executor)
    }

    func testDataThenCancelInTheSameTurnTheCompletionWins() throws {
        var read = try armedRead()
        put(w, "won")
        // The read completes in the kernel (with DEFER_TASKRUN, once the ring's thread enters it for
        // completions, as a submit does); the driver has not reaped it yet.
        try executor.driver.backend.submit(waitNanos: 0)
        let outcome = try driveCancel(&read, on: executor)
        XCTAssertEqual(value(outcome.result), 3, "the read completed in the race: its real result is reported")
        XCTAssertEqual(outcome.buffer.string, "won")
        XCTAssertEqual(read.cancelResult, -ENOENT, "the cancel found nothing left to cancel")
    }

    func testCancelThenDataTheCancelWins() throws {
        var read = try armedRead()
        let outcome = try driveCancel(&read, on: executor)
        put(w, "late")
        XCTAssertEqual(errnoOf(outcome.result), ECANCELED)
        XCTAssertEqual(read.cancelResult, 0)
        // The data stays in the pipe for the next reader: nothing was consumed by the cancelled read.
        var next = IO.read(r, into: IOBuffer(capacity: 8))
        XCTAssertEqual(try drive(&next, on: executor).buffer.string, "late")
    }

    func testCancelAfterTheCompletionWasReapedSendsNoCancel() throws {
        var read = try armedRead()
        put(w, "done")
        try executor.driver.turn(waitNanos: 1_000_000_000)
        let outcome = try driveCancel(&read, on: executor)
        XCTAssertEqual(value(outcome.result), 4)
        XCTAssertNil(read.cancelResult, "the completion was already in: no cancel request was needed")
        XCTAssertEqual(executor.driver.cancelsInFlight, 0)
    }

    func testCancelBeforeTheFirstPollNeverReachesTheKernel() throws {
        var read = IO.read(r, into: IOBuffer(string: "keep"))
        let outcome = try driveCancel(&read, on: executor)
        XCTAssertEqual(errnoOf(outcome.result), ECANCELED)
        XCTAssertEqual(outcome.buffer.string, "keep")
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }

    func testAsyncDropOfAnInFlightReadWaitsForBothCompletions() throws {
        var read = try armedRead()
        var cx = Context(waker: .noop, executor: executor)
        XCTAssertFalse(read.pollDropReady(&cx).isReady)
        XCTAssertEqual(executor.driver.operationsInFlight, 1)
        XCTAssertEqual(executor.driver.cancelsInFlight, 1)
        try driveDrop(&read, on: executor)
        XCTAssertTrue(executor.driver.isQuiescent, "ready means nothing of it is in flight")
        XCTAssertEqual(executor.driver.liveSlots, 0)
        XCTAssertTrue(read.pollDropReady(&cx).isReady, "fused: ready again at once")
        XCTAssertEqual(executor.driver.cancelsInFlight, 0, "and no second cancel was sent")
    }

    func testAsyncDropWakesTheWaiterWhenTheCompletionArrives() throws {
        var read = try armedRead()
        let target = CountingWakeTarget()
        var cx = Context(waker: Waker(target), executor: executor)
        XCTAssertFalse(read.pollDropReady(&cx).isReady)
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        XCTAssertEqual(target.wakes, 1, "woken once, when both completions were in")
        XCTAssertTrue(read.pollDropReady(&cx).isReady)
    }

    func testAsyncDropBeforeAndAfterCompletionIsReadyAtOnce() throws {
        var unsubmitted = IO.read(r, into: IOBuffer(capacity: 8))
        var cx = Context(waker: .noop, executor: executor)
        XCTAssertTrue(unsubmitted.pollDropReady(&cx).isReady)
        var nop = IO.nop()
        _ = try drive(&nop, on: executor)
        XCTAssertTrue(nop.pollDropReady(&cx).isReady)
    }

    func testCancelledTimeoutIsECANCELED() throws {
        var timeout = IO.timeout(nanoseconds: 60_000_000_000)
        XCTAssertFalse(pollOnce(&timeout, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(errnoOf(try driveCancel(&timeout, on: executor)), ECANCELED)
        XCTAssertEqual(timeout.cancelResult, 0)
    }

    func testClosingTheDescriptorDoesNotCancelAPendingRead() throws {
        var read = try armedRead()
        close(r)  // the ring holds its own reference to the pipe: the read stays pending
        r = -1
        try executor.driver.turn(waitNanos: 0)
        try executor.driver.turn(waitNanos: 0)
        XCTAssertTrue(read.isInFlight)
        XCTAssertEqual(executor.driver.operationsInFlight, 1, "close(2) is not a cancel")
        put(w, "still")
        let got = try drive(&read, on: executor)
        XCTAssertEqual(got.buffer.string, "still")
    }

    func testJoinHandleDropCancelsTheTaskAndItsRead() throws {
        let handle = executor.spawn(ReadOnce(fd: r))
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight, 1)
        try executor.blockOn(AsyncDrop(handle))
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.liveTaskCount, 0)
    }
}

/// The cancellation protocol with completions delivered in an order the test chooses (a scripted
/// backend): the cancel's completion first, the -EALREADY answer, stale completions.
final class CancellationOrderTests: XCTestCase {
    var backend: ScriptedBackend!
    var driver: Driver!

    override func setUp() {
        backend = ScriptedBackend()
        driver = Driver(backend: backend)
    }

    func submitRead() throws -> OpToken {
        let token = driver.submit(IO.Read(fd: 3, offset: .max), buffer: IOBuffer(capacity: 16), waker: .noop)
        try driver.turn(waitNanos: 0)
        return token
    }

    func testCancelCompletionBeforeTheOperationsOwn() throws {
        let token = try submitRead()
        XCTAssertFalse(driver.cancel(token, waker: .noop))
        try driver.turn(waitNanos: 0)
        let cancel = try XCTUnwrap(backend.cancel(of: token.userData))
        backend.completions = [(cancel, -EALREADY)]  // running: it will complete on its own
        try driver.turn(waitNanos: 0)
        XCTAssertEqual(driver.cancelResult(token), -EALREADY)
        XCTAssertFalse(driver.cancel(token, waker: .noop), "the operation's own completion has not arrived")
        XCTAssertEqual(driver.liveSlots, 1, "so its buffer stays with the driver")
        backend.completions = [(token.userData, 7)]
        try driver.turn(waitNanos: 0)
        XCTAssertTrue(driver.cancel(token, waker: .noop))
        let completion = driver.take(token)
        XCTAssertEqual(completion.result, 7, "it completed in the race and is reported as completed")
        XCTAssertTrue(driver.isQuiescent)
        XCTAssertEqual(driver.liveSlots, 0)
    }

    func testOperationCompletionBeforeTheCancels() throws {
        let token = try submitRead()
        XCTAssertFalse(driver.cancel(token, waker: .noop))
        try driver.turn(waitNanos: 0)
        backend.completions = [(token.userData, -ECANCELED)]
        try driver.turn(waitNanos: 0)
        XCTAssertFalse(driver.cancel(token, waker: .noop), "the cancel request itself is still in flight")
        XCTAssertFalse(driver.poll(token, waker: .noop))
        backend.completions = [(try XCTUnwrap(backend.cancel(of: token.userData)), 0)]
        try driver.turn(waitNanos: 0)
        XCTAssertTrue(driver.cancel(token, waker: .noop))
        XCTAssertEqual(driver.cancelResult(token), 0)
        XCTAssertEqual(driver.take(token).result, -ECANCELED)
        XCTAssertTrue(driver.isQuiescent)
    }

    func testAnOperationInterruptedInTheRaceIsReportedCancelled() throws {
        let executor = Executor(backend: backend)
        var read = IO.read(4, into: IOBuffer(capacity: 8))
        XCTAssertFalse(pollOnce(&read, on: executor))
        try executor.driver.turn(waitNanos: 0)
        var cx = Context(waker: .noop, executor: executor)
        XCTAssertFalse(read.cancel(&cx).isReady)
        try executor.driver.turn(waitNanos: 0)
        let op = backend.operation(0)
        backend.completions = [(op, -EINTR), (try XCTUnwrap(backend.cancel(of: op)), -EALREADY)]
        try executor.driver.turn(waitNanos: 0)
        guard case .ready(let done) = read.cancel(&cx) else { return XCTFail("both completions are in") }
        XCTAssertEqual(errnoOf(done.result), ECANCELED, "EINTR did nothing: for the canceller that is a cancel")
        XCTAssertEqual(done.buffer.capacity, 8)
        XCTAssertEqual(read.cancelResult, -EALREADY)
    }

    func testStaleCompletionNeverReachesAReusedSlot() throws {
        let first = try submitRead()
        backend.completions = [(first.userData, 1)]
        try driver.turn(waitNanos: 0)
        _ = driver.take(first)
        let second = try submitRead()
        XCTAssertEqual(second.index, first.index, "the slot was reused")
        XCTAssertNotEqual(second.generation, first.generation)
        backend.completions = [(first.userData, 99)]  // a completion tagged with the old generation
        try driver.turn(waitNanos: 0)
        XCTAssertEqual(driver.staleCompletions, 1)
        XCTAssertFalse(driver.poll(second, waker: .noop), "the new operation did not take the stale result")
        backend.completions = [(second.userData, 2)]
        try driver.turn(waitNanos: 0)
        XCTAssertEqual(driver.take(second).result, 2)
    }
}
