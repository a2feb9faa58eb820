import XCTest
@testable import Quiesce

/// Polls an inner future and logs when it becomes ready, so tests can order that against drops.
struct Logged<F: Future & ~Copyable>: Future, ~Copyable {
    var inner: F
    let label: String
    let log: Log
    mutating func poll(_ cx: inout Context) -> Poll<F.Output> {
        switch inner.poll(&cx) {
        case .pending: return .pending
        case .ready(let output):
            log("\(label).ready")
            return .ready(output)
        }
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { inner.pollDropReady(&cx) }
}

/// A scope body that spawns `count` children (each a `Probe` of `steps`) on its first poll.
struct FanOut: ScopeBody {
    let log: Log
    let count: Int
    let steps: Int
    var started = false
    mutating func poll(_ cx: inout Context, _ scope: borrowing ScopeSpawner) -> Poll<Int> {
        if !started {
            started = true
            for i in 0..<count { scope.spawn(Probe("c\(i)", log, steps: steps, dropSteps: 1)).detach() }
        }
        log("body.ready")
        return .ready(count)
    }
}

/// A scope body that spawns children that never finish, and never finishes itself.
struct Hang: ScopeBody {
    let log: Log
    var started = false
    mutating func poll(_ cx: inout Context, _ scope: borrowing ScopeSpawner) -> Poll<Int> {
        if !started {
            started = true
            for i in 0..<2 { scope.spawn(Forever(name: "h\(i)", log: log, dropSteps: 2)).detach() }
        }
        return .pending
    }
}

final class CombinatorTests: XCTestCase {
    var executor: Executor!
    var log: Log!

    override func setUp() {
        executor = Executor(backend: IdleBackend())
        log = Log()
    }

    func testSelectDropsTheLoserBeforeItIsReady() throws {
        let race = Logged(inner: select(Probe("fast", log, steps: 1, value: 3), Forever(name: "slow", log: log, dropSteps: 2)),
                          label: "select", log: log)
        let winner = try executor.blockOn(race)
        guard case .first(let value) = consume winner else { return XCTFail("the fast side wins") }
        XCTAssertEqual(value, 3)
        let loserDropped = try XCTUnwrap(log.events.firstIndex(of: "slow.dropped"))
        let selectReady = try XCTUnwrap(log.events.firstIndex(of: "select.ready"))
        XCTAssertLessThan(loserDropped, selectReady)
        XCTAssertEqual(log.count("slow.deinit"), 1)
    }

    func testSelectSecondSideCanWin() throws {
        let winner = try executor.blockOn(select(Forever(name: "a", log: log), Probe("b", log, steps: 0, value: 8)))
        guard case .second(let value) = consume winner else { return XCTFail("b wins") }
        XCTAssertEqual(value, 8)
        XCTAssertEqual(log.count("a.dropped"), 1)
    }

    func testJoinDeliversBothOutputsAndPollsNeitherAfterItIsReady() throws {
        let both = try executor.blockOn(join(Probe("a", log, steps: 0, value: 1), Probe("b", log, steps: 3, value: 2)))
        XCTAssertEqual(both.first, 1)
        XCTAssertEqual(both.second, 2)
        XCTAssertEqual(log.count("a.poll"), 1)
        XCTAssertEqual(log.count("b.poll"), 4)
    }

    func testTimeoutDropsTheInnerFutureBeforeReporting() throws {
        let limited = Logged(inner: timeout(nanoseconds: 1_000_000, Forever(name: "inner", log: log, dropSteps: 2)),
                             label: "timeout", log: log)
        let outcome = try executor.blockOn(limited)
        XCTAssertEqual(outcome.failureValue, TimedOut())
        let innerDropped = try XCTUnwrap(log.events.firstIndex(of: "inner.dropped"))
        XCTAssertLessThan(innerDropped, try XCTUnwrap(log.events.firstIndex(of: "timeout.ready")))
    }

    func testTimeoutPassesTheOutputThroughWhenInTime() throws {
        let outcome = try executor.blockOn(timeout(.seconds(1), Probe("p", log, steps: 2, value: 4)))
        XCTAssertEqual(try outcome.get(), 4)
        XCTAssertEqual(executor.armedTimerCount, 0, "the timer is removed once the timeout is done")
    }

    func testOneDeadlineSharedBySleepAndTimeout() throws {
        let backend = IdleBackend()
        let executor = Executor(backend: backend)
        let deadline = executor.deadline(after: .seconds(5))
        try executor.blockOn(sleep(until: deadline))
        XCTAssertEqual(executor.now, deadline, "woke exactly at the deadline (virtual clock)")
        try executor.blockOn(sleep(until: deadline))  // a deadline already passed: ready at once
        XCTAssertEqual(executor.now, deadline, "and did not sleep")

        let later = executor.deadline(after: .milliseconds(10))
        let outcome = try executor.blockOn(timeout(until: later, Forever(name: "f", log: log, dropSteps: 1)))
        XCTAssertEqual(outcome.failureValue, TimedOut())
        XCTAssertEqual(executor.now, later)
        XCTAssertEqual(log.count("f.dropped"), 1, "the inner future was async-dropped before TimedOut")
    }

    func testYieldLetsTheOthersRunFirst() throws {
        struct YieldThenLog: Future {
            let log: Log
            var y = Yield()
            mutating func poll(_ cx: inout Context) -> Poll<Void> {
                guard y.poll(&cx).isReady else { return .pending }
                log("yielder.done")
                return .ready(())
            }
        }
        executor.spawn(YieldThenLog(log: log)).detach()
        executor.spawn(Probe("other", log)).detach()
        try executor.runUntilIdle()
        XCTAssertEqual(log.events.filter { !$0.hasSuffix("dropped") && !$0.hasSuffix("deinit") }, ["other.poll", "yielder.done"])
    }

    func testSleepsFireInDeadlineOrder() throws {
        struct Sleeper: Future, ~Copyable {
            var sleep: Sleep
            let name: String
            let log: Log
            mutating func poll(_ cx: inout Context) -> Poll<Void> {
                guard sleep.poll(&cx).isReady else { return .pending }
                log(name)
                return .ready(())
            }
            mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { sleep.pollDropReady(&cx) }
        }
        for (name, ms) in [("c", 30), ("a", 10), ("b", 20)] {
            executor.spawn(Sleeper(sleep: Sleep(nanoseconds: UInt64(ms) * 1_000_000), name: name, log: log)).detach()
        }
        try executor.blockOn(sleep(nanoseconds: 40_000_000))
        XCTAssertEqual(log.events, ["a", "b", "c"])
    }

    func testScopeCompletesOnlyAfterEveryChild() throws {
        let count = try executor.blockOn(Logged(inner: Scope(FanOut(log: log, count: 3, steps: 4)), label: "scope", log: log))
        XCTAssertEqual(count, 3)
        let scopeReady = try XCTUnwrap(log.events.firstIndex(of: "scope.ready"))
        XCTAssertLessThan(try XCTUnwrap(log.events.firstIndex(of: "body.ready")), scopeReady)
        for i in 0..<3 {
            XCTAssertLessThan(try XCTUnwrap(log.events.firstIndex(of: "c\(i).deinit")), scopeReady,
                              "child \(i) completed and was dropped before the scope")
        }
    }

    func testCancellingAScopeCancelsItsChildrenAndAwaitsTheirDrops() throws {
        let handle = executor.spawn(Scope(Hang(log: log)))
        try executor.runUntilIdle()
        XCTAssertEqual(log.count("h0.poll"), 1)
        handle.cancel()
        let outcome = try executor.blockOn(handle)
        XCTAssertEqual(outcome.failureValue, Cancelled())
        for i in 0..<2 {
            XCTAssertEqual(log.count("h\(i).dropping"), 2)
            XCTAssertEqual(log.count("h\(i).deinit"), 1, "child \(i) was dropped before the scope's task finished")
        }
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testAsyncDroppingAScopeWaitsForItsChildren() throws {
        struct DropScopeMidway: Future, ~Copyable {
            var scope: Scope<Hang>?
            var polled = false
            let log: Log
            mutating func poll(_ cx: inout Context) -> Poll<Void> {
                if !polled {
                    polled = true
                    _ = scope!.poll(&cx)
                    cx.waker.wake()
                    return .pending
                }
                guard scope.pollDropReady(&cx).isReady else { return .pending }
                log("scope.dropped")
                scope = nil
                return .ready(())
            }
            mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { scope.pollDropReady(&cx) }
        }
        try executor.blockOn(DropScopeMidway(scope: Scope(Hang(log: log)), log: log))
        let scopeDropped = try XCTUnwrap(log.events.firstIndex(of: "scope.dropped"))
        for i in 0..<2 {
            XCTAssertLessThan(try XCTUnwrap(log.events.firstIndex(of: "h\(i).deinit")), scopeDropped)
        }
    }
}
