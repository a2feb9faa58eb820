import XCTest
@testable import Quiesce

/// A future that wakes itself forever, counting its polls: the fairness adversary.
struct Spinner: Future, ~Copyable {
    let counter: Counter
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        counter.value += 1
        cx.waker.wake()
        return .pending
    }
}

final class Counter { var value = 0 }

/// Fails with `Boom` after one pending poll; has async cleanup.
struct Failing: Future, ~Copyable {
    struct Boom: Error, Equatable {}
    var probe: Probe
    mutating func poll(_ cx: inout Context) -> Poll<Result<Int, Boom>> {
        switch probe.poll(&cx) {
        case .pending: return .pending
        case .ready: return .ready(.failure(Boom()))
        }
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { probe.pollDropReady(&cx) }
}

/// Calls `blockOn` from inside its own poll: a programming error the executor must refuse.
struct ReentrantBlockOn: Future {
    mutating func poll(_ cx: inout Context) -> Poll<ExecutorError?> {
        do {
            _ = try cx.executor!.blockOn(Countdown(steps: 0))
            return .ready(nil)
        } catch {
            return .ready(error)
        }
    }
}

/// A value whose deinit calls `blockOn` (the seed tutorial's deadlock), and records what happened.
final class BlockOnInDeinit {
    let executor: Executor
    let outcome: Log
    init(_ executor: Executor, _ outcome: Log) { self.executor = executor; self.outcome = outcome }
    deinit {
        do { _ = try executor.blockOn(Countdown(steps: 0)); outcome("completed") } catch { outcome("\(error)") }
    }
}

struct DropsInPoll: Future {
    var victim: BlockOnInDeinit?
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        victim = nil  // its deinit runs here, inside a poll
        return .ready(())
    }
}

final class ExecutorTests: XCTestCase {
    var executor: Executor!
    var backend: IdleBackend!
    var log: Log!

    override func setUp() {
        backend = IdleBackend()
        executor = Executor(backend: backend)
        log = Log()
    }

    func testCancelStopsPollingDrivesTheDropThenResolvesCancelled() throws {
        let handle = executor.spawn(Forever(name: "t", log: log, dropSteps: 2))
        try executor.runUntilIdle()
        XCTAssertEqual(log.events, ["t.poll"])
        handle.cancel()
        XCTAssertTrue(handle.isCancelling)
        let outcome = try executor.blockOn(handle)
        XCTAssertEqual(outcome.failureValue, Cancelled())
        XCTAssertEqual(log.events, ["t.poll", "t.dropping", "t.dropping", "t.dropped", "t.deinit"])
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testCancelAfterCompletionStillDeliversTheOutput() throws {
        let handle = executor.spawn(Probe("p", log, steps: 0, value: 5))
        try executor.runUntilIdle()
        handle.cancel()
        let outcome = try executor.blockOn(handle)
        XCTAssertEqual(try outcome.get(), 5)
    }

    func testNeverPolledAfterDropBegan() throws {
        let handle = executor.spawn(Probe("p", log, steps: 100, dropSteps: 3))
        try executor.runUntilIdle()
        handle.cancel()
        _ = try executor.blockOn(handle)
        XCTAssertEqual(log.count("p.POLL-AFTER-DROP"), 0)
        XCTAssertEqual(log.count("p.dropped"), 1)
    }

    func testADropOnceBegunRunsToCompletion() throws {
        let handle = executor.spawn(Forever(name: "t", log: log, dropSteps: 3))
        try executor.runUntilIdle()
        handle.cancel()
        handle.cancel()  // again, while dropping: no further effect
        _ = try executor.turn(mayBlock: false)
        handle.cancel()
        _ = try executor.blockOn(handle)
        XCTAssertEqual(log.count("t.dropping"), 3)
        XCTAssertEqual(log.count("t.dropped"), 1)
        XCTAssertEqual(log.count("t.deinit"), 1)
    }

    func testOutputIsDeliveredOnlyAfterTheTaskAsyncDrop() throws {
        let handle = executor.spawn(Probe("p", log, steps: 1, dropSteps: 2, value: 9))
        let outcome = try executor.blockOn(handle)
        XCTAssertEqual(try outcome.get(), 9)
        XCTAssertEqual(log.events, ["p.poll", "p.poll", "p.dropping", "p.dropping", "p.dropped", "p.deinit"])
    }

    func testFailingTaskIsAsyncDroppedBeforeItsFailureIsDelivered() throws {
        let handle = executor.spawn(Failing(probe: Probe("f", log, steps: 1, dropSteps: 2)))
        let outcome = try executor.blockOn(handle)
        XCTAssertEqual(try outcome.get().failureValue, Failing.Boom())
        XCTAssertEqual(Array(log.events.suffix(4)), ["f.dropping", "f.dropping", "f.dropped", "f.deinit"])
    }

    func testHandleAsyncDropCancelsAndWaitsForTheTaskDrop() throws {
        let handle = executor.spawn(Forever(name: "child", log: log, dropSteps: 2))
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(handle))
        XCTAssertEqual(log.events, ["child.poll", "child.dropping", "child.dropping", "child.dropped", "child.deinit"],
                       "when the handle's async drop completes, the child's has too")
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testSynchronouslyDroppedHandleCancelsAndTheExecutorFinishesTheDrop() throws {
        do {
            let handle = executor.spawn(Forever(name: "child", log: log, dropSteps: 1))
            try executor.runUntilIdle()
            _ = consume handle
        }
        try executor.runUntilIdle()
        XCTAssertEqual(log.events, ["child.poll", "child.dropping", "child.dropped", "child.deinit"])
    }

    func testDetachedTaskRunsToCompletion() throws {
        executor.spawn(Probe("d", log, steps: 3)).detach()
        try executor.runUntilIdle()
        XCTAssertEqual(log.count("d.poll"), 4)
        XCTAssertEqual(log.count("d.dropped"), 1)
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testATaskWakingItselfCannotStarveTheOthers() throws {
        let spins = Counter()
        let spinner = executor.spawn(Spinner(counter: spins))
        let worker = executor.spawn(Probe("w", log, steps: 50, value: 1))
        let outcome = try executor.blockOn(worker)
        XCTAssertEqual(try outcome.get(), 1)
        XCTAssertLessThanOrEqual(spins.value, 53, "one poll of the spinner per turn, like everyone else")
        XCTAssertGreaterThanOrEqual(spins.value, 49)
        spinner.cancel()
        _ = try executor.blockOn(spinner)
    }

    func testAnIdleLoopPollsNothingAndSleepsInTheDriver() throws {
        let idle = executor.spawn(Forever(name: "idle", log: log))
        try executor.runUntilIdle()
        let pollsBefore = executor.statistics.polls
        try executor.blockOn(sleep(nanoseconds: 5_000_000_000))
        XCTAssertEqual(log.count("idle.poll"), 1, "a task that was not woken is never polled")
        XCTAssertEqual(executor.statistics.polls - pollsBefore, 2, "the sleep: its first poll, and once when its timer fired")
        XCTAssertTrue(backend.waits.contains(5_000_000_000), "the loop slept in the driver until the timer: \(backend.waits)")
        XCTAssertFalse(backend.waits.contains(nil), "never an unbounded wait with a timer set")
        idle.cancel()
        _ = try executor.blockOn(idle)
    }

    func testBlockOnAFutureNothingCanWakeIsReportedNotHung() {
        XCTAssertThrowsError(try executor.blockOn(Forever(name: "stuck", log: log))) { error in
            guard case .stalled(let name) = error as? ExecutorError else { return XCTFail("\(error)") }
            XCTAssertTrue(name.contains("Forever"))
        }
    }

    func testBlockOnInsideAPollIsRefused() throws {
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        XCTAssertEqual(try executor.blockOn(ReentrantBlockOn()), .reentrantBlockOn)
        let outcome = Log()
        try executor.blockOn(DropsInPoll(victim: BlockOnInDeinit(executor, outcome)))
        XCTAssertEqual(outcome.events, ["\(ExecutorError.reentrantBlockOn)"], "blockOn from a deinit inside a poll")
        XCTAssertEqual(reports.map(\.kind), [.misuse, .misuse])
    }

    func testShutdownAsyncDropsEveryLiveTask() throws {
        for i in 0..<3 { executor.spawn(Forever(name: "t\(i)", log: log, dropSteps: 2)).detach() }
        try executor.runUntilIdle()
        let report = executor.shutdown()
        XCTAssertTrue(report.isClean)
        for i in 0..<3 {
            XCTAssertEqual(log.count("t\(i).dropped"), 1)
            XCTAssertEqual(log.count("t\(i).deinit"), 1)
        }
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testReleasingAnExecutorAsyncDropsItsLiveTasks() throws {
        let log = Log()
        do {
            let local = Executor(backend: IdleBackend())
            local.spawn(Forever(name: "t", log: log, dropSteps: 2)).detach()
            local.spawn(timeout(.seconds(60), Forever(name: "s", log: log))).detach()
            try local.runUntilIdle()
        }
        XCTAssertEqual(log.count("t.dropped"), 1)
        XCTAssertEqual(log.count("t.deinit"), 1)
        XCTAssertEqual(log.count("s.deinit"), 1)
    }

    func testSpawnedTasksRunInSpawnOrder() throws {
        for i in 0..<4 { executor.spawn(Probe("t\(i)", log)).detach() }
        try executor.runUntilIdle()
        XCTAssertEqual(log.events.filter { $0.hasSuffix(".poll") }, ["t0.poll", "t1.poll", "t2.poll", "t3.poll"])
    }
}

final class ExecutorWakeupTests: XCTestCase {
    func testBlockOnReturnsWithoutWaitingForAnotherTasksTimer() throws {
        let backend = IdleBackend()
        let executor = Executor(backend: backend)
        let log = Log()
        let sleeper = executor.spawn(timeout(.seconds(60), Forever(name: "s", log: log)))
        let start = backend.clock
        _ = try executor.blockOn(Probe("p", log, steps: 2))
        XCTAssertEqual(backend.clock, start, "the loop never slept: the future it waited for was ready")
        sleeper.cancel()
        _ = try executor.blockOn(sleeper)
    }
}
