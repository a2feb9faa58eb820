import XCTest
import Foundation
import Quiesce
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// At the descriptor limit: the client limit is lowered to fit `RLIMIT_NOFILE` so extra clients are
/// told so, and an accept that fails for want of descriptors pauses and is reported at a bounded rate.
final class DescriptorLimitTests: XCTestCase {
    /// The built server under `ulimit -n 64`: 32 descriptors stay in reserve, so it serves 32 clients
    /// and tells every further one `-ERR max number of clients reached` (none waits unanswered in the
    /// backlog); it says at start that it lowered the limit, and `CONFIG GET maxclients` agrees.
    func testClientsBeyondTheDescriptorLimitAreRefused() throws {
        let server = try ServerProcess(arguments: [], limits: "ulimit -n 64")
        var served: [TestClient] = []
        var refused = 0
        for i in 0..<80 {
            let client = try TestClient(port: server.port, timeoutSeconds: 2)
            switch try client.call("PING") {
            case .simple("PONG"):
                served.append(client)
            case .error("ERR max number of clients reached"):
                refused += 1
                _ = try client.readUntilClosed()
            case let other:
                XCTFail("client \(i): \(other)")
            }
        }
        XCTAssertEqual(served.count, 32)
        XCTAssertEqual(refused, 48)
        XCTAssertEqual(try served[0].call("CONFIG", "GET", "maxclients"), .array([.text("maxclients"), .text("32")]))
        XCTAssertTrue(server.startupLines.contains { $0.contains("maxclients") && $0.contains("32") },
                      "\(server.startupLines)")
        XCTAssertEqual(server.signalAndWait(SIGTERM), 0)
    }

    /// Every accept fails with EMFILE (injected before submission) 200 times in a row: each failure
    /// is followed by a pause before the next accept is submitted, the failures are reported under
    /// `acceptFailed` three times (the 1st, 10th and 100th), and accepting resumes once descriptors
    /// are back.
    func testAcceptOutOfDescriptorsPausesAndIsReportedBoundedly() throws {
        let probe = AcceptProbe()
        let server = try TestServer(configure: {
            $0.acceptRetryDelay = 500_000
            $0.acceptRetryMaxDelay = 1_000_000
        }, prepare: { kv, executor in
            executor.diagnosticHandler = { probe.record($0) }
            kv.acceptErrorInjection = { probe.nextAccept() }
        })
        XCTAssertTrue(waitFor { probe.submissions >= 200 }, "only \(probe.submissions) accepts in 10 s")
        probe.setFailing(false)
        let (pauses, failed) = server.onServer { kv in (kv.acceptPauses, probe.failures) }
        XCTAssertEqual(pauses, failed, "a failed accept was retried without a pause")
        let client = try TestClient(port: server.port)
        XCTAssertEqual(try client.call("PING"), .simple("PONG"))
        let reports = probe.reports
        XCTAssertEqual(reports.count, 3, "\(reports.prefix(5))")
        for report in reports {
            XCTAssertEqual(report.kind, .acceptFailed, "\(report)")
            XCTAssertTrue(report.message.contains("EMFILE"), report.message)
        }
        XCTAssertTrue(server.stop())
    }

    func testFailureStreakPacesAndThinsItsReports() {
        var streak = FailureStreak(firstDelay: 10, maxDelay: 1000)
        var delays: [UInt64] = []
        var reported: [Int] = []
        for n in 1...5000 {
            let step = streak.fail()
            delays.append(step.delay)
            if step.report { reported.append(n) }
        }
        XCTAssertEqual(Array(delays.prefix(8)), [10, 20, 40, 80, 160, 320, 640, 1000])
        XCTAssertEqual(delays.max(), 1000)
        XCTAssertEqual(reported, [1, 10, 100, 1000, 2000, 3000, 4000, 5000])
        XCTAssertEqual(streak.succeed(), 5000)
        XCTAssertEqual(streak.fail().delay, 10)
        XCTAssertEqual(streak.count, 1)
    }

    /// The core of the client limit: the descriptors left after the reserve, raising the soft
    /// limit toward the hard one when that is enough.
    func testClientLimitFitsTheDescriptorLimit() throws {
        let plenty = try ClientLimit.fit(requested: 100, soft: 1024, hard: 1024, raise: { _ in false })
        XCTAssertEqual(plenty.maxClients, 100)
        XCTAssertNil(plenty.notice)
        let low = try ClientLimit.fit(requested: 10_000, soft: 64, hard: 64, raise: { _ in false })
        XCTAssertEqual(low.maxClients, 32)
        XCTAssertTrue(low.notice?.contains("maxclients lowered from 10000 to 32") == true, "\(low.notice ?? "")")
        var raisedTo: UInt64?
        let raised = try ClientLimit.fit(requested: 10_000, soft: 1024, hard: 1 << 20, raise: { raisedTo = $0; return true })
        XCTAssertEqual(raisedTo, 10_032)
        XCTAssertEqual(raised.maxClients, 10_000)
        XCTAssertNil(raised.notice)
        XCTAssertThrowsError(try ClientLimit.fit(requested: 10, soft: 32, hard: 32, raise: { _ in false }))
    }

    private func waitFor(_ condition: () -> Bool) -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            usleep(10_000)
        }
        return false
    }
}

/// Fails every accept with EMFILE while `failing`, counting them, and keeps the diagnostics.
final class AcceptProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var failing = true
    private var submitted = 0
    private var failed = 0
    private var kept: [Diagnostic] = []

    var submissions: Int { lock.withLock { submitted } }
    var failures: Int { lock.withLock { failed } }
    var reports: [Diagnostic] { lock.withLock { kept } }

    func setFailing(_ value: Bool) { lock.withLock { failing = value } }

    func nextAccept() -> Int32? {
        lock.withLock {
            submitted += 1
            guard failing else { return nil }
            failed += 1
            return EMFILE
        }
    }

    func record(_ diagnostic: Diagnostic) { lock.withLock { kept.append(diagnostic) } }
}
