import XCTest
@testable import Quiesce

/// Submits the operation in `box` on its first poll, then finishes, leaving the operation in flight
/// in the box (a future that handed its operation over to someone else).
struct SubmitsThenHandsOver<Kind: OperationKind>: Future {
    let box: OpBox<Kind>
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        guard case .pending = box.op!.poll(&cx) else { XCTFail("a scripted NOP completed before its completion was given"); return .ready(()) }
        return .ready(())
    }
}

/// Polls the operation in `box` until it completes, counting its polls.
struct PollsBoxedOp: Future {
    let box: OpBox<IO.Nop>
    let polls: Counter
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        polls.value += 1
        guard case .ready = box.op!.poll(&cx) else { return .pending }
        box.op = nil
        return .ready(())
    }
}

/// A driver slot refers to the task that polled its operation without a reference of its own
/// (`HeldWaker`): the task must stay alive, and unrecycled, for as long as any slot holds it.
final class SlotWakerTests: XCTestCase {
    var backend: ScriptedBackend!
    var executor: Executor!

    override func setUp() {
        backend = ScriptedBackend()
        executor = Executor(backend: backend)
    }

    override func tearDown() {
        executor = nil
        backend = nil
    }

    private func complete(_ n: Int, result: Int32 = 0) throws {
        backend.completions.append((backend.operation(n), result))
        try executor.runUntilIdle()
    }

    func testATaskPollingAnOperationHoldsItsSlotWithoutAReference() throws {
        let box = OpBox(IO.nop())
        let polls = Counter()
        let handle = executor.spawn(PollsBoxedOp(box: box, polls: polls))
        try executor.runUntilIdle()
        let task = handle.task!.takeUnretainedValue()
        XCTAssertEqual(task.holds, 1)
        XCTAssertFalse(task.keptForHolds, "listed and unfinished: the live list keeps it")

        try complete(0)
        XCTAssertEqual(polls.value, 2, "the completion woke the task that polled the operation")
        XCTAssertEqual(task.holds, 0)
        XCTAssertTrue(box.isEmpty)
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testATaskThatFinishesWhileASlotHoldsItIsKeptAndNotRecycledUntilTheCompletion() throws {
        let box = OpBox(IO.nop())
        weak var weakTask: RawTask?
        let held: ObjectIdentifier
        do {
            let first = executor.spawn(SubmitsThenHandsOver(box: box))
            try executor.runUntilIdle()
            let task = first.task!.takeUnretainedValue()
            XCTAssertEqual(task.phase, .finished)
            XCTAssertTrue(box.isInFlight)
            XCTAssertEqual(task.holds, 1, "the handed-over operation's slot still names the finished task")
            XCTAssertTrue(task.keptForHolds)
            weakTask = task
            held = ObjectIdentifier(task)
        }

        // Spawns meanwhile never get the held task (it is not uniquely referenced); after its second
        // chance the pool lets it go, and only the task's own reference keeps it for the slot.
        for _ in 0..<4 {
            let next = executor.spawn(Countdown(steps: 0))
            XCTAssertNotEqual(ObjectIdentifier(next.task!.takeUnretainedValue()), held)
            try executor.runUntilIdle()
        }
        XCTAssertNotNil(weakTask)

        let polls = executor.statistics.polls
        try complete(0)
        XCTAssertEqual(executor.statistics.polls, polls, "waking a finished task polls nothing")
        XCTAssertNil(weakTask, "the last slot let go, and with it the task's last reference")

        let target = CountingWakeTarget()
        var cx = Context(waker: Waker(target), executor: executor)
        guard case .ready(let result) = box.op!.poll(&cx) else { return XCTFail("completed operation still pending") }
        XCTAssertNoThrow(try result.get())
        box.op = nil
        XCTAssertEqual(target.wakes, 0, "the completion arrived before this waker was registered")
    }

    func testAnOperationPolledByAnotherTaskMovesItsHoldAndWakesThatTask() throws {
        let box = OpBox(IO.nop())
        let first = executor.spawn(SubmitsThenHandsOver(box: box))
        try executor.runUntilIdle()
        let firstTask = first.task!.takeUnretainedValue()
        XCTAssertEqual(firstTask.holds, 1)

        let polls = Counter()
        let second = executor.spawn(PollsBoxedOp(box: box, polls: polls))
        try executor.runUntilIdle()
        let secondTask = second.task!.takeUnretainedValue()
        XCTAssertEqual(firstTask.holds, 0, "registering the second task's waker let the first go")
        XCTAssertFalse(firstTask.keptForHolds)
        XCTAssertEqual(secondTask.holds, 1)

        try complete(0)
        XCTAssertEqual(polls.value, 2, "the completion woke the task that polled last")
        XCTAssertEqual(secondTask.holds, 0)
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testAHandMadeContextStoresAnOwningWaker() throws {
        let wakes = Counter()
        weak var weakTarget: WakeTarget?
        var op = IO.nop()
        do {
            let target = TallyWakeTarget(wakes)
            weakTarget = target
            var cx = Context(waker: Waker(target), executor: executor)
            guard case .pending = op.poll(&cx) else { return XCTFail("a scripted NOP completed by itself") }
        }
        XCTAssertNotNil(weakTarget, "the slot owns its waker")
        try executor.driver.turn(waitNanos: 0)  // hands the submission over
        backend.completions.append((backend.operation(0), 0))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(wakes.value, 1)
        XCTAssertNil(weakTarget, "woken, then released by the slot")
        var cx = Context()
        guard case .ready = op.poll(&cx) else { return XCTFail("completed operation still pending") }
    }

    func testAReleasedExecutorLeavesAHeldTaskAliveUntilItsSlotLetsGo() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        executor = try Executor(entries: 8)
        let box = OpBox(IO.read(fds[0], into: IOBuffer(capacity: 8)))
        weak var weakTask: RawTask?
        do {
            let first = executor.spawn(SubmitsThenHandsOver(box: box))
            try executor.runUntilIdle()
            weakTask = first.task!.takeUnretainedValue()
        }
        var diagnostics: [Diagnostic] = []
        executor.diagnosticHandler = { diagnostics.append($0) }
        XCTAssertEqual(executor.shutdown(deadline: 1_000_000).operationsLeft, 1, "the read waits for a writer")
        executor = nil  // a slot is live: the driver is abandoned, not freed
        XCTAssertNotNil(weakTask, "the slot still holds the finished task")
        XCTAssertTrue(weakTask?.keptForHolds ?? false)
        box.op = nil  // orphaned: the slot lets go of the task
        XCTAssertNil(weakTask, "the task's own reference was its last")
        XCTAssertEqual(diagnostics.map(\.kind), [.orphanedAtShutdown])
    }
}

/// Counts its wakes in a shared counter.
final class TallyWakeTarget: WakeTarget {
    let wakes: Counter
    init(_ wakes: Counter) { self.wakes = wakes }
    override func wake() { wakes.value += 1 }
}
