import XCTest
import Glibc
@testable import Quiesce

#if DEBUG
/// A connection whose drop glue forgot its read: the read is released synchronously while in flight.
private struct ForgetsItsRead: Future, ~Copyable {
    var read: ReadOp
    var log: Part
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        _ = read.poll(&cx)
        return .pending
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { DropGlue.sequence(&cx, &log) }
}

/// The same with correct glue.
private struct DropsItsRead: Future, ~Copyable {
    var read: ReadOp
    var log: Part
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        _ = read.poll(&cx)
        return .pending
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { DropGlue.sequence(&cx, &read, &log) }
}

/// A read whose owner's drop never completes, so only a shutdown deadline ends it.
private struct NeverDone: Future, ~Copyable {
    var read: ReadOp
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        _ = read.poll(&cx)
        return .pending
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { .pending }
}

/// §8: an in-flight operation released synchronously outside a shutdown is reported (debug builds).
final class OrphanDiagnosticTests: RingPipeTestCase {
    func testAForgottenGlueLineIsReportedNamingTheOperation() throws {
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        let log = Log()
        let task = executor.spawn(ForgetsItsRead(read: IO.read(r, into: IOBuffer(capacity: 8)), log: Part("conn", log)))
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(task))
        let orphans = reports.filter { $0.kind == .orphaned }
        XCTAssertEqual(orphans.count, 1, "\(reports)")
        XCTAssertTrue(orphans.first?.message.hasPrefix("read (op ") ?? false, orphans.first?.message ?? "")
    }

    func testCorrectGlueIsSilent() throws {
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        let log = Log()
        let task = executor.spawn(DropsItsRead(read: IO.read(r, into: IOBuffer(capacity: 8)), log: Part("conn", log)))
        try executor.runUntilIdle()
        try executor.blockOn(asyncDrop(task))
        XCTAssertEqual(reports.map(\.description), [])
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testAShutdownThatLeavesOperationsBehindIsNotReportedAsAMistake() throws {
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        let processWide = ReportSink()  // where an executor being torn down reports
        Diagnostics.setHandler { processWide.append($0) }
        defer { Diagnostics.setHandler(Diagnostics.printToStandardError) }
        let handle = executor.spawn(NeverDone(read: IO.read(r, into: IOBuffer(capacity: 8))))
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight, 1)
        XCTAssertFalse(executor.shutdown(deadline: 1_000_000).isClean)
        executor = nil  // the synchronous fallback releases the task and orphans its read
        XCTAssertEqual(reports.map(\.kind), [.orphanedAtShutdown], "the shutdown says what it left")
        XCTAssertEqual(processWide.all.filter { $0.kind == .orphaned }.map(\.message), [], "no orphan report")
        _ = consume handle
    }
}
#endif
