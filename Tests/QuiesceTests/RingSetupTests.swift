import XCTest
import Glibc
import CQuiesceUring
@testable import Quiesce

/// Ring setup: a failure passed on by the executor, a kernel without the needed features, the setup
/// override, the smallest and a closed ring (each way setup fails is a row of ``RingSetupFailureTests``).
final class RingSetupTests: XCTestCase {
    func setupError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> IOError? {
        do {
            try body()
            XCTFail("setup succeeded", file: file, line: line)
            return nil
        } catch {
            XCTAssertTrue(error is IOError, "\(error)", file: file, line: line)
            return error as? IOError
        }
    }

    func testExecutorPassesTheSetupErrorOn() {
        let error = setupError { _ = try Executor(entries: 0) }
        XCTAssertEqual(error?.errno, EINVAL)
    }

    func testAKernelWithoutTheNeededFeaturesIsNamed() {
        let error = UringBackend.missingFeatures(UInt32(IORING_FEAT_EXT_ARG))
        XCTAssertEqual(error.errno, ENOSYS)
        XCTAssertTrue(error.description.contains("IORING_FEAT_EXT_ARG"), error.description)
        XCTAssertTrue(error.description.contains("Linux 5.11"), error.description)
    }

    func testTheOverrideSeesTheRequestedEntries() {
        var seen: UInt32 = 0
        _ = setupError { _ = try UringBackend(entries: 77, setupOverride: { seen = $0; return -ENOMEM }) }
        XCTAssertEqual(seen, 77)
    }

    func testAnOverrideThatAllowsSetupGetsARealRing() throws {
        let backend = try UringBackend(entries: 4, setupOverride: { _ in 0 })
        XCTAssertGreaterThanOrEqual(backend.ringFD, 0)
        backend.close()
    }

    func testSmallestRingWorksAndItsCompletionQueueOverflowsSafely() throws {
        let executor = try Executor(entries: 1)  // completion queue: 2 entries
        var nops: [OpBox<IO.Nop>] = (0..<100).map { _ in OpBox(IO.nop()) }
        for box in nops { pollOnce(&box.op!, on: executor) }
        for box in nops { XCTAssertNotNil(value(try drive(&box.op!, on: executor))) }
        nops.removeAll()
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testOneTurnReapsMoreCompletionsThanOneBatchPeekReturns() throws {
        // 512 NOPs complete inside one io_uring_enter; the backend peeks at most 256 at a time, so a
        // single driver turn must peek again until the completion queue is empty.
        let executor = try Executor(entries: 512)
        var nops: [OpBox<IO.Nop>] = (0..<512).map { _ in OpBox(IO.nop()) }
        for box in nops { pollOnce(&box.op!, on: executor) }
        XCTAssertEqual(executor.driver.operationsInFlight, 512)
        XCTAssertEqual(try executor.driver.turn(waitNanos: nil), 512)
        XCTAssertEqual(executor.driver.operationsInFlight, 0)
        for box in nops { XCTAssertTrue(pollOnce(&box.op!, on: executor)) }
        nops.removeAll()
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testAClosedRingRefusesWorkWithAnErrorInsteadOfTouchingFreedMemory() throws {
        let backend = try UringBackend(entries: 4)
        XCTAssertGreaterThanOrEqual(backend.ringFD, 0)
        backend.close()
        XCTAssertEqual(backend.ringFD, -1)
        var entry = SubmissionEntry()
        cqu_prep_nop(&entry)
        XCTAssertFalse(backend.prepare(&entry, userData: 1))
        XCTAssertThrowsError(try backend.submit(waitNanos: nil)) { error in
            XCTAssertEqual((error as? IOError)?.errno, EBADF)
        }
        XCTAssertEqual(backend.reap { _, _, _ in XCTFail("a closed ring has no completions") }, 0)
        backend.close()  // a second close does nothing
    }
}
