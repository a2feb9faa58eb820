import XCTest
@testable import Quiesce

/// A gate a test opens; the futures behind it count their polls and keep the last waker they got.
private final class Gate {
    var isOpen = false
    var polls = 0
    var waker: Waker?

    /// Opens the gate and wakes whoever polled behind it last.
    func open() {
        isOpen = true
        waker?.wake()
    }
}

/// Pending until its gate opens, then ready with `value`.
private struct Gated: Future {
    let gate: Gate
    let value: Int
    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        gate.polls += 1
        gate.waker = cx.waker
        return gate.isOpen ? .ready(value) : .pending
    }
}

/// A ``FutureSet`` polls a member only when that member was woken (FuturesUnordered's rule).
final class FutureSetWakeTests: XCTestCase {
    func testOnlyTheMemberThatWasWokenIsPolled() throws {
        let counter = CountingWaker()
        var cx = Context(waker: Waker(counter))
        let gates = (0..<10).map { _ in Gate() }
        var set = FutureSet<Gated>()
        for (i, gate) in gates.enumerated() { set.insert(Gated(gate: gate, value: i)) }
        XCTAssertFalse(set.pollNext(&cx).isReady)
        XCTAssertEqual(gates.map(\.polls), Array(repeating: 1, count: 10), "each new member is polled once")

        gates[6].open()
        gates[3].open()
        XCTAssertEqual(counter.wakes, 1, "the first member woken wakes the set; the second finds it awake")
        XCTAssertEqual(value(set.pollNext(&cx)), 6, "woken first, yielded first")
        XCTAssertEqual(value(set.pollNext(&cx)), 3)
        XCTAssertEqual(gates.map(\.polls), [1, 1, 1, 2, 1, 1, 2, 1, 1, 1], "the others were not polled")

        XCTAssertFalse(set.pollNext(&cx).isReady)
        XCTAssertEqual(gates.map(\.polls), [1, 1, 1, 2, 1, 1, 2, 1, 1, 1], "nothing woken, nothing polled")
        XCTAssertEqual(set.count, 8)
    }

    func testAMemberThatWakesItselfAtEveryPollDoesNotHoldUpTheOthers() throws {
        let counter = CountingWaker()
        var cx = Context(waker: Waker(counter))
        let gate = Gate()
        var set = FutureSet<AnyFuture<Int>>()
        set.insert(AnyFuture(Spin()))
        set.insert(AnyFuture(Gated(gate: gate, value: 7)))
        XCTAssertFalse(set.pollNext(&cx).isReady, "returns, though the spinning member is woken again at once")
        XCTAssertEqual(counter.wakes, 1, "and wakes the set to come back for it")
        gate.open()
        var seen: Int?
        for _ in 0..<3 where seen == nil {
            if case .ready(let value?) = set.pollNext(&cx) { seen = value }
        }
        XCTAssertEqual(seen, 7)
    }

    func testAWakerKeptPastItsMemberWakesNothing() throws {
        let counter = CountingWaker()
        var cx = Context(waker: Waker(counter))
        let done = Gate(), waiting = Gate()
        done.isOpen = true
        var set = FutureSet<Gated>()
        set.insert(Gated(gate: done, value: 1))
        set.insert(Gated(gate: waiting, value: 2))
        XCTAssertEqual(value(set.pollNext(&cx)), 1)
        XCTAssertFalse(set.pollNext(&cx).isReady)
        done.waker?.wake()  // its member has left: the waker is a spare
        XCTAssertEqual(counter.wakes, 0)
        XCTAssertEqual(waiting.polls, 1)

        let later = Gate()
        set.insert(Gated(gate: later, value: 3))  // reuses the spare
        XCTAssertFalse(set.pollNext(&cx).isReady)
        XCTAssertEqual(later.polls, 1)
        try Executor(backend: IdleBackend()).blockOn(asyncDrop(set))
        waiting.waker?.wake()  // the set is gone
        later.waker?.wake()
        XCTAssertEqual(counter.wakes, 0)
    }
}

/// The element a poll yielded, or `nil` when it yielded none (pending, or the end).
private func value(_ poll: Poll<Int?>) -> Int? {
    if case .ready(let element?) = poll { return element }
    return nil
}

/// Pending forever, waking itself at every poll.
private struct Spin: Future {
    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        cx.wake()
        return .pending
    }
}
