import XCTest
@testable import Quiesce

#if DEBUG
/// A future that never completes, whose drop answers `.ready` once and `.pending` after (no waker).
private struct NotFusedFuture: Future, ~Copyable {
    var drop = NotFused()
    mutating func poll(_ cx: inout Context) -> Poll<Int> { .pending }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { drop.pollDropReady(&cx) }
}

/// A copyable (class) part whose drop is not fused, for arrays.
private final class NotFusedResource: AsyncDroppable {
    var calls = 0
    func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        calls += 1
        return calls == 1 ? .ready(()) : .pending
    }
}

private struct InSequence: AsyncDroppable, ~Copyable {
    var broken = NotFused()
    var other: Part
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { DropGlue.sequence(&cx, &broken, &other) }
}

private struct InJoin: AsyncDroppable, ~Copyable {
    var other: Part
    var broken = NotFused()
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { DropGlue.join(&cx, &other, &broken) }
}

final class FusednessCheckTests: XCTestCase {
    /// Runs `future` on a fresh executor; the first fusedness report, if any.
    private func firstNotFusedReport<F: Future & ~Copyable>(_ future: consuming F) -> Diagnostic? {
        let executor = Executor(backend: IdleBackend())
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        _ = try? executor.blockOn(future)  // a broken part may stall the drop: the report is what counts
        return reports.first { $0.kind == .notFused }
    }

    func testEveryGlueSiteReportsANonFusedPartByItsOwnType() {
        let log = Log()
        let sites: [(String, () -> Diagnostic?)] = [
            ("DropGlue.sequence", { self.firstNotFusedReport(asyncDrop(InSequence(other: Part("other", log)))) }),
            ("DropGlue.join", { self.firstNotFusedReport(asyncDrop(InJoin(other: Part("other", log, dropSteps: 2)))) }),
            ("select (the loser's drop)", { self.firstNotFusedReport(select(NotFusedFuture(), Probe("winner", log))) }),
            ("timeout (the inner drop)", { self.firstNotFusedReport(timeout(nanoseconds: 0, NotFusedFuture())) }),
            ("join", { self.firstNotFusedReport(asyncDrop(join(NotFusedFuture(), Forever(name: "f", log: log, dropSteps: 1)))) }),
            ("array", { self.firstNotFusedReport(asyncDrop([NotFusedResource(), NotFusedResource()])) }),
            ("InOrder", { self.firstNotFusedReport(asyncDrop(InOrder([NotFusedResource(), NotFusedResource()]))) }),
            ("DropInBackground", {
                let executor = Executor(backend: IdleBackend())
                var reports: [Diagnostic] = []
                executor.diagnosticHandler = { reports.append($0) }
                _ = try? executor.blockOn(asyncDrop(DropInBackground(InSequence(other: Part("o", log)), on: executor)))
                return reports.first { $0.kind == .notFused }
            }),
        ]
        for (site, run) in sites {
            let report = run()
            XCTAssertTrue(report?.message.hasPrefix("pollDropReady of NotFused") ?? false,
                          "\(site): \(report?.message ?? "no report")")
        }
    }

    func testCorrectGlueReportsNothing() throws {
        let log = Log()
        let executor = Executor(backend: IdleBackend())
        var reports: [Diagnostic] = []
        executor.diagnosticHandler = { reports.append($0) }
        let outer = Outer(ownCleanup: Part("outer", log, dropSteps: 2),
                          inner: Inner(ownCleanup: Part("inner", log), first: Part("a", log, dropSteps: 3), second: Part("b", log)),
                          tail: Part("tail", log))
        try executor.blockOn(asyncDrop(outer))
        try executor.blockOn(asyncDrop(InOrder([Resource("x", log, steps: 0), Resource("y", log, steps: 0)])))
        _ = try executor.blockOn(timeout(nanoseconds: 0, Forever(name: "f", log: log, dropSteps: 2)))
        XCTAssertEqual(reports.map(\.description), [])
    }
}

#endif
