import XCTest
@testable import Quiesce

/// A future pending forever that owns a droppable state; its drop drops the state.
private struct Holding: Future, ~Copyable {
    var state: Part
    mutating func poll(_ cx: inout Context) -> Poll<LoopStep<Part, Int>> { .pending }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { state.pollDropReady(&cx) }
}

/// Combinators (§8): each holds one live stage, so a chain's async drop drops that stage only.
final class ComposeTests: XCTestCase {
    var log: Log!
    var executor: Executor!

    override func setUp() {
        log = Log()
        executor = Executor(backend: IdleBackend())
    }

    func testMapTransformsOnceTheInnerFutureIsDropped() throws {
        let log = self.log!
        let doubled = Probe("a", log, steps: 1, dropSteps: 1, value: 21).map { value -> Int in
            log("map")
            return value * 2
        }
        let result = try executor.blockOn(doubled)
        XCTAssertEqual(result, 42)
        XCTAssertEqual(log.events.filter { !$0.hasSuffix(".poll") },
                       ["a.dropping", "a.dropped", "a.deinit", "map"], "the stage is dropped and released before its output moves on")
    }

    func testThenDropsOnlyTheLiveStageWhereverItIsCancelled() throws {
        // Cancelled in the first stage: the second is never built.
        let log = self.log!
        let first = executor.spawn(Forever(name: "a", log: log, dropSteps: 1).then { _ -> Forever in
            log("built-b")
            return Forever(name: "b", log: log)
        })
        try executor.runUntilIdle()
        first.cancel()
        try executor.blockOn(asyncDrop(first))
        XCTAssertEqual(log.count("a.dropped"), 1)
        XCTAssertEqual(log.count("a.deinit"), 1)
        XCTAssertEqual(log.count("built-b"), 0)

        // Cancelled in the second stage: the first was dropped once, when it completed; only the second
        // is dropped by the cancel.
        log.events.removeAll()
        let second = executor.spawn(Probe("a", log, dropSteps: 1).then { _ in Forever(name: "b", log: log, dropSteps: 2) })
        try executor.runUntilIdle()
        XCTAssertEqual(log.count("b.poll"), 1)
        XCTAssertEqual(log.count("a.deinit"), 1, "the finished stage is gone before the next one runs")
        try executor.blockOn(asyncDrop(second))
        XCTAssertEqual(log.count("a.dropped"), 1)
        XCTAssertEqual(log.count("b.dropped"), 1)
        XCTAssertEqual(log.count("b.deinit"), 1)
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testThenBuildsTheNextStageInPlaceOfTheReleasedFirstOne() throws {
        // The two stages share one storage: `Either`, a generic enum, keeps its case in a byte of its
        // own (the layout the runtime gives generic enums), so the next stage is built in place over
        // the released first one, whether the two stages have one type or two. The order holds: the
        // first stage's drop, then its release, then the next stage built from its output.
        typealias Differing = Then<Probe, (consuming Int) -> Forever, Forever>
        typealias Same = Then<Probe, (consuming Int) -> Probe, Probe>
        XCTAssertTrue(Differing.Stages.payloadsMutateInPlace)
        XCTAssertTrue(Same.Stages.payloadsMutateInPlace)
        let log = self.log!
        let differing: Differing = Probe("a", log, dropSteps: 1, value: 1).then { n in
            log("built-b\(n)")
            return Forever(name: "b", log: log, dropSteps: 1)
        }
        let inPlace = executor.spawn(differing)
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(inPlace))
        let same: Same = Probe("c", log, dropSteps: 1, value: 2).then { n in
            log("built-d\(n)")
            return Probe("d", log, dropSteps: 1, value: n * 10)
        }
        let output = try executor.blockOn(same)
        XCTAssertEqual(output, 20)
        XCTAssertEqual(log.events.filter { !$0.hasSuffix(".poll") },
                       ["a.dropping", "a.dropped", "a.deinit", "built-b1", "b.dropping", "b.dropped", "b.deinit",
                        "c.dropping", "c.dropped", "c.deinit", "built-d2", "d.dropping", "d.dropped", "d.deinit"])
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testNoncopyableOutputsMoveThroughMapAndThen() throws {
        let chain = ready(IOBuffer(string: "hello"))
            .then { buffer in ready(buffer) }
            .map { buffer -> IOBuffer in
                var buffer = buffer
                buffer.truncate(to: 4)
                return buffer
            }
            .map { buffer in buffer.string }
        let text = try executor.blockOn(chain)
        XCTAssertEqual(text, "hell")
    }

    func testEitherRunsTheChosenBranchOnly() throws {
        let log = self.log!
        func pick(_ n: Int) -> Then<Ready<Int>, (consuming Int) -> Either<Ready<Int>, Probe>, Either<Ready<Int>, Probe>> {
            ready(n).then { n in n > 0 ? .first(ready(n)) : .second(Probe("slow", log, steps: 2, value: -1)) }
        }
        XCTAssertEqual(try executor.blockOn(pick(7)), 7)
        XCTAssertEqual(log.events, [])
        XCTAssertEqual(try executor.blockOn(pick(0)), -1)
        XCTAssertEqual(log.count("slow.poll"), 3)
    }

    func testLoopCarriesItsStateThroughIterations() throws {
        struct Counter: ~Copyable { var n: Int; var buffer: IOBuffer }
        let counted = loop(Counter(n: 0, buffer: IOBuffer(capacity: 16))) { state -> Ready<LoopStep<Counter, String>> in
            var state = state
            guard state.n < 10 else { return ready(.done(state.buffer.string)) }
            state.buffer.append(contentsOf: Array("\(state.n)".utf8))
            state.n += 1
            return ready(.next(state))
        }
        let digits = try executor.blockOn(counted)
        XCTAssertEqual(digits, "0123456789")
    }

    func testALoopOfInstantIterationsYieldsToOthers() throws {
        let log = self.log!
        let spinner = executor.spawn(loop(0) { n -> Ready<LoopStep<Int, Int>> in
            ready(n < 1000 ? .next(n + 1) : .done(n))
        })
        let other = executor.spawn(Probe("other", log))
        try executor.runUntilIdle()
        XCTAssertEqual(log.count("other.poll"), 1)
        XCTAssertGreaterThanOrEqual(executor.statistics.polls, 1000 / Loop<Int, Int, Ready<LoopStep<Int, Int>>>.iterationsPerPoll)
        let spun = try executor.blockOn(spinner)
        XCTAssertEqual(try spun.get(), 1000)
        _ = try executor.blockOn(other)
    }

    func testDroppingALoopReleasesTheStateInsideItsLiveIteration() throws {
        let log = self.log!
        let looping = executor.spawn(loop(Part("state", log, dropSteps: 1)) { state in Holding(state: state) })
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(looping))
        XCTAssertEqual(log.events, ["state.dropping", "state.dropped", "state.deinit"])
    }

    func testFinallyRunsAfterCompletionAndTheOutputWaitsForIt() throws {
        let log = self.log!
        let value = try executor.blockOn(Probe("work", log, value: 5).finally { Probe("cleanup", log, steps: 1) }.map { value -> Int in
            log("delivered")
            return value
        })
        XCTAssertEqual(value, 5)
        XCTAssertEqual(log.events.filter { $0.hasPrefix("cleanup.poll") || $0 == "delivered" },
                       ["cleanup.poll", "cleanup.poll", "delivered"])
    }

    func testFinallyRunsOnFailure() throws {
        let log = self.log!
        let failed = ready(Result<Int, IOError>.failure(IOError(errno: 5, operation: "x"))).finally { Probe("cleanup", log) }
        let outcome = try executor.blockOn(failed)
        XCTAssertThrowsError(try outcome.get())
        XCTAssertEqual(log.count("cleanup.poll"), 1)
    }

    func testFinallyRunsInsideTheDropWhenCancelledAfterTheInnerDrop() throws {
        let log = self.log!
        let task = executor.spawn(Forever(name: "work", log: log, dropSteps: 1).finally { Probe("cleanup", log, steps: 1) })
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(task))
        let workDropped = try XCTUnwrap(log.events.firstIndex(of: "work.dropped"))
        let cleanup = try XCTUnwrap(log.events.firstIndex(of: "cleanup.poll"))
        XCTAssertLessThan(workDropped, cleanup, "the inner future is dropped first, then the cleanup runs")
        XCTAssertEqual(log.count("cleanup.poll"), 2, "run to completion")
        XCTAssertEqual(log.count("cleanup.deinit"), 1)
    }

    func testFinallyRunsAtShutdown() {
        let log = self.log!
        _ = executor.spawn(Forever(name: "work", log: log).finally { Probe("cleanup", log) })
        XCTAssertTrue(executor.shutdown().isClean)
        XCTAssertEqual(log.count("cleanup.poll"), 1)
        XCTAssertEqual(log.count("work.deinit"), 1)
    }

    func testAFinallyDroppedBeforeItsFirstPollStillCleansUp() throws {
        let log = self.log!
        try executor.blockOn(asyncDrop(Forever(name: "work", log: log).finally { Probe("cleanup", log) }))
        XCTAssertEqual(log.count("work.poll"), 0)
        XCTAssertEqual(log.count("cleanup.poll"), 1)
    }
}
