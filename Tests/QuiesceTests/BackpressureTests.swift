import XCTest
import Glibc
@testable import Quiesce

/// A submission queue far smaller than the work: operations wait for room and are retried, never
/// dropped, never spun on; the completion queue overflows and nothing is lost.
final class BackpressureTests: XCTestCase {
    func testTenTimesMoreReadsThanRingEntriesAllComplete() throws {
        let executor = try Executor(entries: 8)  // completion queue: 16 entries
        let count = 96
        var pipes: [(read: Int32, write: Int32)] = []
        for _ in 0..<count { pipes.append(try Sockets.pipe()) }
        defer { for p in pipes { close(p.read); close(p.write) } }
        let record = Record()
        for (i, p) in pipes.enumerated() {
            executor.spawn(RecordingRead(fd: p.read, key: i, record: record)).detach()
        }
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight + executor.driver.backlogCount, count)
        XCTAssertEqual(record.finished, 0, "no data yet: every read waits")
        for (i, p) in pipes.enumerated() { put(p.write, "pipe \(i)") }  // 96 completions, CQ holds 16
        let turns = try runUntilNoTasks(executor)
        XCTAssertEqual(record.finished, count, "nothing lost")
        XCTAssertEqual(record.errors.count, 0)
        for i in 0..<count { XCTAssertEqual(record.results[i], "pipe \(i)") }
        XCTAssertLessThanOrEqual(turns, 20, "completions are taken in batches, not one spin per operation")
        XCTAssertLessThanOrEqual(executor.statistics.polls, 3 * count, "each task polled about twice: no busy polling")
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }

    func testCancellingManyReadsOnASmallRing() throws {
        let executor = try Executor(entries: 8)
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        let record = Record()
        for i in 0..<100 { executor.spawn(RecordingRead(fd: r, key: i, record: record)).detach() }
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight, 100)
        let report = executor.shutdown(deadline: 10_000_000_000)  // 100 cancels through 8 entries
        XCTAssertTrue(report.isClean, "\(report)")
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }
}

/// The backlog itself, with a scripted submission queue that holds exactly 8 entries and does not
/// drain until the driver submits.
final class BacklogTests: XCTestCase {
    var backend: ScriptedBackend!
    var driver: Driver!

    override func setUp() {
        backend = ScriptedBackend()
        backend.room = 8
        driver = Driver(backend: backend)
    }

    func testOperationsWaitForRoomAndAreRetriedInOrder() throws {
        var tokens: [OpToken] = []
        for i in 0..<80 { tokens.append(driver.submit(IO.Read(fd: Int32(i), offset: .max), buffer: IOBuffer(capacity: 4), waker: .noop)) }
        XCTAssertEqual(driver.operationsInFlight, 8)
        XCTAssertEqual(driver.backlogCount, 72, "the rest wait for room; none is dropped")
        var turns = 0
        var delivered = 0
        while !driver.isQuiescent {
            try driver.turn(waitNanos: 0)
            turns += 1
            // The "kernel" completes everything it was handed.
            backend.completions = backend.submitted[delivered...].map { ($0.userData, 1) }
            delivered = backend.submitted.count
            XCTAssertLessThan(turns, 30, "no spin")
        }
        XCTAssertEqual(backend.submitted.map { OpToken.decode($0.userData).token }, tokens, "submitted in order, each once")
        for token in tokens {
            XCTAssertTrue(driver.poll(token, waker: .noop))
            XCTAssertEqual(driver.take(token).result, 1)
        }
        XCTAssertEqual(driver.liveSlots, 0)
    }

    func testAnOperationCancelledWhileWaitingForRoomNeverReachesTheKernel() throws {
        for i in 0..<8 { _ = driver.submit(IO.Read(fd: Int32(i), offset: .max), buffer: nil, waker: .noop) }
        let waiting = driver.submit(IO.Read(fd: 99, offset: .max), buffer: IOBuffer(string: "mine"), waker: .noop)
        XCTAssertEqual(driver.backlogCount, 1)
        XCTAssertTrue(driver.cancel(waiting, waker: .noop), "cancelled at once: the kernel never saw it")
        var completion = driver.take(waiting)
        XCTAssertEqual(completion.result, -ECANCELED)
        XCTAssertEqual(completion.buffer.take()?.string, "mine")
        try driver.turn(waitNanos: 0)
        try driver.turn(waitNanos: 0)
        XCTAssertFalse(backend.submitted.contains { $0.request?.fd == 99 })
    }

    func testACancelWaitsForRoomToo() throws {
        var tokens: [OpToken] = []
        for i in 0..<8 { tokens.append(driver.submit(IO.Read(fd: Int32(i), offset: .max), buffer: nil, waker: .noop)) }
        try driver.turn(waitNanos: 0)  // handed to the kernel; the queue is empty again
        for i in 8..<16 { _ = driver.submit(IO.Read(fd: Int32(i), offset: .max), buffer: nil, waker: .noop) }
        XCTAssertFalse(driver.cancel(tokens[0], waker: .noop))  // the queue is full: the cancel waits
        XCTAssertEqual(driver.backlogCount, 1)
        XCTAssertEqual(driver.cancelsInFlight, 0)
        try driver.turn(waitNanos: 0)
        XCTAssertEqual(driver.cancelsInFlight, 1, "sent once there was room")
        XCTAssertNotNil(backend.cancel(of: tokens[0].userData))
    }

    func testAnOrphanWhoseQueuedCancelIsOvertakenByItsCompletion() throws {
        for i in 0..<8 { _ = driver.submit(IO.Read(fd: Int32(i), offset: .max), buffer: nil, waker: .noop) }
        try driver.turn(waitNanos: 0)
        let target = OpToken.decode(backend.submitted[0].userData).token
        for i in 8..<16 { _ = driver.submit(IO.Read(fd: Int32(i), offset: .max), buffer: nil, waker: .noop) }
        driver.orphan(target)  // its cancel has to wait for room
        XCTAssertEqual(driver.orphanCount, 1)
        backend.stuck = true  // the kernel takes nothing this turn (as when it answers EBUSY)
        backend.completions = [(target.userData, 3)]  // the read completes before the cancel was sent
        try driver.turn(waitNanos: 0)
        XCTAssertEqual(driver.orphanCount, 0, "released on its completion")
        backend.stuck = false
        try driver.turn(waitNanos: 0)
        XCTAssertNil(backend.cancel(of: target.userData), "the queued cancel was dropped, not sent for a finished op")
    }
}
