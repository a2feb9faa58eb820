import XCTest
@testable import Quiesce

/// Takes a set's outputs as they come, logging each poll ("set.poll") and each output, and stays
/// pending while the set is (it never finishes on its own: the test cancels it).
private struct Watch: Future, ~Copyable {
    var set: JoinSet<Int>
    let log: Log
    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        log("set.poll")
        while case .ready(let next?) = set.pollNext(&cx) { log("got \((try? next.get()) ?? -1)") }
        return .pending
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { set.pollDropReady(&cx) }
}

/// A noncopyable output that records its release.
private struct Released: ~Copyable {
    let name: String
    let log: Log
    deinit { log("\(name).released") }
}

/// Pending forever, and so is its drop; nothing ever wakes it.
private struct Stuck: Future {
    mutating func poll(_ cx: inout Context) -> Poll<Int> { .pending }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { .pending }
}

/// A ``JoinSet``'s members report to it as they finish: it waits with one waker, is woken once,
/// yields in the order members finished, and leaves nothing pointing at it once released.
final class JoinSetCompletionTests: XCTestCase {
    func testSeveralMembersCompletingBetweenTwoPollsComeInTheOrderTheyCompleted() throws {
        // The first turn polls a, b and c: c completes, a asks for one more poll; the second turn
        // polls a, which completes. Only then is the set polled: c completed first, though a was
        // added first.
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        var set = JoinSet<Int>()
        set.spawn(Probe("a", log, steps: 1, value: 1), on: executor)
        set.spawn(Forever(name: "b", log: log), on: executor)
        set.spawn(Probe("c", log, steps: 0, value: 3), on: executor)
        try executor.runUntilIdle()
        var cx = Context()
        var seen: [Int] = []
        while case .ready(let next?) = set.pollNext(&cx) { seen.append(try next.get()) }
        XCTAssertEqual(seen, [3, 1])
        XCTAssertEqual(set.count, 1)
        try executor.blockOn(asyncDrop(set))
        XCTAssertEqual(log.count("b.dropped"), 1)
    }

    func testAWaitingSetHoldsOneWakerWhateverItsSize() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        var set = JoinSet<Int>()
        for i in 0..<99 { set.spawn(Forever(name: "f\(i)", log: log), on: executor) }
        set.spawn(Probe("p", log, steps: 2, value: 7), on: executor)
        let watch = executor.spawn(Watch(set: set, log: log))
        let watcher = watch.task!.takeUnretainedValue()
        try executor.runUntilIdle()
        XCTAssertEqual(log.events.filter { $0.hasPrefix("got") }, ["got 7"])
        XCTAssertEqual(log.count("set.poll"), 2, "polled once to wait, once when the one member completed")
        XCTAssertEqual(watcher.holds, 1, "the set waits with one waker, not one per member")
        try executor.blockOn(asyncDrop(watch))
        XCTAssertEqual(watcher.holds, 0, "the set's drop let its waker go")
        XCTAssertEqual((0..<99).map { log.count("f\($0).dropped") }, Array(repeating: 1, count: 99))
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testMembersCompletingWhileTheSetWaitsWakeItOnce() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        let counter = CountingWaker()
        var cx = Context(waker: Waker(counter))
        var set = JoinSet<Int>()
        for i in 0..<10 { set.spawn(Probe("p\(i)", log, steps: i % 3, value: i), on: executor) }
        XCTAssertFalse(set.pollNext(&cx).isReady)
        try executor.runUntilIdle()
        XCTAssertEqual(counter.wakes, 1, "woken by the first member to complete; the others find it awake")
        var seen: [Int] = []
        while case .ready(let next?) = set.pollNext(&cx) { seen.append(try next.get()) }
        XCTAssertEqual(seen, [0, 3, 6, 9, 1, 4, 7, 2, 5, 8], "in the order they completed")
        XCTAssertTrue(set.isEmpty)
    }

    func testAHandleThatAlreadyFinishedIsYieldedOnceInserted() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        let done = executor.spawn(Probe("done", log, value: 5))
        try executor.runUntilIdle()
        XCTAssertTrue(done.isFinished)
        var set = JoinSet<Int>()
        set.spawn(Forever(name: "f", log: log), on: executor)
        set.insert(done)
        var cx = Context()
        guard case .ready(let next?) = set.pollNext(&cx) else { return XCTFail("the finished member is ready") }
        XCTAssertEqual(try next.get(), 5)
        XCTAssertFalse(set.pollNext(&cx).isReady)
        try executor.blockOn(asyncDrop(set))
        XCTAssertEqual(log.count("f.dropped"), 1)
    }

    func testASetReleasedWithoutItsAsyncDropLeavesItsMembersNothingToReportTo() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        weak var weakCounter: CountingWaker?
        do {
            let counter = CountingWaker()
            weakCounter = counter
            var cx = Context(waker: Waker(counter))
            var set = JoinSet<Int>()
            for i in 0..<3 { set.spawn(Forever(name: "f\(i)", log: log, dropSteps: 2), on: executor) }
            set.spawn(Probe("p", log, value: 1), on: executor)
            try executor.runUntilIdle()
            XCTAssertTrue(set.pollNext(&cx).isReady, "p completed")
            XCTAssertFalse(set.pollNext(&cx).isReady, "waiting, with the counter as its waker")
        }
        XCTAssertNil(weakCounter, "the waker the set held went with it")
        try executor.runUntilIdle()  // the members finish their drops in the background
        XCTAssertEqual((0..<3).map { log.count("f\($0).dropped") }, [1, 1, 1])
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testOutputsNeverTakenAreReleasedOnceWhenTheSetIsReleasedWithoutItsDrop() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        do {
            var set = JoinSet<Released>()
            set.spawn(ready(Released(name: "a", log: log)), on: executor)
            set.spawn(ready(Released(name: "b", log: log)), on: executor)
            set.spawn(Forever(name: "f", log: log).map { _ in Released(name: "never", log: log) }, on: executor)
            try executor.runUntilIdle()
            XCTAssertEqual(log.events.filter { $0.hasSuffix(".released") }, [], "completed, kept for a taker")
        }
        XCTAssertEqual(log.events.filter { $0.hasSuffix(".released") }.sorted(), ["a.released", "b.released"])
        try executor.runUntilIdle()
        XCTAssertEqual(log.events.filter { $0.hasSuffix(".released") }.sorted(), ["a.released", "b.released"])
        XCTAssertEqual(log.count("f.dropped"), 1, "the member still running was cancelled and dropped in the background")
    }

    func testMembersReleasedByTheExecutorsTeardownAreYieldedAsCancelled() throws {
        let log = Log()
        var set = JoinSet<Int>()
        do {
            let executor = Executor(backend: IdleBackend())
            executor.diagnosticHandler = { _ in }
            set.spawn(Stuck(), on: executor)
            set.spawn(Probe("p", log, value: 1), on: executor)
            try executor.runUntilIdle()
        }  // the executor goes: its shutdown cannot drop `Stuck`, which it then releases
        var cx = Context()
        guard case .ready(let first?) = set.pollNext(&cx) else { return XCTFail("p completed") }
        XCTAssertEqual(try first.get(), 1)
        guard case .ready(let second?) = set.pollNext(&cx) else { return XCTFail("Stuck was released, so finished") }
        XCTAssertThrowsError(try second.get()) { XCTAssertTrue($0 is Cancelled) }
        XCTAssertTrue(set.isEmpty)
    }
}
