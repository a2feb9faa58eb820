import XCTest
import Glibc
@testable import Quiesce

/// A noncopyable output that records its release.
private struct Tracked: ~Copyable {
    let name: String
    let log: Log
    deinit { log("\(name).released") }
}

/// Collects a set's outputs by polling it in place until it is empty.
private struct Drain: Future, ~Copyable {
    var set: JoinSet<Int>
    var seen: [Int] = []
    mutating func poll(_ cx: inout Context) -> Poll<[Int]> {
        while true {
            switch set.pollNext(&cx) {
            case .pending: return .pending
            case .ready(nil): return .ready(seen)
            case .ready(let result?): seen.append((try? result.get()) ?? -1)
            }
        }
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { set.pollDropReady(&cx) }
}

/// Sets of tasks and of futures (§8): outputs in completion order, drop cancels and awaits all.
final class JoinSetTests: XCTestCase {
    func testOutputsComeInCompletionOrder() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        var set = JoinSet<Int>()
        set.spawn(Probe("slow", log, steps: 5, value: 30), on: executor)
        set.spawn(Probe("fast", log, steps: 1, value: 10), on: executor)
        set.spawn(Probe("middle", log, steps: 3, value: 20), on: executor)
        XCTAssertEqual(set.count, 3)
        let seen = try executor.blockOn(Drain(set: set))
        XCTAssertEqual(seen, [10, 20, 30])
        let all = try executor.blockOn({ () -> JoinAll<Int> in
            var again = JoinSet<Int>()
            again.spawn(Probe("b", log, steps: 2, value: 2), on: executor)
            again.spawn(Probe("a", log, steps: 0, value: 1), on: executor)
            return again.joinAll()
        }())
        XCTAssertEqual(all.map { try? $0.get() }, [1, 2])
    }

    func testDroppingTheSetCancelsEveryMemberAndAwaitsTheirDrops() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        var set = JoinSet<Int>()
        for i in 0..<4 { set.spawn(Forever(name: "t\(i)", log: log, dropSteps: 2), on: executor) }
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(set))
        XCTAssertEqual(executor.liveTaskCount, 0, "every member was cancelled and its drop awaited")
        for i in 0..<4 { XCTAssertEqual(log.count("t\(i).dropped"), 1) }
    }

    func testCancelAllYieldsCancelledForTheMembersThatHadNotCompleted() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        var set = JoinSet<Int>()
        set.spawn(Probe("done", log, value: 7), on: executor)
        set.spawn(Forever(name: "f", log: log), on: executor)
        try executor.runUntilIdle()
        set.cancelAll()
        let seen = try executor.blockOn(Drain(set: set))
        XCTAssertEqual(seen.sorted(), [-1, 7])
    }

    func testOutputsNeverTakenAreReleasedOnceWithTheSet() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        do {
            var set = JoinSet<Tracked>()
            set.spawn(ready(Tracked(name: "a", log: log)), on: executor)
            set.spawn(ready(Tracked(name: "b", log: log)), on: executor)
            try executor.runUntilIdle()
            XCTAssertEqual(log.events, [], "completed, kept for a taker")
            try executor.blockOn(asyncDrop(set))
        }
        XCTAssertEqual(log.events.sorted(), ["a.released", "b.released"])
    }

    func testAScopesChildrenCanBeJoinedThroughASet() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        struct Body: ScopeBody, ~Copyable {
            let log: Log
            var set = JoinSet<Int>()
            var started = false
            var total = 0
            mutating func poll(_ cx: inout Context, _ scope: borrowing ScopeSpawner) -> Poll<Int> {
                if !started {
                    started = true
                    for i in 1...3 { set.insert(scope.spawn(Probe("c\(i)", log, steps: i, value: i))) }
                }
                while case .ready(let next?) = set.pollNext(&cx) { total += (try? next.get()) ?? 0 }
                return set.isEmpty ? .ready(total) : .pending
            }
            mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { set.pollDropReady(&cx) }
        }
        let total = try executor.blockOn(Scope(Body(log: log)))
        XCTAssertEqual(total, 6)
    }
}

final class FutureSetTests: RingPipeTestCase {
    func testOutputsComeAsTheirCompletionsArriveAndTheDropCancelsTheRest() throws {
        let (r2, w2) = try Sockets.pipe()
        defer { close(r2); close(w2) }
        var reads = FutureSet<ReadOp>()
        reads.insert(IO.read(r, into: IOBuffer(capacity: 16)))
        reads.insert(IO.read(r2, into: IOBuffer(capacity: 16)))
        reads.insert(IO.read(r2, into: IOBuffer(capacity: 16)))
        var cx = Context(waker: .noop, executor: executor)
        XCTAssertFalse(reads.pollNext(&cx).isReady)
        try executor.driver.turn(waitNanos: 0)
        put(w2, "second")
        var first: String?
        for _ in 0..<100 where first == nil {
            try executor.driver.turn(waitNanos: 1_000_000)
            if case .ready(let done?) = reads.pollNext(&cx) { first = done.buffer.string }
        }
        XCTAssertEqual(first, "second")
        XCTAssertEqual(reads.count, 2)
        try executor.blockOn(asyncDrop(reads))
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.orphanCount, 0, "cancelled and awaited, not orphaned")
    }
}

/// Polls a join handle once (so the other task holds this one as its waiter), then lets the other
/// task run on without it and finishes.
private struct WaitOnceThenDetach: Future, ~Copyable {
    var handle: JoinHandle<Int>?
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        _ = handle!.poll(&cx)
        handle.take()!.detach()
        return .ready(())
    }
}

final class JoinWaiterTests: XCTestCase {
    func testAWaiterThatFinishesFirstIsKeptUntilTheTaskItWaitedOnLetsGo() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        weak var weakWaiter: RawTask?
        let member = executor.spawn(Probe("member", log, steps: 6, value: 1))
        do {
            let waiter = executor.spawn(WaitOnceThenDetach(handle: member))
            let task = waiter.task!.takeUnretainedValue()
            weakWaiter = task
            _ = try executor.blockOn(waiter)
            XCTAssertEqual(task.phase, .finished)
            XCTAssertEqual(task.holds, 1, "the member, still running, counts the finished waiter as its join waiter")
            XCTAssertTrue(task.keptForHolds)
        }
        XCTAssertNotNil(weakWaiter, "kept alive for the member's hold")
        try executor.runUntilIdle()
        XCTAssertEqual(log.count("member.poll"), 7)
        XCTAssertEqual(weakWaiter?.holds ?? 0, 0, "the member finished and let go")
        XCTAssertFalse(weakWaiter?.keptForHolds ?? false, "the reference it kept for the hold is given back (the pool may reuse it now)")
        XCTAssertEqual(executor.liveTaskCount, 0)
    }
}
