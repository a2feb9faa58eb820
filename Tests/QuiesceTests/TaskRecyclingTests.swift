import XCTest
@testable import Quiesce

/// Keeps a waker where a user future might: in a shared object, to wake it later.
final class WakerBox { var waker: Waker? }

/// Stores its waker in `box` and completes at once.
struct StoresWaker: Future {
    let box: WakerBox
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        box.waker = cx.waker
        return .ready(())
    }
}

/// Pending forever, counting its polls.
struct CountsPolls: Future {
    let counter: Counter
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        counter.value += 1
        return .pending
    }
}

/// Counts deinits of values it is attached to.
final class DeinitTally { var count = 0 }

/// An output that reports its own release.
final class TrackedOutput {
    let tally: DeinitTally
    init(_ tally: DeinitTally) { self.tally = tally }
    deinit { tally.count += 1 }
}

/// Completes at once with a ``TrackedOutput``.
struct MakesTrackedOutput: Future {
    let tally: DeinitTally
    mutating func poll(_ cx: inout Context) -> Poll<TrackedOutput> { .ready(TrackedOutput(tally)) }
}

/// A noncopyable output that reports its own release.
struct UniqueOutput: ~Copyable {
    let value: Int
    let tally: DeinitTally
    deinit { tally.count += 1 }
}

/// A large noncopyable future (its payload does not fit a small task's block) whose deinit is counted
/// and whose output is noncopyable.
struct LargeFuture: Future, ~Copyable {
    var payload: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int,
                  Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)
    let tally: DeinitTally
    let outputTally: DeinitTally

    init(seed: Int, tally: DeinitTally, outputTally: DeinitTally) {
        payload = (seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed,
                   seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed, seed)
        self.tally = tally
        self.outputTally = outputTally
    }

    mutating func poll(_ cx: inout Context) -> Poll<UniqueOutput> {
        .ready(UniqueOutput(value: payload.0 + payload.15 + payload.31, tally: outputTally))
    }

    deinit { tally.count += 1 }
}

/// Wakes its own task during its last poll (so the task finishes while queued).
struct WakesSelfThenCompletes: Future {
    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        cx.waker.wake()
        return .ready(7)
    }
}

/// Executors recycle finished tasks; recycling must be invisible.
final class TaskRecyclingTests: XCTestCase {
    var executor: Executor!

    override func setUp() { executor = Executor(backend: IdleBackend()) }
    override func tearDown() { executor = nil }

    func testAFinishedUnreferencedTaskIsReusedForTheNextSpawn() throws {
        XCTAssertEqual(try executor.blockOn(Countdown(steps: 0)), 42)  // warm up: blockOn's own task
        let first = executor.spawn(Countdown(steps: 1))
        try executor.runUntilIdle()
        let firstTask = ObjectIdentifier(first.task!.takeUnretainedValue())
        _ = consume first
        let second = executor.spawn(Countdown(steps: 0))
        XCTAssertEqual(ObjectIdentifier(second.task!.takeUnretainedValue()), firstTask)
        let result = try executor.blockOn(second)
        XCTAssertEqual(result, .success(42))
    }

    func testATaskJoinedAfterTheNextSpawnIsStillReusedLater() throws {
        let first = executor.spawn(Countdown(steps: 0))
        try executor.runUntilIdle()
        let firstTask = ObjectIdentifier(first.task!.takeUnretainedValue())
        var seen: Set<ObjectIdentifier> = []
        for _ in 0..<1 {
            let next = executor.spawn(Countdown(steps: 0))  // `first` is pooled but still referenced
            seen.insert(ObjectIdentifier(next.task!.takeUnretainedValue()))
            try executor.runUntilIdle()
        }
        XCTAssertFalse(seen.contains(firstTask))
        _ = consume first
        var reused = false
        for _ in 0..<4 {
            let next = executor.spawn(Countdown(steps: 0))
            reused = reused || ObjectIdentifier(next.task!.takeUnretainedValue()) == firstTask
            try executor.runUntilIdle()
        }
        XCTAssertTrue(reused)
    }

    func testAStoredWakerOfAFinishedTaskNeverWakesALaterTask() throws {
        let box = WakerBox()
        guard case .success = try executor.blockOn(executor.spawn(StoresWaker(box: box))) else { return XCTFail("cancelled") }
        let counters = (0..<8).map { _ in Counter() }
        var handles: [UncheckedHandle] = []
        for counter in counters { handles.append(UncheckedHandle(executor.spawn(CountsPolls(counter: counter)))) }
        try executor.runUntilIdle()
        XCTAssertEqual(counters.map(\.value), Array(repeating: 1, count: 8))
        let polls = executor.statistics.polls

        box.waker!.wake()  // the finished task: nothing to poll
        try executor.runUntilIdle()

        XCTAssertEqual(counters.map(\.value), Array(repeating: 1, count: 8))
        XCTAssertEqual(executor.statistics.polls, polls)
        for handle in handles { handle.handle.cancel() }
        try executor.runUntilIdle()
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testADetachedTasksOutputIsReleasedWhenItFinishes() throws {
        let tally = DeinitTally()
        executor.spawn(MakesTrackedOutput(tally: tally)).detach()
        try executor.runUntilIdle()
        XCTAssertEqual(tally.count, 1)
    }

    func testAnOutputNobodyJoinedIsReleasedWithItsHandle() throws {
        let tally = DeinitTally()
        let handle = executor.spawn(MakesTrackedOutput(tally: tally))
        try executor.runUntilIdle()
        XCTAssertTrue(handle.isFinished)
        XCTAssertEqual(tally.count, 0)
        _ = consume handle
        XCTAssertEqual(tally.count, 1)
    }

    func testRecycledTasksCarryFuturesOfOtherSizesAndTypes() throws {
        let futureTally = DeinitTally(), outputTally = DeinitTally(), trackedTally = DeinitTally()
        for round in 1...20 {
            XCTAssertEqual(try executor.blockOn(executor.spawn(Countdown(steps: round % 3))), .success(42))
            switch try executor.blockOn(executor.spawn(LargeFuture(seed: round, tally: futureTally, outputTally: outputTally))) {
            case .success(let output): XCTAssertEqual(output.value, 3 * round)
            case .failure: XCTFail("cancelled")
            }
            switch try executor.blockOn(executor.spawn(MakesTrackedOutput(tally: trackedTally))) {
            case .success(let output): XCTAssertTrue(output.tally === trackedTally)
            case .failure: XCTFail("cancelled")
            }
            XCTAssertEqual(futureTally.count, round)  // every future released exactly once
            XCTAssertEqual(outputTally.count, round)
            XCTAssertEqual(trackedTally.count, round)
        }
        XCTAssertEqual(executor.statistics.spawned, executor.statistics.finished)
    }

    func testATaskFinishingWhileQueuedIsSafeToRecycle() throws {
        for _ in 0..<50 { executor.spawn(WakesSelfThenCompletes()).detach() }
        var joined = executor.spawn(WakesSelfThenCompletes())
        try executor.runUntilIdle()
        XCTAssertEqual(executor.liveTaskCount, 0)
        let first = try executor.blockOn(consume joined)
        XCTAssertEqual(first, .success(7))
        joined = executor.spawn(WakesSelfThenCompletes())
        let second = try executor.blockOn(joined)
        XCTAssertEqual(second, .success(7))
        XCTAssertEqual(executor.statistics.spawned, executor.statistics.finished)
    }

    func testTheExecutorGoesAwayWithPooledAndStillReferencedTasks() throws {
        let box = WakerBox()
        var local: Executor? = Executor(backend: IdleBackend())
        guard case .success = try local!.blockOn(local!.spawn(StoresWaker(box: box))) else { return XCTFail("cancelled") }
        for _ in 0..<5 { XCTAssertEqual(try local!.blockOn(local!.spawn(Countdown(steps: 1))), .success(42)) }
        local = nil
        box.waker!.wake()  // its task outlived the executor, finished: nothing happens
        box.waker = nil
    }
}

/// Holds a (noncopyable) join handle in an array.
final class UncheckedHandle {
    let handle: JoinHandle<Void>
    init(_ handle: consuming JoinHandle<Void>) { self.handle = handle }
}

/// A future of 2 KiB, complete at once.
struct WideFuture: Future {
    var a = SIMD64<UInt64>(repeating: 1), b = SIMD64<UInt64>(repeating: 2)
    var c = SIMD64<UInt64>(repeating: 3), d = SIMD64<UInt64>(repeating: 4)
    mutating func poll(_ cx: inout Context) -> Poll<UInt64> { .ready(a[0] + b[1] + c[2] + d[63]) }
}

extension TaskRecyclingTests {
    func testThePoolKeepsABoundedAmountOfMemory() throws {
        var handles: [UncheckedHandle] = []
        for _ in 0..<(TaskPool.limit + 100) { handles.append(UncheckedHandle(executor.spawn(CountsPolls(counter: Counter())))) }
        try executor.runUntilIdle()
        for handle in handles { handle.handle.cancel() }
        try executor.runUntilIdle()
        handles.removeAll()
        XCTAssertEqual(executor.liveTaskCount, 0)
        XCTAssertEqual(executor.pool.count, TaskPool.limit)
        XCTAssertLessThanOrEqual(executor.pool.blockBytes, TaskPool.blockBudget)
    }

    func testThePoolKeepsABoundedAmountOfFutureMemory() throws {
        for _ in 0..<TaskPool.limit { executor.spawn(WideFuture()).detach() }
        try executor.runUntilIdle()
        XCTAssertEqual(executor.statistics.finished, TaskPool.limit)
        XCTAssertLessThan(executor.pool.count, TaskPool.limit)
        XCTAssertGreaterThan(executor.pool.count, 0)
        XCTAssertLessThanOrEqual(executor.pool.blockBytes, TaskPool.blockBudget)
        let result = try executor.blockOn(executor.spawn(WideFuture()))
        XCTAssertEqual(result, .success(10))
    }
}
