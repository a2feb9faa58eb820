import XCTest
@testable import Quiesce

/// Drains any stream of copyable elements, in the order it yields them.
private struct Collect<S: Quiesce.Stream & ~Copyable>: Future, ~Copyable where S.Element: Copyable {
    var stream: S
    var seen: [S.Element] = []
    mutating func poll(_ cx: inout Context) -> Poll<[S.Element]> {
        while true {
            switch stream.pollNext(&cx) {
            case .pending: return .pending
            case .ready(nil): return .ready(seen)
            case .ready(let element?): seen.append(element)
            }
        }
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { stream.pollDropReady(&cx) }
}

/// Sets are streams (§9): generic code over `Stream` drains them and drops them.
final class StreamTests: XCTestCase {
    func testSetsAreStreamsThatEndWhenEmpty() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        var futures = FutureSet<Probe>()
        futures.insert(Probe("b", log, steps: 2, value: 2))
        futures.insert(Probe("a", log, steps: 0, value: 1))
        let outputs = try executor.blockOn(Collect(stream: futures))
        XCTAssertEqual(outputs, [1, 2], "completion order")
        XCTAssertEqual(log.count("a.deinit") + log.count("b.deinit"), 2, "each member was dropped before its output moved on")

        var tasks = JoinSet<Int>()
        tasks.spawn(Probe("slow", log, steps: 3, value: 30), on: executor)
        tasks.spawn(Probe("fast", log, steps: 1, value: 10), on: executor)
        let results = try executor.blockOn(Collect(stream: tasks))
        XCTAssertEqual(results.map { try? $0.get() }, [10, 30])
    }

    func testDroppingAStreamThroughGenericCodeDropsItsMembers() throws {
        let executor = Executor(backend: IdleBackend())
        let log = Log()
        var futures = FutureSet<Forever>()
        futures.insert(Forever(name: "x", log: log, dropSteps: 2))
        futures.insert(Forever(name: "y", log: log, dropSteps: 1))
        let task = executor.spawn(Collect(stream: futures))
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(task))
        XCTAssertEqual(log.count("x.dropped"), 1)
        XCTAssertEqual(log.count("y.dropped"), 1)
    }
}
