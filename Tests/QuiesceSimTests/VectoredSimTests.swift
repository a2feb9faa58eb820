import XCTest
import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// The buffers and operations of one vectored copy through a simulated pipe.
private final class VectoredCopy {
    var writev: WritevOp?
    var readv: ReadvOp?
    var unwritten: IOBufferList?
    var room: IOBufferList?
    var received: [UInt8] = []
    var writerDone = false
    var readerDone = false
    var failure: IOError?
    /// Reads that ended inside the last buffer, short of the room they had: cut across the vectors.
    var shortAcrossVectors = 0
}

/// A list of buffers with these capacities, each holding the given bytes.
private func list(_ parts: [[UInt8]], capacities: [Int]? = nil) -> IOBufferList {
    var list = IOBufferList()
    for (i, part) in parts.enumerated() {
        var buffer = IOBuffer(capacity: capacities?[i] ?? part.count)
        buffer.append(contentsOf: part)
        list.append(buffer)
    }
    return list
}

/// Polls once with a context of `executor` (submits an operation on its first poll).
private func pollOnce<F: Future & ~Copyable>(_ future: inout F, on executor: Executor) -> Bool {
    var cx = Context(waker: .noop, executor: executor)
    return future.poll(&cx).isReady
}

/// Drops the first `n` valid bytes across `list`'s buffers, in order.
private func dropFirst(_ n: Int, of list: inout IOBufferList) {
    var left = n
    while left > 0, !list.isEmpty {
        if list[0].count <= left {
            left -= list[0].count
            _ = list.removeFirst()
        } else {
            list[0].removeFirst(left)
            left = 0
        }
    }
}

/// readv and writev on the simulated driver: faults (short transfers anywhere across the vectors,
/// EINTR, EAGAIN, ENOMEM), cancellation races, and synchronous drops with the buffers watched.
final class VectoredSimTests: XCTestCase {
    static let outcomes: [SimCancelOutcome] = [.cancelled, .completionWins, .alreadyRunning]

    /// Copies `data` through a pipe with a writev loop (continuing after short writes, retrying after
    /// ENOMEM) and a readv loop until end of file, both in one task.
    private func copy(_ data: [UInt8], seed: UInt64) throws -> (received: [UInt8], copy: VectoredCopy, scenario: Scenario) {
        var rng = SimRandom(seed: seed &+ 0x7EC7)
        let scenario = Scenario(seed: seed, faults: SimFaults.random(&rng))
        let sim = scenario.sim
        let (r, w) = sim.makePipe()
        let copy = VectoredCopy()
        copy.unwritten = list([Array(data[0..<100]), Array(data[100..<101]), [], Array(data[101...])])
        copy.room = list([[], [], []], capacities: [7, 1, 40])
        try scenario.executor!.blockOn(Steps { cx in
            if !copy.writerDone {
                if copy.writev == nil { copy.writev = IO.writev(w, copy.unwritten.take()!) }
                if case .ready(let out) = copy.writev!.poll(&cx) {
                    copy.writev = nil
                    var rest = out.buffers
                    switch out.result {
                    case .success(let n): dropFirst(n, of: &rest)
                    case .failure(let error) where error.errno == ENOMEM: break  // try again
                    case .failure(let error): copy.failure = error
                    }
                    if rest.byteCount == 0 || copy.failure != nil {
                        copy.writerDone = true
                        sim.close(w)  // the reader sees end of file after the last byte
                    } else {
                        copy.unwritten = consume rest
                    }
                    cx.waker.wake()
                }
            }
            if !copy.readerDone {
                if copy.readv == nil { copy.readv = IO.readv(r, into: copy.room.take()!) }
                if case .ready(let out) = copy.readv!.poll(&cx) {
                    copy.readv = nil
                    var room = out.buffers
                    switch out.result {
                    case .success(0): copy.readerDone = true
                    case .success(let n):
                        if n > 8 && n < 48 { copy.shortAcrossVectors += 1 }
                        copy.received += room.bytes
                        for i in 0..<room.count { room[i].clear() }
                    case .failure(let error) where error.errno == ENOMEM: break
                    case .failure(let error):
                        copy.failure = error
                        copy.readerDone = true
                    }
                    copy.room = consume room
                    cx.waker.wake()
                }
            }
            return copy.writerDone && copy.readerDone ? .ready(()) : .pending
        })
        return (copy.received, copy, scenario)
    }

    func testVectoredCopiesArriveWholeAndInOrderAcrossSeeds() throws {
        let data = (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }  // more than the pipe holds
        var total = SimStatistics()
        var shortAcrossVectors = 0
        for seed in UInt64(0)..<300 {
            var (received, copy, scenario) = try copy(data, seed: seed)
            XCTAssertNil(copy.failure, "seed \(seed)")
            XCTAssertEqual(received, data, "seed \(seed): every byte, in order, once")
            let statistics = scenario.sim.statistics
            total.shortTransfers += statistics.shortTransfers
            total.eintrs += statistics.eintrs
            total.eagains += statistics.eagains
            total.enomems += statistics.enomems
            shortAcrossVectors += copy.shortAcrossVectors
            copy.room = nil  // the test's own buffers go before the leak check
            copy.unwritten = nil
            XCTAssertEqual(scenario.finish(), [], "seed \(seed)")
        }
        // The sweep must have exercised what it claims to.
        XCTAssertGreaterThan(total.shortTransfers, 0)
        XCTAssertGreaterThan(shortAcrossVectors, 0, "no read was cut inside a later buffer")
        XCTAssertGreaterThan(total.eintrs, 0)
        XCTAssertGreaterThan(total.eagains, 0)
        XCTAssertGreaterThan(total.enomems, 0)
    }

    func testASynchronouslyDroppedReadvKeepsEveryBufferUntilTheKernelIsDone() throws {
        for outcome in Self.outcomes {
            var faults = SimFaults.none
            faults.forcedCancelOutcomes = [outcome]
            faults.runningIgnoresCancel = true  // an already-running readv ends only when data comes
            var scenario = Scenario(seed: 5, faults: faults)
            let sim = scenario.sim
            let (r, _) = sim.makePipe()
            let executor = scenario.executor!
            executor.diagnosticHandler = { _ in }  // the orphan is reported in debug builds: expected
            var readv = IO.readv(r, into: list([[], [], []], capacities: [4, 4, 4]))
            XCTAssertFalse(pollOnce(&readv, on: executor))
            try executor.driver.turn(waitNanos: 0)  // the simulated kernel holds it: no data yet
            XCTAssertEqual(sim.inFlightCount, 1)
            _ = consume readv
            XCTAssertEqual(sim.violations, [], "\(outcome): a buffer the kernel may write into was freed")
            #if DEBUG
            XCTAssertEqual(sim.liveBufferCount, 3, "\(outcome)")
            #endif
            sim.inject(Array("0123456789".utf8), into: r)
            while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000) }
            XCTAssertEqual(sim.liveBufferCount, 0, "\(outcome): freed once the kernel was done")
            XCTAssertEqual(scenario.finish(), [], "\(outcome)")
        }
    }

    func testAWritevBlockedOnAFullPipeIsCancelledAndAwaitedWhateverTheCancelSays() throws {
        for outcome in Self.outcomes {
            var faults = SimFaults.none
            faults.forcedCancelOutcomes = [outcome]
            var scenario = Scenario(seed: 9, faults: faults)
            let sim = scenario.sim
            let (r, w) = sim.makePipe()
            sim.inject([UInt8](repeating: 1, count: sim.streamCapacity), into: r)  // full
            let holder = VectoredCopy()
            try scenario.executor!.blockOn(Steps { cx in
                if holder.writev == nil {
                    holder.writev = IO.writev(w, list([[2, 2], [3]]))
                    XCTAssertFalse(holder.writev!.poll(&cx).isReady)
                    cx.waker.wake()
                    return .pending
                }
                if !holder.readerDone { _ = sim.drain(w); holder.readerDone = true }  // room, so it may win
                guard holder.writev.pollDropReady(&cx).isReady else { return .pending }
                return .ready(())
            })
            XCTAssertTrue(scenario.executor!.driver.isQuiescent, "\(outcome)")
            holder.writev = nil
            XCTAssertEqual(scenario.finish(), [], "\(outcome)")
        }
    }

    func testShutdownOfASimulatedStreamSocket() throws {
        var scenario = Scenario(seed: 1)
        let sim = scenario.sim
        let executor = scenario.executor!
        let (a, b) = sim.makeSocketPair()
        do {
            _ = try executor.blockOn(IO.send(a, IOBuffer(string: "bye")))
            XCTAssertNoThrow(try executor.blockOn(IO.shutdown(a, .write)).get())
            let first = try executor.blockOn(IO.recv(b, into: IOBuffer(capacity: 8)))
            XCTAssertEqual(first.buffer.string, "bye", "what was sent before arrives")
            XCTAssertEqual(try executor.blockOn(IO.recv(b, into: IOBuffer(capacity: 8))).result.get(), 0, "then end of file")
        }
        let (r, _) = sim.makePipe()
        XCTAssertEqual(try executor.blockOn(IO.shutdown(r, .both)).errorValue?.errno, ENOTSOCK)
        XCTAssertEqual(try executor.blockOn(IO.shutdown(sim.makeSocket(), .both)).errorValue?.errno, ENOTCONN)
        XCTAssertEqual(scenario.finish(), [])
    }
}

private extension Result {
    /// The error of a failure, `nil` on success.
    var errorValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
