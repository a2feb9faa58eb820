import CQuiesceUring
import Dispatch
import Foundation
import Glibc
import XCTest
@testable import Quiesce

/// Ring setup options: the flags asked for, the ones in effect, and a clean fallback, reported,
/// when the kernel refuses some.
final class RingOptionsTests: XCTestCase {
    let singleIssuer = UInt32(IORING_SETUP_SINGLE_ISSUER)
    let deferTaskrun = UInt32(IORING_SETUP_DEFER_TASKRUN)
    let taskrunFlag = UInt32(IORING_SETUP_TASKRUN_FLAG)
    let sqpoll = UInt32(IORING_SETUP_SQPOLL)

    func testTheDefaultRingIsSingleIssuerWithDeferredTaskRunning() throws {
        let backend = try UringBackend(options: RingOptions(entries: 64))
        defer { backend.close() }
        let setup = backend.setup
        XCTAssertEqual(setup.flags, singleIssuer | deferTaskrun | taskrunFlag, setup.description)
        XCTAssertTrue(setup.singleIssuer)
        XCTAssertTrue(setup.deferTaskrun)
        XCTAssertEqual(setup.refused, 0)
        XCTAssertEqual(setup.notes, [])
        XCTAssertNil(setup.fallbackDiagnostic)
        XCTAssertEqual(setup.description, "SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG, 64 submission and 128 completion entries")
        let executor = try Executor(entries: 32)
        XCTAssertEqual((executor.driver.backend as? UringBackend)?.setup.deferTaskrun, true, "Executor(entries:) takes the defaults")
    }

    func testTheCompletionQueueSizeIsTheOneAskedFor() throws {
        let backend = try UringBackend(options: RingOptions(entries: 32, completionEntries: 1000))
        defer { backend.close() }
        XCTAssertEqual(backend.setup.completionEntries, 1024, "rounded up to a power of two")
        XCTAssertEqual(backend.setup.submissionEntries, 32)
        XCTAssertNotEqual(backend.setup.flags & UInt32(IORING_SETUP_CQSIZE), 0)
    }

    func testPlainOptionsAskForNoFlags() throws {
        let backend = try UringBackend(options: .plain(entries: 16))
        defer { backend.close() }
        XCTAssertEqual(backend.setup.flags, 0)
        XCTAssertTrue(backend.setup.description.hasPrefix("no flags, 16 submission"), backend.setup.description)
    }

    func testARefusedDeferTaskRunFallsBackAndSaysSo() throws {
        var attempts: [UInt32] = []
        let backend = try UringBackend(options: RingOptions(entries: 32)) { [deferTaskrun] _, flags in
            attempts.append(flags)
            return flags & deferTaskrun != 0 ? -EINVAL : 0  // a Linux 6.0 kernel
        }
        let setup = backend.setup
        XCTAssertEqual(attempts, [singleIssuer | deferTaskrun | taskrunFlag, singleIssuer])
        XCTAssertEqual(setup.flags, singleIssuer)
        XCTAssertEqual(setup.refused, deferTaskrun | taskrunFlag)
        XCTAssertEqual(setup.notes, ["DEFER_TASKRUN refused (EINVAL): needs Linux 6.1", "TASKRUN_FLAG left out with DEFER_TASKRUN"])
        let note = try XCTUnwrap(setup.fallbackDiagnostic)
        XCTAssertEqual(note.kind, .ringSetupFallback)
        XCTAssertTrue(note.message.contains("without DEFER_TASKRUN|TASKRUN_FLAG"), note.message)
        XCTAssertTrue(note.message.hasSuffix("in effect: SINGLE_ISSUER"), note.message)
        try assertTheRingWorks(Executor(backend: backend))
    }

    func testAKernelWithoutTheseFlagsGetsAPlainRing() throws {
        let backend = try UringBackend(options: RingOptions(entries: 32)) { _, flags in flags == 0 ? 0 : -EINVAL }
        XCTAssertEqual(backend.setup.flags, 0)
        XCTAssertEqual(backend.setup.refused, singleIssuer | deferTaskrun | taskrunFlag)
        XCTAssertEqual(backend.setup.notes, ["DEFER_TASKRUN refused (EINVAL): needs Linux 6.1", "TASKRUN_FLAG left out with DEFER_TASKRUN",
                                             "SINGLE_ISSUER refused (EINVAL): needs Linux 6.0"])
        try assertTheRingWorks(Executor(backend: backend))
    }

    func testSQPOLLOnRequest() throws {
        let backend = try UringBackend(options: RingOptions(entries: 32, sqpollIdle: .milliseconds(20)))
        let setup = backend.setup
        XCTAssertTrue(setup.notes.contains("DEFER_TASKRUN: not asked for with SQPOLL (the kernel refuses the pair)"), "\(setup)")
        XCTAssertFalse(setup.deferTaskrun)
        if setup.sqpoll {
            XCTAssertEqual(setup.flags, singleIssuer | sqpoll, "\(setup)")
        } else {
            XCTAssertNotEqual(setup.refused & sqpoll, 0, "SQPOLL is either in effect or reported refused: \(setup)")
        }
        try assertTheRingWorks(Executor(backend: backend))
    }

    func testARefusedSQPOLLFallsBackAndSaysSo() throws {
        let backend = try UringBackend(options: RingOptions(entries: 32, sqpollIdle: .seconds(1))) { [sqpoll] _, flags in
            flags & sqpoll != 0 ? -EPERM : 0  // unprivileged, before Linux 5.11
        }
        XCTAssertFalse(backend.setup.sqpoll)
        XCTAssertEqual(backend.setup.flags, singleIssuer)
        XCTAssertEqual(backend.setup.refused, sqpoll)
        XCTAssertTrue(backend.setup.notes.contains("SQPOLL refused (EPERM): needs CAP_SYS_ADMIN before Linux 5.11"), "\(backend.setup)")
        XCTAssertEqual(backend.setup.fallbackDiagnostic?.kind, .ringSetupFallback)
        try assertTheRingWorks(Executor(backend: backend))
    }

    /// With DEFER_TASKRUN the kernel posts a completion only when the ring's thread enters it for
    /// completions: a turn that must not wait still does when the kernel has work for it.
    func testACompletionArrivesInATurnThatDoesNotWait() throws {
        try assertACompletionArrivesInATurnThatDoesNotWait(Executor(entries: 32))
        XCTAssertEqual((try Executor(entries: 32).driver.backend as? UringBackend)?.setup.flags, singleIssuer | deferTaskrun | taskrunFlag)
    }

    /// Without TASKRUN_FLAG nothing says when completions wait to be posted: a turn that must not
    /// wait enters the kernel for them whenever operations are in flight.
    func testACompletionArrivesInATurnThatDoesNotWaitWithoutTheTaskRunFlag() throws {
        var options = RingOptions(entries: 32)
        options.taskrunFlag = false
        let executor = Executor(backend: try UringBackend(options: options))
        XCTAssertEqual((executor.driver.backend as? UringBackend)?.setup.flags, singleIssuer | deferTaskrun)
        try assertACompletionArrivesInATurnThatDoesNotWait(executor)
    }

    private func assertACompletionArrivesInATurnThatDoesNotWait(_ executor: Executor) throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var read = IO.read(r, into: IOBuffer(capacity: 16))
        XCTAssertFalse(pollOnce(&read, on: executor))
        XCTAssertEqual(try executor.driver.turn(waitNanos: 0), 0, "submitted; no data yet")
        put(w, "now")
        XCTAssertEqual(try executor.driver.turn(waitNanos: 0), 1, "the read's completion arrived without waiting")
        var cx = Context(waker: .noop, executor: executor)
        guard case .ready(let got) = read.poll(&cx) else { return XCTFail("the read is complete") }
        XCTAssertEqual(got.buffer.string, "now")
        XCTAssertEqual(try executor.driver.turn(waitNanos: 0), 0, "nothing in flight: nothing to enter the kernel for")
    }

    func testAnExecutorRunFromAnotherThreadThanItsRingsGetsAClearError() throws {
        let executor = try Executor(entries: 32)
        let outcome = try runOnAnotherThread(executor)
        guard case .failure(.driver(let error)) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(error.errno, EEXIST)
        XCTAssertTrue(error.description.contains("set up with SINGLE_ISSUER|DEFER_TASKRUN: only the thread that created it"), error.description)
        XCTAssertTrue(error.description.contains("RingOptions(singleIssuer: false)"), error.description)
        // Back on its own thread it runs: the task left behind is dropped and its nop completes.
        XCTAssertTrue(executor.shutdown(deadline: 2_000_000_000).isClean)
    }

    func testWithoutSingleIssuerAnotherThreadMayRunTheExecutor() throws {
        let executor = try Executor(options: RingOptions(entries: 32, singleIssuer: false))
        XCTAssertEqual((executor.driver.backend as? UringBackend)?.setup.flags, 0)
        XCTAssertEqual((executor.driver.backend as? UringBackend)?.setup.notes,
                       ["DEFER_TASKRUN: not asked for without SINGLE_ISSUER (the kernel requires it)"])
        let outcome = try runOnAnotherThread(executor)
        guard case .success = outcome else { return XCTFail("\(outcome)") }
    }

    /// A nop and a pipe round trip through `executor`.
    private func assertTheRingWorks(_ executor: Executor, file: StaticString = #filePath, line: UInt = #line) throws {
        var nop = IO.nop()
        XCTAssertNotNil(value(try drive(&nop, on: executor), file: file, line: line), file: file, line: line)
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var read = IO.read(r, into: IOBuffer(capacity: 16))
        XCTAssertFalse(pollOnce(&read, on: executor))
        var write = IO.write(w, IOBuffer(string: "through"))
        XCTAssertEqual(value(try drive(&write, on: executor).result, file: file, line: line), 7, file: file, line: line)
        XCTAssertEqual(try drive(&read, on: executor).buffer.string, "through", file: file, line: line)
    }

    /// Runs a nop to completion on `executor` from a new thread.
    private func runOnAnotherThread(_ executor: Executor) throws -> Result<Void, ExecutorError> {
        final class Box: @unchecked Sendable {  // handed to one thread, read after it signalled
            let executor: Executor
            var outcome: Result<Void, ExecutorError>?
            init(_ executor: Executor) { self.executor = executor }
        }
        let box = Box(executor)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do throws(ExecutorError) {
                let result = try box.executor.blockOn(IO.nop())
                box.outcome = result.map { _ in () }.mapError { .driver($0) }
            } catch {
                box.outcome = .failure(error)
            }
            done.signal()
        }
        thread.start()
        done.wait()
        return try XCTUnwrap(box.outcome)
    }
}
