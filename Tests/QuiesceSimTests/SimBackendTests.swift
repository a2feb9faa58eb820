import CQuiesceUring
import XCTest
import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// The simulated kernel itself: descriptors, data, the virtual clock, cancel answers, determinism.
final class SimBackendTests: XCTestCase {
    func testSimulatedDescriptorsNeverCollideWithRealOnes() {
        let sim = SimBackend(seed: 1)
        let (r, w) = sim.makePipe()
        let (a, b) = sim.makeSocketPair()
        for fd in [r, w, a, b, sim.makeListener(port: 1), sim.makeSocket()] {
            XCTAssertGreaterThanOrEqual(fd, SimBackend.firstDescriptor)
        }
    }

    func testPipeCarriesBytesThroughTheDriver() throws {
        let sim = SimBackend(seed: 1, faults: SimFaults.none)
        let executor = Executor(backend: sim)
        let (r, w) = sim.makePipe()
        let written = try executor.blockOn(IO.write(w, IOBuffer(string: "ping")))
        XCTAssertEqual(try written.result.get(), 4)
        let read = try executor.blockOn(IO.read(r, into: IOBuffer(capacity: 16)))
        XCTAssertEqual(read.buffer.string, "ping")
        sim.hangUp(r)
        XCTAssertEqual(try executor.blockOn(IO.read(r, into: IOBuffer(capacity: 16))).result.get(), 0)
    }

    func testConnectAcceptSendAndRecvWork() throws {
        let sim = SimBackend(seed: 2, faults: SimFaults.none)
        let executor = Executor(backend: sim)
        let listener = sim.makeListener(port: 8000)
        let client = sim.makeSocket()
        XCTAssertNoThrow(try executor.blockOn(IO.connect(client, to: .loopback(port: 8000))).get())
        let accepted = try executor.blockOn(IO.accept(listener)).get()
        XCTAssertEqual(sim.openDescriptors(origin: .kernel), [accepted.fd])
        _ = try executor.blockOn(IO.send(client, IOBuffer(string: "hi")))
        XCTAssertEqual(try executor.blockOn(IO.recv(accepted.fd, into: IOBuffer(capacity: 8))).buffer.string, "hi")
        XCTAssertNoThrow(try executor.blockOn(IO.close(accepted.fd)).get())
        XCTAssertEqual(sim.openDescriptors(origin: .kernel), [])
        guard case .failure(let refused) = try executor.blockOn(IO.connect(sim.makeSocket(), to: .loopback(port: 1))) else {
            return XCTFail("connect to a port nobody listens on succeeded")
        }
        XCTAssertEqual(refused.errno, ECONNREFUSED)
    }

    func testVirtualClockMovesOnlyWhenNothingElseCanHappen() throws {
        let sim = SimBackend(seed: 3, faults: SimFaults.none)
        let executor = Executor(backend: sim)
        let start = sim.now()
        try executor.blockOn(Sleep(nanoseconds: 5_000_000_000))  // five virtual seconds, instantly
        XCTAssertEqual(sim.now() - start, 5_000_000_000)
        XCTAssertNoThrow(try executor.blockOn(IO.timeout(nanoseconds: 1_000)).get(), "expiry (-ETIME) is the timeout's success")
        XCTAssertEqual(sim.now() - start, 5_000_001_000)
    }

    func testAWaitThatCanNeverEndIsAnErrorNotAHang() {
        let sim = SimBackend(seed: 4, faults: SimFaults.none)
        let executor = Executor(backend: sim)
        let (r, _) = sim.makePipe()
        do {
            _ = try executor.blockOn(IO.read(r, into: IOBuffer(capacity: 4)))
            XCTFail("a read nobody will ever feed completed")
        } catch {
            guard case .driver(let io) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(io.errno, EDEADLK)
        }
        XCTAssertEqual(sim.statistics.stalls, 1)
        executor.shutdown()
    }

    func testCancelOfAnUnknownOperationAnswersENOENT() {
        let sim = SimBackend(seed: 5, faults: SimFaults.none)
        var entry = SubmissionEntry()
        cqu_prep_cancel64(&entry, 42, 0)
        XCTAssertTrue(sim.prepare(&entry, userData: 42 | 1 << 63))
        XCTAssertNoThrow(try sim.submit(waitNanos: 0))
        var results: [Int32] = []
        XCTAssertEqual(sim.reap { _, result, _ in results.append(result) }, 1)
        XCTAssertEqual(results, [-ENOENT])
    }

    func testSameSeedReplaysTheSameRunExactly() {
        func trace(_ seed: UInt64) -> [String] {
            var run = SeedRun(seed: seed)
            var lines: [String] = []
            run.traceSink = { lines.append($0) }
            run.run()
            return lines + [run.summary]
        }
        for seed: UInt64 in [7, 8, 9] {
            let first = trace(seed)
            XCTAssertGreaterThan(first.count, 1)
            XCTAssertEqual(first, trace(seed), "seed \(seed) did not replay")
        }
        XCTAssertNotEqual(trace(7), trace(8))
    }

    func testSeedChoosesCancelOutcomes() throws {
        for outcome in RegressionTests.outcomes {
            var faults = SimFaults.none
            faults.forcedCancelOutcomes = [outcome]
            let sim = SimBackend(seed: 6, faults: faults)
            let executor = Executor(backend: sim)
            let (r, _) = sim.makePipe()
            let handle = executor.spawn(IO.read(r, into: IOBuffer(capacity: 4)))
            try executor.runUntilIdle()
            try executor.blockOn(AsyncDrop(handle))
            let s = sim.statistics
            switch outcome {
            case .cancelled: XCTAssertEqual(s.cancelsSucceeded, 1)
            case .completionWins: XCTAssertEqual(s.cancelsSucceeded, 1, "a blocked read cannot win: it is cancelled")
            case .alreadyRunning: XCTAssertEqual(s.cancelsAlready, 1); XCTAssertEqual(s.eintrs, 1)
            }
            XCTAssertTrue(executor.driver.isQuiescent)
        }
    }
}
