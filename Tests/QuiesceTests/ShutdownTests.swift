import XCTest
import Glibc
@testable import Quiesce

/// A future whose async drop takes a while: it waits for a ring timeout it starts when dropped, and
/// cannot be hurried. Stands for an operation that cannot be cancelled fast.
struct SlowDrop: Future, ~Copyable {
    let nanoseconds: UInt64
    var flush: TimeoutOp?
    var dropped = false
    mutating func poll(_ cx: inout Context) -> Poll<Void> { .pending }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if dropped { return .ready(()) }  // fused
        if flush == nil { flush = IO.timeout(nanoseconds: nanoseconds) }
        guard flush!.poll(&cx).isReady else { return .pending }
        dropped = true
        return .ready(())
    }
}

/// Shutdown async-drops every task and returns only when nothing is in flight; a deadline bounds it.
final class ShutdownTests: XCTestCase {
    func testShutdownWithInFlightReadsIsClean() throws {
        let executor = try Executor(entries: 16)
        var pipes: [(read: Int32, write: Int32)] = []
        for _ in 0..<20 { pipes.append(try Sockets.pipe()) }
        defer { for p in pipes { close(p.read); close(p.write) } }
        let record = Record()
        for (i, p) in pipes.enumerated() { executor.spawn(RecordingRead(fd: p.read, key: i, record: record)).detach() }
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight, 20)
        var diagnostics: [Diagnostic] = []
        executor.diagnosticHandler = { diagnostics.append($0) }

        let report = executor.shutdown()
        XCTAssertEqual(report, Executor.ShutdownReport(tasksLeft: 0, operationsLeft: 0))
        XCTAssertTrue(report.isClean)
        XCTAssertTrue(executor.driver.isQuiescent, "returned only when nothing is in flight")
        XCTAssertEqual(executor.driver.liveSlots, 0)
        XCTAssertEqual(executor.liveTaskCount, 0)
        XCTAssertEqual(record.finished, 0, "the reads were cancelled, not completed")
        XCTAssertTrue(diagnostics.isEmpty)
    }

    func testShutdownWaitsForASlowDrop() throws {
        let executor = try Executor(entries: 8)
        executor.spawn(SlowDrop(nanoseconds: 20_000_000)).detach()
        try executor.runUntilIdle()
        let report = executor.shutdown(deadline: 5_000_000_000)
        XCTAssertTrue(report.isClean, "the drop finished well within the deadline")
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testDeadlineLeavesASlowDropReportedNotCrashed() throws {
        weak var weakRing: UringBackend?
        var diagnostics: [Diagnostic] = []
        do {
            let executor = try Executor(entries: 8)
            weakRing = executor.driver.backend as? UringBackend
            executor.diagnosticHandler = { diagnostics.append($0) }
            executor.spawn(SlowDrop(nanoseconds: 60_000_000_000)).detach()
            try executor.runUntilIdle()
            let report = executor.shutdown(deadline: 30_000_000)
            XCTAssertEqual(report, Executor.ShutdownReport(tasksLeft: 1, operationsLeft: 1))
            XCTAssertFalse(report.isClean)
            XCTAssertEqual(executor.driver.operationsInFlight, 1, "the timeout is still with the kernel")
        }
        XCTAssertEqual(diagnostics.map(\.kind), [.orphanedAtShutdown])
        XCTAssertTrue(diagnostics.first?.message.contains("1 operation(s) in flight") ?? false)
        XCTAssertNotNil(weakRing, "the ring is kept, not torn down under the kernel")
        XCTAssertGreaterThanOrEqual(weakRing?.ringFD ?? -1, 0, "and still open")
    }

    func testZeroDeadlineReportsEverythingLeft() throws {
        let executor = try Executor(entries: 8)
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var diagnostics: [Diagnostic] = []
        executor.diagnosticHandler = { diagnostics.append($0) }
        for _ in 0..<3 { executor.spawn(ReadOnce(fd: r)).detach() }
        try executor.runUntilIdle()
        let report = executor.shutdown(deadline: 0)
        XCTAssertEqual(report, Executor.ShutdownReport(tasksLeft: 3, operationsLeft: 3))
        XCTAssertEqual(diagnostics.count, 1)
        XCTAssertTrue(diagnostics.first?.message.contains("3 task(s)") ?? false)
    }

    func testShutdownOfAnIdleExecutorIsCleanAndImmediate() throws {
        let executor = try Executor(entries: 8)
        let report = executor.shutdown(deadline: 60_000_000_000)
        XCTAssertTrue(report.isClean)
    }

    func testShutdownClosesTheRemoteHandle() throws {
        let executor = try Executor(entries: 8)
        let handle = try executor.remoteHandle()
        XCTAssertTrue(executor.shutdown().isClean)
        XCTAssertFalse(handle.execute { _ in }, "jobs are refused after shutdown")
        XCTAssertTrue(executor.driver.isQuiescent, "the eventfd watch was cancelled and awaited")
    }
}
