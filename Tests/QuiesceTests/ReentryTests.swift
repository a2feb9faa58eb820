import XCTest
import Glibc
@testable import Quiesce

/// Pending until dropped; its drop is recorded in the flag.
struct PendingUntilDropped: Future {
    let flag: RemoteFlag
    let tag: Int
    mutating func poll(_ cx: inout Context) -> Poll<Void> { .pending }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if !flag.order.contains(tag) { flag.order.append(tag) }
        return .ready(())
    }
}

/// A task whose async drop spawns another task (which waits forever) before it is ready.
struct SpawnsWhileDropping: Future {
    let flag: RemoteFlag
    var spawned = false
    mutating func poll(_ cx: inout Context) -> Poll<Void> { .pending }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if !spawned {
            spawned = true
            cx.executor!.spawn(PendingUntilDropped(flag: flag, tag: 2)).detach()
        }
        return .ready(())
    }
}

/// Hands over a value whose deinit calls `blockOn`.
struct HandsOver: Future {
    var victim: BlockOnInDeinit?
    mutating func poll(_ cx: inout Context) -> Poll<BlockOnInDeinit> { .ready(victim.take()!) }
}

/// Calls `shutdown` from inside its poll.
struct ShutsDownInPoll: Future {
    mutating func poll(_ cx: inout Context) -> Poll<Executor.ShutdownReport> { .ready(cx.executor!.shutdown()) }
}

/// Code that runs while the loop runs (a poll, a remote job, a released output) cannot start a
/// second loop inside it; a shutdown runs every job it accepted and drops every task, even late ones.
final class ReentryTests: XCTestCase {
    func testARemoteJobThatCallsBlockOnIsRefusedNotRunAsANestedLoop() throws {
        let executor = try Executor(entries: 8)
        let handle = try executor.remoteHandle()
        let flag = RemoteFlag()
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        handle.execute { executor in
            do {
                try executor.blockOn(yieldNow())
                flag.order.append(1)  // a loop ran inside the loop
            } catch {
                flag.order.append((error as? ExecutorError) == .reentrantBlockOn ? 2 : 3)
            }
            flag.set = true
            flag.waker?.wake()
        }
        try executor.blockOn(WaitForFlag(flag: flag))
        XCTAssertEqual(flag.order, [2])
        XCTAssertEqual(reports.map(\.kind), [.misuse])
        XCTAssertTrue(executor.shutdown().isClean)
    }

    func testBlockOnFromTheDeinitOfADetachedTasksOutputIsRefused() throws {
        let executor = Executor(backend: IdleBackend())
        let outcome = Log()
        executor.spawn(HandsOver(victim: BlockOnInDeinit(executor, outcome))).detach()
        try executor.runUntilIdle()  // the output nobody takes is released inside the turn
        XCTAssertEqual(outcome.events, ["\(ExecutorError.reentrantBlockOn)"])
    }

    func testShutdownRunsTheJobsItHadAcceptedThenRefusesNewOnes() throws {
        let executor = try Executor(entries: 8)
        let handle = try executor.remoteHandle()
        let flag = RemoteFlag()
        XCTAssertTrue(handle.execute { _ in flag.set = true })
        let report = executor.shutdown()
        XCTAssertTrue(flag.set, "execute returned true: the job runs, even when the shutdown comes first")
        XCTAssertTrue(report.isClean)
        XCTAssertFalse(handle.execute { _ in flag.order.append(1) })
        XCTAssertEqual(flag.order, [])
    }

    func testATaskSpawnedByAJobDuringShutdownIsDroppedToo() throws {
        let executor = try Executor(entries: 8)
        let handle = try executor.remoteHandle()
        let flag = RemoteFlag()
        handle.execute { executor in executor.spawn(PendingUntilDropped(flag: flag, tag: 1)).detach() }
        let report = executor.shutdown(deadline: 2_000_000_000)
        XCTAssertTrue(report.isClean, "\(report)")
        XCTAssertEqual(flag.order, [1])
        XCTAssertEqual(executor.liveTaskCount, 0)
    }

    func testATaskSpawnedByADropDuringShutdownIsDroppedToo() throws {
        let executor = Executor(backend: IdleBackend())
        let flag = RemoteFlag()
        executor.spawn(SpawnsWhileDropping(flag: flag)).detach()
        try executor.runUntilIdle()
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        let report = executor.shutdown(deadline: 300_000_000)
        XCTAssertTrue(report.isClean, "\(report)")
        XCTAssertEqual(flag.order, [2], "the task spawned by the drop was dropped, not left to the deadline")
        XCTAssertEqual(reports.map(\.kind), [])
    }

    func testShutdownFromInsideAPollIsReportedAndDoesNothing() throws {
        let executor = Executor(backend: IdleBackend())
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        let report = try executor.blockOn(ShutsDownInPoll())
        XCTAssertFalse(report.isClean, "the poll calling it was still running")
        XCTAssertEqual(reports.map(\.kind), [.misuse])
        XCTAssertTrue(executor.shutdown().isClean, "a shutdown from outside the loop still works")
    }

    func testRunUntilIdleFromInsideAPollIsRefused() throws {
        struct RunsTheLoopInPoll: Future {
            mutating func poll(_ cx: inout Context) -> Poll<ExecutorError?> {
                do { try cx.executor!.runUntilIdle(); return .ready(nil) } catch { return .ready(error) }
            }
        }
        let executor = Executor(backend: IdleBackend())
        executor.diagnosticHandler = { _ in }
        XCTAssertEqual(try executor.blockOn(RunsTheLoopInPoll()), .reentrantBlockOn)
    }
}
