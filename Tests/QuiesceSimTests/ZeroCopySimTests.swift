import XCTest
import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// A zero-copy send on the simulated kernel: done only at its notification, its buffer held until
/// then through a cancel and through a synchronous drop.
final class ZeroCopySimTests: XCTestCase {
    func testDoneOnlyAtTheNotificationWithTheByteCount() throws {
        let sim = SimBackend(seed: 1, faults: SimFaults.none)
        let executor = Executor(backend: sim)
        let (a, _) = sim.makeSocketPair()
        let done = try sendToTheEnd(IO.sendZeroCopy(a, IOBuffer(string: "zero copy")), executor)
        XCTAssertEqual(try done.result.get(), 9)
        XCTAssertEqual(done.buffer.string, "zero copy", "the buffer comes back whole")
        XCTAssertEqual(sim.statistics.zeroCopyNotifications, 1, "ready only after the notification")
        XCTAssertEqual(sim.drain(a), Array("zero copy".utf8), "the peer got every byte")
        XCTAssertTrue(executor.driver.isQuiescent)
        executor.shutdown()
    }

    func testASynchronousDropKeepsTheBufferUntilTheNotification() throws {
        let sim = SimBackend(seed: 2, faults: SimFaults(completionBeatsCancel: 1000, delayCompletion: 0, partialReap: 0))
        sim.watchBuffers()
        defer { sim.stopWatchingBuffers() }
        let executor = Executor(backend: sim)
        executor.diagnosticHandler = { _ in }
        let (a, _) = sim.makeSocketPair()
        try dropOnceSubmitted(IO.sendZeroCopy(a, IOBuffer(string: "held until notified")), executor)
        XCTAssertEqual(executor.driver.orphanCount, 1, "the driver keeps the buffer")
        XCTAssertEqual(sim.liveBufferCount, 1)
        while executor.driver.orphanCount > 0 { try executor.driver.turn(waitNanos: 1_000) }
        XCTAssertEqual(sim.liveBufferCount, 0, "freed after the last completion")
        XCTAssertEqual(sim.statistics.zeroCopyNotifications, 1, "freed only once the notification arrived")
        XCTAssertTrue(sim.violations.isEmpty, "\(sim.violations)")
        executor.shutdown()
    }

    /// The kernel may post the notification before the result (on the paths that do not order the
    /// two): the send still reports its byte count, and its slot lives until the result is in.
    func testANotificationBeforeTheResultStillReportsTheByteCount() throws {
        var faults = SimFaults.none
        faults.notificationFirst = 1000
        let sim = SimBackend(seed: 3, faults: faults)
        let executor = Executor(backend: sim)
        let (a, _) = sim.makeSocketPair()
        let done = try sendToTheEnd(IO.sendZeroCopy(a, IOBuffer(string: "zero copy")), executor)
        XCTAssertEqual(try done.result.get(), 9, "the byte count of the result that came last")
        XCTAssertEqual(done.buffer.string, "zero copy", "the buffer comes back whole")
        XCTAssertEqual(sim.statistics.zeroCopyNotificationsFirst, 1, "the notification came first")
        XCTAssertEqual(sim.drain(a), Array("zero copy".utf8), "the peer got every byte")
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.staleCompletions, 0, "no completion arrived for a freed slot")
        executor.shutdown()
    }

    func testASynchronousDropWithTheNotificationFirstHoldsTheSlotUntilTheResult() throws {
        var faults = SimFaults.none
        faults.notificationFirst = 1000
        let sim = SimBackend(seed: 4, faults: faults)
        sim.watchBuffers()
        defer { sim.stopWatchingBuffers() }
        let executor = Executor(backend: sim)
        executor.diagnosticHandler = { _ in }
        let (a, _) = sim.makeSocketPair()
        try dropOnceSubmitted(IO.sendZeroCopy(a, IOBuffer(string: "held until the last completion")), executor)
        while executor.driver.orphanCount > 0 { try executor.driver.turn(waitNanos: 1_000) }
        XCTAssertEqual(sim.statistics.zeroCopyNotificationsFirst, 1, "the notification came first")
        XCTAssertEqual(sim.liveBufferCount, 0, "freed after the last completion")
        XCTAssertEqual(executor.driver.staleCompletions, 0, "the result found its slot still held")
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertTrue(sim.violations.isEmpty, "\(sim.violations)")
        executor.shutdown()
    }

    /// Polls `send` and turns the driver until it is ready (at most 100 polls).
    private func sendToTheEnd(_ send: consuming ZeroCopySend, _ executor: Executor,
                              file: StaticString = #filePath, line: UInt = #line) throws -> BufferResult {
        var send = send
        var cx = Context(waker: .noop, executor: executor)
        var polls = 0
        while true {
            polls += 1
            if case .ready(let done) = send.poll(&cx) { return done }
            try executor.driver.turn(waitNanos: 1_000)
            XCTAssertLessThan(polls, 100, file: file, line: line)
        }
    }

    /// Submits `send`, then drops it synchronously while the kernel holds its buffer.
    private func dropOnceSubmitted(_ send: consuming ZeroCopySend, _ executor: Executor,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        var send = send
        var cx = Context(waker: .noop, executor: executor)
        XCTAssertFalse(send.poll(&cx).isReady, file: file, line: line)
        try executor.driver.turn(waitNanos: 0)  // submitted; the kernel reads the buffer in place
        _ = consume send                        // dropped synchronously while the kernel holds it
    }
}
