import XCTest
import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// Holds a receive across polls.
private final class Receiving {
    var receive: RecvMsgOp?
    var message: ReceivedMessage?
}

/// recvmsg and sendmsg on the simulated driver's datagram sockets: addresses, truncation, faults,
/// and a receive cancelled while a datagram arrives.
final class DatagramSimTests: XCTestCase {
    func testDatagramsGoBetweenSimulatedSocketsWithTheirSenders() throws {
        var scenario = Scenario(seed: 1)
        let sim = scenario.sim
        let executor = scenario.executor!
        let a = sim.makeDatagramSocket()
        let b = sim.makeDatagramSocket(port: 5353)
        do {
            let sent = try executor.blockOn(IO.sendmsg(a, IOBuffer(string: "query"), to: .loopback(port: 5353)))
            XCTAssertEqual(try sent.result.get(), 5)
            XCTAssertEqual(sim.queuedDatagrams(b), [Array("query".utf8)])
            let got = try executor.blockOn(IO.recvmsg(b, into: IOBuffer(capacity: 3)))
            XCTAssertEqual(try got.result.get(), 3)
            XCTAssertEqual(got.buffer.string, "que")
            XCTAssertTrue(got.truncated, "the rest of the datagram is discarded, and that is said")
            XCTAssertEqual(got.peer, sim.datagramAddress(a))
            XCTAssertEqual(sim.queuedDatagrams(b), [], "one datagram per receive, never split")

            let lost = try executor.blockOn(IO.sendmsg(a, IOBuffer(string: "void"), to: .loopback(port: 9)))
            XCTAssertEqual(try lost.result.get(), 4, "a datagram to nobody is sent, and lost")
            XCTAssertEqual(try executor.blockOn(IO.sendmsg(a, IOBuffer(string: "x"))).result.errorValue?.errno, EDESTADDRREQ)
        }
        XCTAssertEqual(scenario.finish(), [])
    }

    func testMessagesOnSimulatedStreamSocketsHaveNoSender() throws {
        var scenario = Scenario(seed: 2)
        let sim = scenario.sim
        let executor = scenario.executor!
        let (a, b) = sim.makeSocketPair()
        do {
            XCTAssertEqual(try executor.blockOn(IO.sendmsg(a, IOBuffer(string: "stream"))).result.get(), 6)
            let got = try executor.blockOn(IO.recvmsg(b, into: IOBuffer(capacity: 16)))
            XCTAssertEqual(got.buffer.string, "stream")
            XCTAssertNil(got.peer)
        }
        let (r, _) = sim.makePipe()
        XCTAssertEqual(try executor.blockOn(IO.recvmsg(r, into: IOBuffer(capacity: 4))).result.errorValue?.errno, ENOTSOCK)
        XCTAssertEqual(scenario.finish(), [])
    }

    func testAReceiveRidesOutFaultsAcrossSeeds() throws {
        var total = SimStatistics()
        for seed in UInt64(0)..<200 {
            var rng = SimRandom(seed: seed &+ 0xDA7A)
            var scenario = Scenario(seed: seed, faults: SimFaults.random(&rng))
            let sim = scenario.sim
            let socket = sim.makeDatagramSocket()
            let sender = SocketAddress.loopback(port: 4000)
            sim.schedule(after: 1_000 + seed % 5 * 500) { $0.injectDatagram([1, 2, 3], from: sender, into: socket) }
            var message: ReceivedMessage?
            while message == nil {
                let got = try scenario.executor!.blockOn(IO.recvmsg(socket, into: IOBuffer(capacity: 8)))
                if got.result.errorValue?.errno == ENOMEM { continue }  // a fault the caller sees: try again
                message = consume got
            }
            XCTAssertEqual(try message?.result.get(), 3, "seed \(seed)")
            XCTAssertEqual(message?.buffer.bytes, [1, 2, 3], "seed \(seed)")
            XCTAssertEqual(message?.peer, sender, "seed \(seed)")
            total.eintrs += sim.statistics.eintrs
            total.eagains += sim.statistics.eagains
            message = nil
            XCTAssertEqual(scenario.finish(), [], "seed \(seed)")
        }
        XCTAssertGreaterThan(total.eintrs, 0, "no receive was interrupted")
        XCTAssertGreaterThan(total.eagains, 0, "no receive waited for readiness after EAGAIN")
    }

    func testAReceiveCancelledWhileADatagramArrivesIsAwaitedWhateverTheCancelSays() throws {
        for outcome in [SimCancelOutcome.cancelled, .completionWins, .alreadyRunning] {
            for synchronousDrop in [false, true] {
                var faults = SimFaults.none
                faults.forcedCancelOutcomes = [outcome]
                var scenario = Scenario(seed: 4, faults: faults)
                let sim = scenario.sim
                let socket = sim.makeDatagramSocket()
                let holder = Receiving()
                scenario.executor!.diagnosticHandler = { _ in }
                try scenario.executor!.blockOn(Steps { cx in
                    if holder.receive == nil {
                        holder.receive = IO.recvmsg(socket, into: IOBuffer(capacity: 16))
                        XCTAssertFalse(holder.receive!.poll(&cx).isReady)
                        cx.waker.wake()
                        return .pending
                    }
                    if sim.queuedDatagrams(socket).isEmpty && sim.statistics.cancelsPrepared == 0 {
                        sim.injectDatagram([9], from: .loopback(port: 1), into: socket)  // ready, not completed
                    }
                    if synchronousDrop {
                        holder.receive = nil  // orphaned: the driver keeps its memory until the kernel is done
                        return .ready(())
                    }
                    guard holder.receive.pollDropReady(&cx).isReady else { return .pending }
                    return .ready(())
                })
                while !scenario.executor!.driver.isQuiescent { try scenario.executor!.driver.turn(waitNanos: 1_000) }
                holder.receive = nil
                XCTAssertEqual(scenario.finish(), [], "\(outcome), sync drop: \(synchronousDrop)")
            }
        }
    }

    func testReceivesThroughAPoolReuseOneMemoryAndReadEachSenderAcrossFaults() throws {
        for seed in UInt64(0)..<100 {
            var rng = SimRandom(seed: seed &+ 0x9001)
            var scenario = Scenario(seed: seed, faults: SimFaults.random(&rng))
            let sim = scenario.sim
            let socket = sim.makeDatagramSocket()
            let senders = (0..<3).map { SocketAddress.loopback(port: UInt16(4000 + $0)) }
            for (i, sender) in senders.enumerated() {
                sim.schedule(after: UInt64(1_000 + i * 700) + seed % 5 * 300) { $0.injectDatagram([UInt8(i)], from: sender, into: socket) }
            }
            do {
                let pool = MessageMemory.Pool()
                var memories = Set<ObjectIdentifier>()
                var peers: [SocketAddress] = []
                while peers.count < senders.count {
                    let receive = IO.recvmsg(socket, into: IOBuffer(capacity: 8), pool: pool)
                    memories.insert(ObjectIdentifier(receive.kind.memory))
                    let got = try scenario.executor!.blockOn(receive)
                    if got.result.errorValue?.errno == ENOMEM { continue }  // a fault the caller sees: try again
                    XCTAssertEqual(got.buffer.bytes, [UInt8(peers.count)], "seed \(seed)")
                    if let peer = got.peer { peers.append(peer) }
                }
                XCTAssertEqual(peers, senders, "seed \(seed): each receive reads its own sender through the reused memory")
                XCTAssertEqual(memories.count, 1, "seed \(seed): one receive at a time, one memory")
            }
            XCTAssertEqual(scenario.finish(), [], "seed \(seed)")
        }
    }

    func testAPoolNeverLendsAnOrphanedReceivesMemoryWhileTheKernelMayWriteIt() throws {
        for outcome in [SimCancelOutcome.cancelled, .completionWins, .alreadyRunning] {
            var faults = SimFaults.none
            faults.forcedCancelOutcomes = [outcome]
            var scenario = Scenario(seed: 5, faults: faults)
            let sim = scenario.sim
            let socket = sim.makeDatagramSocket()
            do {
                let pool = MessageMemory.Pool()
                let holder = Receiving()
                weak var orphaned: MessageMemory?
                scenario.executor!.diagnosticHandler = { _ in }
                try scenario.executor!.blockOn(Steps { cx in
                    var receive = IO.recvmsg(socket, into: IOBuffer(capacity: 16), pool: pool)
                    orphaned = receive.kind.memory
                    XCTAssertFalse(receive.poll(&cx).isReady)
                    _ = consume receive  // orphaned: its slot keeps the memory until the kernel is done
                    let next = IO.recvmsg(socket, into: IOBuffer(capacity: 16), pool: pool)
                    XCTAssertFalse(next.kind.memory === orphaned, "\(outcome): the orphan's memory is still the kernel's")
                    holder.receive = .some(next)
                    return .ready(())
                })
                sim.injectDatagram([7], from: .loopback(port: 1), into: socket)
                sim.injectDatagram([8], from: .loopback(port: 2), into: socket)
                let got = try scenario.executor!.blockOn(holder.receive.take()!)
                XCTAssertEqual(try got.result.get(), 1, "\(outcome)")
                while !scenario.executor!.driver.isQuiescent { try scenario.executor!.driver.turn(waitNanos: 1_000) }
                let again = IO.recvmsg(socket, into: IOBuffer(capacity: 16), pool: pool)
                let other = IO.recvmsg(socket, into: IOBuffer(capacity: 16), pool: pool)
                XCTAssertTrue(again.kind.memory === orphaned || other.kind.memory === orphaned,
                              "\(outcome): once the kernel is done, the orphan's memory is lent again")
            }
            XCTAssertEqual(scenario.finish(), [], "\(outcome)")
        }
    }
}

private extension Result {
    /// The error of a failure, `nil` on success.
    var errorValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
