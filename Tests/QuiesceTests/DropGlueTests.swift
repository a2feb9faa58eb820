import XCTest
@testable import Quiesce

/// The inner value of `Outer`: its own cleanup, then its fields in declaration order.
struct Inner: AsyncDroppable, ~Copyable {
    var ownCleanup: Part
    var first: Part
    var second: Part
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.sequence(&cx, &ownCleanup, &first, &second)
    }
}

/// Outside-in: the outer value's own cleanup, then its fields (`inner`, then `tail`).
struct Outer: AsyncDroppable, ~Copyable {
    var ownCleanup: Part
    var inner: Inner
    var tail: Part
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.sequence(&cx, &ownCleanup, &inner, &tail)
    }
}

/// A generic pair whose drop readiness comes from its parts.
struct Pair<T: AsyncDroppable & ~Copyable, U: AsyncDroppable & ~Copyable>: AsyncDroppable, ~Copyable {
    var left: T
    var right: U
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { DropGlue.sequence(&cx, &left, &right) }
}

/// An enum drops only its active case.
enum Mode: AsyncDroppable, ~Copyable {
    case reading(Part)
    case writing(Part)
    case idle

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        switch consume self {
        case .reading(var part):
            let ready = part.pollDropReady(&cx)
            self = .reading(part)
            return ready
        case .writing(var part):
            let ready = part.pollDropReady(&cx)
            self = .writing(part)
            return ready
        case .idle:
            self = .idle
            return .ready(())
        }
    }
}

/// A value whose field may have been moved out: the moved-out field is `nil` and not dropped again.
struct Holder: AsyncDroppable, ~Copyable {
    var a: Part?
    var b: Part?
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { DropGlue.sequence(&cx, &a, &b) }
}

/// A copyable droppable resource (a class), for arrays.
final class Resource: AsyncDroppable {
    let name: String
    let log: Log
    var steps: Int
    var polls = 0
    var done = false
    init(_ name: String, _ log: Log, steps: Int) { self.name = name; self.log = log; self.steps = steps }
    func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        polls += 1
        if done { return .ready(()) }
        if steps > 0 { steps -= 1; log("\(name).dropping"); return .pending }
        done = true
        log("\(name).dropped")
        return .ready(())
    }
}

/// A drop that is not fused: it answers `.pending` again after `.ready`.
struct NotFused: AsyncDroppable, ~Copyable {
    var calls = 0
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        calls += 1
        return calls == 1 ? .ready(()) : .pending
    }
}

/// Polls `value`'s drop by hand until ready, at most `limit` times; returns the number of polls.
func dropByHand<T: AsyncDroppable & ~Copyable>(_ value: inout T, limit: Int = 100) -> Int {
    var cx = Context()
    for i in 1...limit where value.pollDropReady(&cx).isReady { return i }
    return -1
}

final class DropGlueTests: XCTestCase {
    func testOwnCleanupFirstThenFieldsInDeclarationOrder() throws {
        let log = Log()
        let executor = Executor(backend: IdleBackend())
        let outer = Outer(ownCleanup: Part("outer", log),
                          inner: Inner(ownCleanup: Part("inner", log), first: Part("inner.first", log), second: Part("inner.second", log)),
                          tail: Part("tail", log))
        try executor.blockOn(asyncDrop(outer))
        XCTAssertEqual(log.events.filter { $0.hasSuffix(".dropped") },
                       ["outer.dropped", "inner.dropped", "inner.first.dropped", "inner.second.dropped", "tail.dropped"])
        for name in ["outer", "inner", "inner.first", "inner.second", "tail"] {
            XCTAssertEqual(log.count("\(name).deinit"), 1, name)
        }
        let lastDrop = log.events.lastIndex { $0.hasSuffix(".dropped") }!
        let firstDeinit = log.events.firstIndex { $0.hasSuffix(".deinit") }!
        XCTAssertLessThan(lastDrop, firstDeinit, "no part is released before the whole async drop completes")
    }

    func testSequenceStopsAtFirstPendingPart() {
        let log = Log()
        var a = Part("a", log, dropSteps: 0), b = Part("b", log, dropSteps: 2), c = Part("c", log, dropSteps: 0)
        var cx = Context()
        XCTAssertFalse(DropGlue.sequence(&cx, &a, &b, &c).isReady)
        XCTAssertEqual(log.events, ["a.dropped", "b.dropping"])
        XCTAssertFalse(DropGlue.sequence(&cx, &a, &b, &c).isReady)
        XCTAssertTrue(DropGlue.sequence(&cx, &a, &b, &c).isReady)
        XCTAssertEqual(log.events, ["a.dropped", "b.dropping", "b.dropping", "b.dropped", "c.dropped"])
        XCTAssertTrue(DropGlue.sequence(&cx, &a, &b, &c).isReady, "fused: ready again, with no effect")
        XCTAssertEqual(log.events.count, 5)
    }

    func testJoinDrivesAllPartsAtOnce() {
        let log = Log()
        var a = Part("a", log, dropSteps: 2), b = Part("b", log, dropSteps: 1)
        var cx = Context()
        XCTAssertFalse(DropGlue.join(&cx, &a, &b).isReady)
        XCTAssertEqual(log.events, ["a.dropping", "b.dropping"])
        XCTAssertFalse(DropGlue.join(&cx, &a, &b).isReady)
        XCTAssertTrue(DropGlue.join(&cx, &a, &b).isReady)
        XCTAssertEqual(log.count("a.dropped"), 1)
        XCTAssertEqual(log.count("b.dropped"), 1)
    }

    func testSequenceDropsPartsInArgumentOrderSoLocalsPassedLastFirstDropInReverse() {
        // Swift gives no hook on a state machine's locals: the rule (reverse order of declaration) is
        // the state machine's to follow, by passing `z, y, x` to `sequence`, which keeps that order.
        let log = Log()
        var x = Part("x", log), y = Part("y", log), z = Part("z", log)
        var cx = Context()
        while !DropGlue.sequence(&cx, &z, &y, &x).isReady {}
        XCTAssertEqual(log.events.filter { $0.hasSuffix(".dropped") }, ["z.dropped", "y.dropped", "x.dropped"])
    }

    func testGenericGlue() {
        let log = Log()
        var pair = Pair(left: Part("l", log), right: Pair(left: Part("rl", log), right: Optional(Part("rr", log))))
        XCTAssertEqual(dropByHand(&pair), 4)
        XCTAssertEqual(log.events.filter { $0.hasSuffix(".dropped") }, ["l.dropped", "rl.dropped", "rr.dropped"])
    }

    func testEnumDropsOnlyItsActiveCase() {
        let log = Log()
        var mode = Mode.writing(Part("writer", log, dropSteps: 2))
        XCTAssertEqual(dropByHand(&mode), 3)
        XCTAssertEqual(log.events, ["writer.dropping", "writer.dropping", "writer.dropped"])
        var idle = Mode.idle
        XCTAssertEqual(dropByHand(&idle), 1, "a case with nothing to drop is ready at once")
    }

    func testOptionalNilIsReady() {
        var none: Part? = nil
        XCTAssertEqual(dropByHand(&none), 1)
    }

    func testPartlyMovedValueIsNotDroppedAgain() {
        let log = Log()
        do {
            var holder = Holder(a: Part("a", log), b: Part("b", log))
            let movedOut = holder.a.take()!
            XCTAssertEqual(dropByHand(&holder), 2)
            XCTAssertEqual(log.events, ["b.dropping", "b.dropped"], "the moved-out field is not dropped by its old owner")
            _ = consume movedOut
        }
        XCTAssertEqual(log.count("a.deinit"), 1)
        XCTAssertEqual(log.count("b.deinit"), 1)
        XCTAssertEqual(log.count("a.dropped"), 0)
    }

    func testArrayJoinsByDefault() {
        let log = Log()
        var resources = [Resource("r0", log, steps: 1), Resource("r1", log, steps: 2), Resource("r2", log, steps: 0)]
        var cx = Context()
        XCTAssertFalse(resources.pollDropReady(&cx).isReady)
        XCTAssertEqual(log.events, ["r0.dropping", "r1.dropping", "r2.dropped"], "every element is driven at once")
        XCTAssertEqual(dropByHand(&resources), 2)
    }

    func testInOrderArrayKeepsItsCursorWhileAnElementIsPending() {
        let log = Log()
        let r0 = Resource("r0", log, steps: 0), r1 = Resource("r1", log, steps: 3), r2 = Resource("r2", log, steps: 0)
        var ordered = InOrder([r0, r1, r2])
        var cx = Context()
        XCTAssertFalse(ordered.pollDropReady(&cx).isReady)
        XCTAssertEqual(ordered.cursor, 1)
        XCTAssertFalse(ordered.pollDropReady(&cx).isReady)
        XCTAssertFalse(ordered.pollDropReady(&cx).isReady)
        // Debug builds ask an element once more the moment it answers `.ready` (the fusedness check).
        #if DEBUG
        let pollsAtReady = 2
        #else
        let pollsAtReady = 1
        #endif
        XCTAssertEqual(r0.polls, pollsAtReady, "an element already dropped is not polled again: no restart")
        XCTAssertEqual(r2.polls, 0, "elements after the pending one wait their turn")
        XCTAssertTrue(ordered.pollDropReady(&cx).isReady)
        XCTAssertEqual(ordered.cursor, 3)
        XCTAssertEqual(log.events.filter { $0.hasSuffix(".dropped") }, ["r0.dropped", "r1.dropped", "r2.dropped"])
    }

    func testFusedWrapperAddsADropFlag() {
        var fused = Fused(NotFused())
        var cx = Context()
        XCTAssertTrue(fused.pollDropReady(&cx).isReady)
        XCTAssertTrue(fused.pollDropReady(&cx).isReady)
        XCTAssertTrue(fused.pollDropReady(&cx).isReady)
        XCTAssertEqual(fused.inner.calls, 1)
    }

    func testTypeErasedFutureKeepsItsOwnDropState() throws {
        let log = Log()
        var erased = AnyFuture(Probe("p", log, steps: 0, dropSteps: 2, value: 7))
        var cx = Context()
        guard case .ready(let value) = erased.poll(&cx) else { return XCTFail("probe is ready at once") }
        XCTAssertEqual(value, 7)
        XCTAssertEqual(dropByHand(&erased), 3)
        XCTAssertTrue(erased.isDropped)
        XCTAssertEqual(log.count("p.deinit"), 1, "the box releases its future as soon as its drop is done")
        XCTAssertTrue(erased.pollDropReady(&cx).isReady)

        // Erased inside a task: cancelling still runs the erased future's async drop.
        let executor = Executor(backend: IdleBackend())
        let handle = executor.spawn(AnyFuture(Forever(name: "f", log: log, dropSteps: 2)))
        try executor.runUntilIdle()
        handle.cancel()
        let outcome = try executor.blockOn(handle)
        XCTAssertEqual(outcome.failureValue, Cancelled())
        XCTAssertEqual(log.count("f.dropping"), 2)
        XCTAssertEqual(log.count("f.dropped"), 1)
        XCTAssertEqual(log.count("f.deinit"), 1)
    }

    func testAsyncDropReleasesTheValueOnlyWhenItsDropIsReady() {
        let log = Log()
        var drop = asyncDrop(Part("p", log, dropSteps: 2))
        var cx = Context()
        XCTAssertFalse(drop.poll(&cx).isReady)
        XCTAssertFalse(drop.poll(&cx).isReady)
        XCTAssertEqual(log.count("p.deinit"), 0)
        XCTAssertTrue(drop.poll(&cx).isReady)
        XCTAssertEqual(log.events, ["p.dropping", "p.dropping", "p.dropped", "p.deinit"])
        XCTAssertTrue(drop.pollDropReady(&cx).isReady)
        XCTAssertEqual(log.count("p.deinit"), 1)
    }

    func testFutureDroppedWhileSuspendedMidway() {
        let log = Log()
        var probe = Probe("p", log, steps: 5, dropSteps: 1)
        var cx = Context()
        XCTAssertFalse(probe.poll(&cx).isReady)
        XCTAssertFalse(probe.poll(&cx).isReady)
        var drop = asyncDrop(probe)
        while !drop.poll(&cx).isReady {}
        XCTAssertEqual(log.events, ["p.poll", "p.poll", "p.dropping", "p.dropped", "p.deinit"])
    }

    func testAFutureThatAsyncDropsAnotherBeforeGoingOn() throws {
        /// Owns an inner future; halfway through its own work it async-drops the inner one, then finishes.
        struct Outer: Future, ~Copyable {
            var inner: AsyncDrop<Probe>?
            let log: Log
            mutating func poll(_ cx: inout Context) -> Poll<Int> {
                if inner != nil {
                    guard inner!.poll(&cx).isReady else { return .pending }
                    inner = nil
                    log("outer.continues")
                }
                return .ready(1)
            }
            mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { inner.pollDropReady(&cx) }
        }
        let log = Log()
        let executor = Executor(backend: IdleBackend())
        let outer = Outer(inner: asyncDrop(Probe("inner", log, steps: 3, dropSteps: 2)), log: log)
        let value = try executor.blockOn(outer)
        XCTAssertEqual(value, 1)
        XCTAssertEqual(log.events, ["inner.dropping", "inner.dropping", "inner.dropped", "inner.deinit", "outer.continues"],
                       "never polled, dropped in full, released once, before the outer future went on")
    }

    func testSynchronousDropRunsDeinitExactlyOnce() {
        let log = Log()
        do { _ = Part("p", log, dropSteps: 3) }
        XCTAssertEqual(log.events, ["p.deinit"], "sync drop: no async drop, one deinit")
    }

    #if DEBUG
    func testFusednessViolationIsReportedWithTheTypeName() throws {
        let executor = Executor(backend: IdleBackend())
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        try executor.blockOn(asyncDrop(NotFused()))
        XCTAssertEqual(reports.map(\.kind), [.notFused])
        XCTAssertTrue(reports.first?.message.contains("NotFused") ?? false, reports.first?.message ?? "")
    }
    #endif
}

extension Result {
    /// The error, when this is a failure.
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

final class DropInBackgroundTests: XCTestCase {
    func testSynchronousReleaseHandsTheAsyncDropToANewTask() throws {
        let log = Log()
        let executor = Executor(backend: IdleBackend())
        do { _ = DropInBackground(Part("conn", log, dropSteps: 2), on: executor) }
        XCTAssertEqual(log.events, [], "nothing ran yet: the drop was handed to a task")
        XCTAssertEqual(executor.liveTaskCount, 1)
        try executor.runUntilIdle()
        XCTAssertEqual(log.events, ["conn.dropping", "conn.dropping", "conn.dropped", "conn.deinit"])
    }

    func testAsyncDropInTheOwnerSpawnsNothing() throws {
        let log = Log()
        let executor = Executor(backend: IdleBackend())
        try executor.blockOn(asyncDrop(DropInBackground(Part("conn", log, dropSteps: 1), on: executor)))
        XCTAssertEqual(executor.statistics.spawned, 1, "only the blockOn task itself")
        XCTAssertEqual(log.count("conn.dropped"), 1)
        XCTAssertEqual(log.count("conn.deinit"), 1)
    }

    func testReleasedAfterItsExecutorIsGoneItReleasesTheValueSynchronouslyAndSaysSo() {
        let log = Log()
        let reports = ReportSink()
        Diagnostics.setHandler { reports.append($0) }
        defer { Diagnostics.setHandler(Diagnostics.printToStandardError) }
        weak var gone: Executor?
        var wrapper: DropInBackground<Part>?
        do {
            let executor = Executor(backend: IdleBackend())
            gone = executor
            wrapper = DropInBackground(Part("conn", log, dropSteps: 2), on: executor)
        }
        XCTAssertNil(gone, "the wrapper does not keep its executor alive")
        _ = wrapper.take()
        XCTAssertEqual(log.events, ["conn.deinit"], "released synchronously, exactly once, without its async drop")
        // The process-wide handler may also hear from other executors still winding down.
        let drops = reports.all.filter { $0.kind == .droppedSynchronously }
        XCTAssertEqual(drops.count, 1)
        XCTAssertTrue(drops.first?.message.contains("DropInBackground<Part>") ?? false, drops.first?.message ?? "")
    }

    func testAContextMadeWithAnExecutorKeepsItAlive() {
        weak var gone: Executor?
        var cx: Context
        do {
            let executor = Executor(backend: IdleBackend())
            gone = executor
            cx = Context(waker: .noop, executor: executor)
        }
        XCTAssertNotNil(gone, "the context may outlive every other reference to its executor")
        XCTAssertTrue(cx.executor === gone)
        cx = Context()
        XCTAssertNil(gone)
    }
}
