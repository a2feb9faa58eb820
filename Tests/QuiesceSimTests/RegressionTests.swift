import XCTest
import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// Each test here fails if a bug that other io_uring runtimes shipped comes back. They run on the
/// simulated driver, across the three answers a cancel can get and a range of seeds.
final class RegressionTests: XCTestCase {
    static let outcomes: [SimCancelOutcome] = [.cancelled, .completionWins, .alreadyRunning]

    /// A read on a pipe that only gets data when the test says so.
    private func pendingRead(_ ops: Ops, fd: Int32) -> Steps {
        Steps(drop: { cx in ops.read.pollDropReady(&cx) }) { cx in
            if ops.read == nil { ops.read = IO.read(fd, into: IOBuffer(capacity: 16)) }
            guard case .ready(let out) = ops.read!.poll(&cx) else { return .pending }
            ops.readResult = out.result
            return .ready(())
        }
    }

    // tokio-uring #… / monoio: a timeout dropped the read future and freed its buffer while the
    // kernel could still write into it.
    func testTimeoutDroppingAnInFlightReadKeepsItsBufferUntilTheKernelIsDone() throws {
        for outcome in Self.outcomes {
            for seed in UInt64(0)..<50 {
                var rng = SimRandom(seed: seed &+ 0xABCD)
                var faults = SimFaults.random(&rng)
                faults.forcedCancelOutcomes = [outcome]
                var scenario = Scenario(seed: seed, faults: faults)
                let (r, _) = scenario.sim.makePipe()
                // Data arrives around the deadline: before, at, or after it, as the seed says.
                scenario.sim.schedule(after: UInt64(4_000 + seed % 3 * 1_000)) { $0.inject([1, 2, 3], into: r) }
                let ops = Ops()
                let result = try scenario.executor!.blockOn(Timeout(nanoseconds: 5_000, pendingRead(ops, fd: r)))
                // When the timeout reports, the read is over: nothing of it is in flight.
                XCTAssertTrue(scenario.executor!.driver.isQuiescent, "seed \(seed) \(outcome)")
                XCTAssertEqual(scenario.sim.inFlightCount, 0, "seed \(seed) \(outcome)")
                if case .failure = result { XCTAssertFalse(ops.read?.isInFlight ?? false) }
                ops.read = nil
                XCTAssertEqual(scenario.finish(), [], "seed \(seed) \(outcome)")
            }
        }
    }

    // The same, with the read dropped at the very moment its data is ready (completion beats cancel).
    func testReadDroppedWhileItsDataArrivesHandsTheBufferBackOnce() throws {
        for outcome in Self.outcomes {
            var faults = SimFaults.none
            faults.forcedCancelOutcomes = [outcome]
            var scenario = Scenario(seed: 1, faults: faults)
            let sim = scenario.sim
            let (r, _) = sim.makePipe()
            let ops = Ops()
            try scenario.executor!.blockOn(Steps { cx in
                if ops.stage == 0 {
                    ops.read = IO.read(r, into: IOBuffer(capacity: 16))
                    _ = ops.read!.poll(&cx)  // submitted
                    ops.stage = 1
                    cx.waker.wake()
                    return .pending
                }
                if ops.stage == 1 { sim.inject([7, 7], into: r); ops.stage = 2 }  // ready, not completed
                guard ops.read.pollDropReady(&cx).isReady else { return .pending }
                return .ready(())
            })
            XCTAssertEqual(sim.statistics.cancelsPrepared, 1, "\(outcome)")
            ops.read = nil
            XCTAssertEqual(scenario.finish(), [], "\(outcome)")
        }
    }

    // glommio/tokio-uring: the runtime's drop freed buffers first and tore the ring down after, so
    // the kernel wrote into freed memory. Here a read stays stuck past the shutdown deadline.
    func testBuffersAreNeverFreedBeforeTheRingIsTornDown() throws {
        var faults = SimFaults.none
        faults.forcedCancelOutcomes = [.alreadyRunning]
        faults.runningIgnoresCancel = true  // the running read does not stop: only data ends it
        let sim = SimBackend(seed: 3, faults: faults)
        sim.watchBuffers()
        defer { sim.stopWatchingBuffers() }
        let (r, _) = sim.makePipe()
        let ops = Ops()
        do {
            let executor = Executor(backend: sim)
            executor.diagnosticHandler = { _ in }
            executor.spawn(pendingRead(ops, fd: r)).detach()
            try executor.runUntilIdle()
            XCTAssertEqual(executor.driver.operationsInFlight, 1)
        }  // released with the read in flight: bounded shutdown, then the driver is kept, not closed
        ops.read = nil  // the read's owner goes too (synchronously): the driver must still keep the buffer
        XCTAssertEqual(sim.violations, [])
        XCTAssertFalse(sim.isClosed, "the ring was torn down with an operation in flight")
        XCTAssertEqual(sim.liveBufferCount, 1, "the in-flight read's buffer must be kept")
        XCTAssertEqual(sim.inFlightCount, 1)
    }

    // A cancelled accept (or open) that succeeded in the kernel anyway leaked its descriptor.
    func testCancelledAcceptOrOpenThatSucceededDoesNotLeakItsDescriptor() throws {
        for outcome in Self.outcomes {
            for synchronousDrop in [false, true] {
                var faults = SimFaults.none
                faults.forcedCancelOutcomes = [outcome]
                var scenario = Scenario(seed: 2, faults: faults)
                let sim = scenario.sim
                let listener = sim.makeListener(port: 80)
                sim.makeFile("/etc/motd", contents: [1])
                let ops = Ops()
                try scenario.executor!.blockOn(Steps { cx in
                    if ops.stage == 0 {
                        ops.accept = IO.accept(listener)
                        ops.open = IO.open("/etc/motd", flags: O_RDONLY)
                        _ = ops.accept!.poll(&cx)
                        _ = ops.open!.poll(&cx)
                        ops.stage = 1
                        cx.waker.wake()
                        return .pending
                    }
                    if ops.stage == 1 { sim.connectPeer(toPort: 80); ops.stage = 2 }  // the accept can succeed now
                    if synchronousDrop {
                        ops.accept = nil  // orphaned: the driver must close what it accepts
                        ops.open = nil
                        return .ready(())
                    }
                    let a = ops.accept.pollDropReady(&cx).isReady
                    let o = ops.open.pollDropReady(&cx).isReady
                    return a && o ? .ready(()) : .pending
                })
                scenario.executor!.shutdown()
                ops.accept = nil; ops.open = nil
                XCTAssertEqual(scenario.finish(), [], "\(outcome), sync drop: \(synchronousDrop)")
                if outcome == .completionWins {
                    XCTAssertEqual(sim.statistics.descriptorsClosedByDriver, 2, "\(outcome), sync drop: \(synchronousDrop)")
                }
            }
        }
    }

    // A submit that failed made a runtime free the buffers of operations already in the submission
    // queue, which the kernel consumed later anyway.
    func testFailedSubmitKeepsTheBuffersOfQueuedOperations() throws {
        for errno in [EBUSY, ENOMEM, EINTR] {
            var faults = SimFaults.none
            faults.failNextSubmit = errno
            var scenario = Scenario(seed: 4, faults: faults)
            let sim = scenario.sim
            let (_, w) = sim.makePipe()
            let ops = Ops()
            let handle = scenario.executor!.spawn(Steps(drop: { cx in ops.write.pollDropReady(&cx) }) { cx in
                if ops.write == nil { ops.write = IO.write(w, IOBuffer(string: "queued")) }
                guard ops.write!.poll(&cx).isReady else { return .pending }
                return .ready(())
            })
            XCTAssertThrowsError(try scenario.executor!.runUntilIdle())  // the write is queued, the submit fails
            XCTAssertEqual(sim.statistics.failedSubmits, 1)
            ops.write = nil  // the write's owner lets go synchronously: the driver must keep the buffer
            _ = consume handle
            let report = scenario.executor!.shutdown()
            XCTAssertTrue(report.isClean, "\(report)")
            XCTAssertEqual(sim.statistics.completionsReaped, sim.statistics.prepared + sim.statistics.cancelsPrepared)
            ops.write = nil
            XCTAssertEqual(scenario.finish(), [], "errno \(errno)")
        }
    }

    // A cancel that did not fit in a full submission queue was silently dropped: the operation, and
    // whoever awaited its drop, waited forever.
    func testCancelRefusedByAFullSubmissionQueueIsSubmittedLater() throws {
        for rejections in 1...4 {
            var scenario = Scenario(seed: 5)
            let sim = scenario.sim
            let (r, _) = sim.makePipe()
            let ops = Ops()
            let handle = scenario.executor!.spawn(pendingRead(ops, fd: r))
            try scenario.executor!.runUntilIdle()
            XCTAssertEqual(scenario.executor!.driver.operationsInFlight, 1)
            sim.faults.rejectNextPrepares = rejections  // the cancel finds the queue full
            try scenario.executor!.blockOn(AsyncDrop(handle))
            XCTAssertGreaterThanOrEqual(sim.statistics.queueFullRejections, 1)
            XCTAssertEqual(sim.statistics.cancelsPrepared, 1)
            XCTAssertTrue(scenario.executor!.driver.isQuiescent)
            ops.read = nil
            XCTAssertEqual(scenario.finish(), [], "\(rejections) rejection(s)")
        }
    }

    // A runtime's shutdown hung forever on an accept that no connection would ever complete.
    func testShutdownWithAnOutstandingAcceptReturnsClean() throws {
        for seed in UInt64(0)..<200 {
            var scenario = Scenario(seed: seed, faults: nil)  // the seed's own fault plan
            let listener = scenario.sim.makeListener(port: 8080)
            let ops = Ops()
            let handle = scenario.executor!.spawn(Steps(drop: { cx in ops.accept.pollDropReady(&cx) }) { cx in
                if ops.accept == nil { ops.accept = IO.accept(listener) }
                guard ops.accept!.poll(&cx).isReady else { return .pending }
                return .ready(())
            })
            try scenario.executor!.runUntilIdle()
            let report = scenario.executor!.shutdown()
            XCTAssertTrue(report.isClean, "seed \(seed): \(report)")
            XCTAssertTrue(handle.isFinished, "seed \(seed)")
            ops.accept = nil
            XCTAssertEqual(scenario.finish(), [], "seed \(seed)")
        }
    }

    // Found by the seed sweep: `blockOn` whose future finished slept on another task's I/O (an
    // accept no one would complete) instead of returning: a hang on a real ring.
    func testBlockOnReturnsWhileAnotherTaskWaitsOnIO() throws {
        var scenario = Scenario(seed: 6)
        let listener = scenario.sim.makeListener(port: 9)
        let ops = Ops()
        let handle = scenario.executor!.spawn(Steps(drop: { cx in ops.accept.pollDropReady(&cx) }) { cx in
            if ops.accept == nil { ops.accept = IO.accept(listener) }
            guard ops.accept!.poll(&cx).isReady else { return .pending }
            return .ready(())
        })
        XCTAssertNoThrow(try scenario.executor!.blockOn(Steps { _ in .ready(()) }))
        do { try scenario.executor!.blockOn(AsyncDrop(handle)) } catch { XCTFail("\(error)") }
        ops.accept = nil
        XCTAssertEqual(scenario.finish(), [])
    }
}
