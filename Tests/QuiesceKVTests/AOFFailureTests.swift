import XCTest
import Foundation
import Quiesce
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// An AOF that cannot be written: writes are refused (MISCONF) while the writer retries, accepted
/// again once a retry succeeds, and a failure that outlasts the shutdown makes it unclean.
final class AOFFailureTests: XCTestCase {
    /// The AOF's descriptor is pointed at /dev/full (every write fails with ENOSPC), then back at the
    /// file. The SET whose write failed gets no reply; later writes get MISCONF while reads still
    /// work; once the disk is back a retry writes the failed batch and writes are accepted again.
    /// The failure and the recovery are logged once each; the shutdown is clean. After a restart
    /// every executed SET is there, the one whose write was retried included.
    func testAFailedWriteIsRetriedAndWritesResumeOnceSpaceReturns() throws {
        let (path, log, server, client, saved) = try serverThatFillsItsDisk(retryInterval: 20_000_000)
        XCTAssertThrowsError(try client.call("SET", "during", "2"), "a reply whose record was not written")
        let other = try TestClient(port: server.port)
        guard case .error(let refusal) = try other.call("SET", "refused", "3") else { return XCTFail("SET accepted") }
        XCTAssertTrue(refusal.hasPrefix("MISCONF"), refusal)
        XCTAssertEqual(try other.call("GET", "before"), .text("1"))
        server.onServer { kv in DiskFull.end(on: kv.aof!.fd, restoring: saved) }
        var reply = Reply.null
        for _ in 0..<500 {
            reply = try other.call("SET", "after", "4")
            if reply == .simple("OK") { break }
            usleep(10_000)
        }
        XCTAssertEqual(reply, .simple("OK"), "writes still refused after the disk came back")
        XCTAssertTrue(server.stop())
        XCTAssertEqual(server.shutdownReport, ShutdownReport(aofFailure: nil, recordsNotDurable: 0))
        let lines = log.lines
        XCTAssertTrue(lines.first?.hasPrefix("AOF write failed: write: ENOSPC") == true, "\(lines)")
        XCTAssertTrue(lines.first?.hasSuffix("(failure 1 in a row)") == true, "\(lines)")
        XCTAssertTrue(lines.last?.contains("write commands are accepted again") == true, "\(lines)")
        XCTAssertEqual(lines.filter { $0.contains("accepted again") }.count, 1, "\(lines)")
        XCTAssertTrue(lines.dropLast().allSatisfy(Self.isThinnedFailureReport), "\(lines)")

        let restarted = try TestServer { $0.aofPath = path }
        let reader = try TestClient(port: restarted.port)
        XCTAssertEqual(try reader.call("GET", "before"), .text("1"))
        XCTAssertEqual(try reader.call("GET", "during"), .text("2"))
        XCTAssertEqual(try reader.call("GET", "refused"), .null)
        XCTAssertEqual(try reader.call("GET", "after"), .text("4"))
        XCTAssertTrue(restarted.stop())
    }

    /// A disk that stays full: every retry fails (reported at the 1st and 10th failure only), the
    /// shutdown's last attempt fails too, and the report says the shutdown was not clean.
    func testAWriteThatKeepsFailingIsRetriedBoundedlyAndTheShutdownIsUnclean() throws {
        let (_, log, server, client, saved) = try serverThatFillsItsDisk(retryInterval: 1_000_000)
        defer { close(saved) }
        XCTAssertThrowsError(try client.call("SET", "lost", "2"))
        XCTAssertTrue(server.waitUntil { _ in log.lines.count >= 2 }, "\(log.lines)")
        XCTAssertTrue(server.stop())
        let report = try XCTUnwrap(server.shutdownReport)
        XCTAssertFalse(report.isClean)
        XCTAssertEqual(report.aofFailure?.errno, ENOSPC)
        XCTAssertEqual(report.recordsNotDurable, 1)
        let lines = log.lines
        XCTAssertTrue(lines[0].hasSuffix("(failure 1 in a row)"), "\(lines)")
        XCTAssertTrue(lines[1].hasSuffix("(failure 10 in a row)"), "\(lines)")
        XCTAssertTrue(lines.dropLast().allSatisfy(Self.isThinnedFailureReport), "\(lines)")
        XCTAssertTrue(lines.last?.hasPrefix("AOF write failed again at shutdown") == true, "\(lines)")
    }

    /// A failed data-sync write is retried only when it is known to have written nothing: the AOF is
    /// as long as before it (ENOSPC, EFBIG) or is a device. An AOF that grew (the bytes reached the
    /// file, their sync failed), EIO (a failed sync), or an unknown size make it final.
    func testAFailedDataSyncWriteIsRetriedOnlyWhenItWroteNothing() throws {
        let path = temporaryAOFPath()
        addTeardownBlock { unlink(path) }
        let fd = open(path, O_CREAT | O_RDWR | O_APPEND | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(write(fd, "*1\r\n$4\r\nPING\r\n", 14), 14)
        XCTAssertTrue(AOFWriter.wroteNothing(ENOSPC, fd: fd, size: 14), "as long as before: nothing written")
        XCTAssertTrue(AOFWriter.wroteNothing(EFBIG, fd: fd, size: 14))
        XCTAssertFalse(AOFWriter.wroteNothing(ENOSPC, fd: fd, size: 10), "grown: written, not durable")
        XCTAssertFalse(AOFWriter.wroteNothing(EIO, fd: fd, size: 14), "EIO is a failed sync")
        XCTAssertFalse(AOFWriter.wroteNothing(ENOSPC, fd: fd, size: nil), "size unknown")
        let device = open("/dev/full", O_WRONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(device, 0)
        defer { close(device) }
        XCTAssertTrue(AOFWriter.wroteNothing(ENOSPC, fd: device, size: nil), "a device has no length to grow")
        XCTAssertFalse(AOFWriter.wroteNothing(ENOSPC, fd: -1, size: 14), "fstat failed: nothing known")
    }

    /// A server with an `always` AOF retried every `retryInterval` (removed after the test), its log
    /// kept, `before` set to 1 (acknowledged); then its AOF descriptor is pointed at /dev/full
    /// (`saved`: what it was).
    private func serverThatFillsItsDisk(retryInterval: UInt64) throws
        -> (path: String, log: LogProbe, server: TestServer, client: TestClient, saved: Int32) {
        let path = temporaryAOFPath()
        addTeardownBlock { unlink(path) }
        let log = LogProbe()
        let server = try TestServer(configure: {
            $0.aofPath = path
            $0.appendFsync = .always
            $0.aofRetryInterval = retryInterval
        }, prepare: { kv, _ in kv.logHandler = { log.record($0) } })
        let client = try TestClient(port: server.port)
        XCTAssertEqual(try client.call("SET", "before", "1"), .simple("OK"))
        let saved = server.onServer { kv in DiskFull.begin(on: kv.aof!.fd) }
        return (path, log, server, client, saved)
    }

    // A report of a failed retry, at a failure in a row that ``FailureStreak`` reports (the 1st,
    // 10th, 100th, then every 1000th: DescriptorLimitTests pins that rule).
    static func isThinnedFailureReport(_ line: String) -> Bool {
        guard line.hasPrefix("AOF write failed: "), let open = line.range(of: "(failure ", options: .backwards),
              let n = Int(line[open.upperBound...].prefix { $0.isNumber }) else { return false }
        return FailureStreak.isReported(n)
    }

    /// The built server under a file-size limit (`ulimit -f 1`, SIGXFSZ ignored: writes past 512
    /// bytes fail with EFBIG) never gets its AOF written again: SIGTERM makes it exit 1, not 0.
    func testAnAOFThatStaysFailedMakesShutdownExitNonZero() throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        let server = try ServerProcess(arguments: ["--aof", path, "--appendfsync", "always"],
                                       limits: "trap '' XFSZ && ulimit -f 1")
        let client = try TestClient(port: server.port)
        XCTAssertEqual(try client.call("SET", "small", "1"), .simple("OK"))
        XCTAssertThrowsError(try client.call("SET", "big", String(repeating: "x", count: 1000)))
        let other = try TestClient(port: server.port)
        guard case .error(let refusal) = try other.call("SET", "refused", "3") else { return XCTFail("SET accepted") }
        XCTAssertTrue(refusal.hasPrefix("MISCONF"), refusal)
        XCTAssertEqual(server.signalAndWait(SIGTERM), 1, "a shutdown that lost AOF records must not exit 0")
    }
}

/// Makes a descriptor's writes fail with ENOSPC by pointing it at /dev/full, and puts it back.
enum DiskFull {
    /// Points `fd` at /dev/full; returns a duplicate of what it was.
    static func begin(on fd: Int32) -> Int32 {
        let saved = dup(fd)
        let full = open("/dev/full", O_WRONLY | O_APPEND | O_CLOEXEC)
        precondition(saved >= 0 && full >= 0 && dup2(full, fd) == fd, "cannot simulate a full disk: errno \(errno)")
        close(full)
        return saved
    }

    /// Points `fd` back at what `saved` refers to, and closes `saved`.
    static func end(on fd: Int32, restoring saved: Int32) {
        precondition(dup2(saved, fd) == fd, "cannot restore the descriptor: errno \(errno)")
        close(saved)
    }
}

/// Keeps the server's log lines.
final class LogProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []

    var lines: [String] { lock.withLock { kept } }

    func record(_ line: String) { lock.withLock { kept.append(line) } }
}
