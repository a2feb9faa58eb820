import XCTest
import Glibc
@testable import Quiesce

/// Drop glue for a container of noncopyable droppables (operations, join handles, parts).
final class DropArrayTests: XCTestCase {
    func testTogetherDrivesEveryElementAtOnceAndReleasesEachOnceAfterAllAreDropped() throws {
        let log = Log()
        var parts = DropArray<Part>()
        parts.append(Part("a", log, dropSteps: 2))
        parts.append(Part("b", log, dropSteps: 1))
        parts.append(Part("c", log, dropSteps: 0))
        var cx = Context()
        XCTAssertFalse(parts.pollDropReady(&cx).isReady)
        XCTAssertEqual(log.events, ["a.dropping", "b.dropping", "c.dropped"], "every element is driven at once")
        let executor = Executor(backend: IdleBackend())
        try executor.blockOn(asyncDrop(parts))
        for name in ["a", "b", "c"] {
            XCTAssertEqual(log.count("\(name).dropped"), 1, name)
            XCTAssertEqual(log.count("\(name).deinit"), 1, name)
        }
        let lastDrop = log.events.lastIndex { $0.hasSuffix(".dropped") }!
        let firstDeinit = log.events.firstIndex { $0.hasSuffix(".deinit") }!
        XCTAssertLessThan(lastDrop, firstDeinit, "no element is released before every drop completed")
    }

    func testInOrderKeepsItsCursorAndDropsFrontToBack() {
        let log = Log()
        var parts = DropArray<Part>(order: .inOrder)
        parts.append(Part("a", log, dropSteps: 0))
        parts.append(Part("b", log, dropSteps: 2))
        parts.append(Part("c", log, dropSteps: 0))
        var cx = Context()
        XCTAssertFalse(parts.pollDropReady(&cx).isReady)
        XCTAssertEqual(parts.droppedCount, 1)
        XCTAssertEqual(log.events, ["a.dropped", "b.dropping"], "c waits for b")
        XCTAssertFalse(parts.pollDropReady(&cx).isReady)
        XCTAssertTrue(parts.pollDropReady(&cx).isReady)
        XCTAssertEqual(log.events, ["a.dropped", "b.dropping", "b.dropping", "b.dropped", "c.dropped"],
                       "a, once dropped, is not driven again: no restart")
        XCTAssertTrue(parts.pollDropReady(&cx).isReady, "fused")
        XCTAssertEqual(log.events.count, 5)
    }

    func testSynchronousReleaseRunsEachDeinitOnce() {
        let log = Log()
        do {
            var parts = DropArray<Part>()
            for i in 0..<10 { parts.append(Part("p\(i)", log, dropSteps: 1)) }
            XCTAssertEqual(parts.count, 10)
        }
        XCTAssertEqual(log.events.sorted(), (0..<10).map { "p\($0).deinit" }.sorted())
    }

    func testRemovalsHandTheElementOverAndKeepTheRest() {
        let log = Log()
        var parts = DropArray<Part>(order: .inOrder)
        for name in ["a", "b", "c", "d", "e"] { parts.append(Part(name, log)) }
        let c = parts.remove(at: 2)
        XCTAssertEqual(c.name, "c")
        XCTAssertEqual(parts.indices.map { parts[$0].name }, ["a", "b", "d", "e"], "order kept")
        let b = parts.swapRemove(at: 1)
        XCTAssertEqual(b.name, "b")
        XCTAssertEqual(parts.indices.map { parts[$0].name }, ["a", "e", "d"])
        let d = parts.removeLast()!
        let dName = d.name
        XCTAssertEqual(dName, "d")
        parts[0].dropSteps = 5
        XCTAssertEqual(parts[0].dropSteps, 5, "modified in place")
        XCTAssertEqual(log.events, [], "removed elements belong to their taker now")
        _ = consume b; _ = consume c; _ = consume d
        XCTAssertEqual(log.events.sorted(), ["b.deinit", "c.deinit", "d.deinit"], "each removed element released once, by its taker")
        var empty = DropArray<Part>()
        let none = empty.removeLast()
        XCTAssertTrue(none == nil)
    }

    func testRemovingBeforeTheCursorKeepsItOnItsElement() {
        let log = Log()
        var parts = DropArray<Part>(order: .inOrder)
        parts.append(Part("a", log, dropSteps: 0))
        parts.append(Part("b", log, dropSteps: 0))
        parts.append(Part("c", log, dropSteps: 3))
        var cx = Context()
        XCTAssertFalse(parts.pollDropReady(&cx).isReady)
        XCTAssertEqual(parts.droppedCount, 2)
        _ = parts.remove(at: 0)
        XCTAssertEqual(parts.droppedCount, 1, "still on c")
        XCTAssertEqual(dropByHand(&parts), 3)
        XCTAssertEqual(log.count("c.dropped"), 1)
    }

    func testJoinHandlesInAnArrayAreCancelledAndAwaitedByItsDrop() throws {
        let log = Log()
        let executor = Executor(backend: IdleBackend())
        var handles = DropArray<JoinHandle<Int>>()
        for i in 0..<3 { handles.append(executor.spawn(Forever(name: "t\(i)", log: log, dropSteps: 2))) }
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(handles))
        XCTAssertEqual(executor.liveTaskCount, 0, "every task was cancelled and its drop awaited")
        for i in 0..<3 { XCTAssertEqual(log.count("t\(i).dropped"), 1) }
    }
}

/// Operations kept in a `DropArray` on the real ring: the array's async drop cancels every one and
/// waits for each completion.
final class DropArrayRingTests: RingPipeTestCase {
    func testReadsInAnArrayAreCancelledAndAwaitedTogether() throws {
        var reads = DropArray<ReadOp>()
        for _ in 0..<4 {
            var read = IO.read(r, into: IOBuffer(capacity: 64))
            XCTAssertFalse(pollOnce(&read, on: executor))
            reads.append(read)
        }
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(executor.driver.operationsInFlight, 4)
        try executor.blockOn(asyncDrop(reads))
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
        XCTAssertEqual(executor.driver.orphanCount, 0, "cancelled and awaited, not orphaned")
    }
}
