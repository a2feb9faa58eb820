#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// A read that waits on an empty pipe until it is cancelled.
struct PendingRead: Future, ~Copyable {
    var op: ReadOp

    init(fd: Int32) { op = IO.read(fd, into: IOBuffer(capacity: 64)) }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        switch op.poll(&cx) {
        case .pending: return .pending
        case .ready: fail("a read of an empty pipe completed")
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { op.pollDropReady(&cx) }
}

/// Per iteration: spawns K reading tasks, lets them submit, cancels every handle and waits until
/// every task's async drop (cancel sent, both completions reaped) has finished.
/// The reads (each with its 64-byte buffer) are built before the clock starts, as the C loop's
/// buffers are: the timed work is the same on both sides (arm, cancel, reap), plus Quiesce's tasks.
struct ArmCancelRounds: Future, ~Copyable {
    var store: HandleStore<Void>
    var reads: PreparedStore<PendingRead>
    var roundsLeft: Int
    var phase = 0

    init(fd: Int32, k: Int, rounds: Int) {
        store = HandleStore(capacity: k)
        reads = PreparedStore(capacity: k * rounds)
        for _ in 0..<(k * rounds) { reads.append(PendingRead(fd: fd)) }
        roundsLeft = rounds
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            switch phase {
            case 0:
                guard roundsLeft > 0 else { return .ready(()) }
                for _ in 0..<store.capacity { store.append(cx.executor!.spawn(reads.takeNext())) }
                phase = 1
                cx.waker.wake()  // polled again after the K tasks have submitted their reads
                return .pending
            case 1:
                store.cancelAll()
                phase = 2
            default:
                guard store.joinAll(&cx).isReady else { return .pending }
                roundsLeft -= 1
                phase = 0
            }
        }
    }
}

/// 4. arm + cancel + reap of K pending pipe reads, ns per operation.
enum CancelBench {
    static func quiesce(_ config: Config) -> Double {
        let k = config.cancelK
        let executor = makeExecutor(entries: UInt32(2 * k))
        let pipe = makePipe()
        defer { close(pipe.read); close(pipe.write) }
        let rounds = ArmCancelRounds(fd: pipe.read, k: k, rounds: config.cancelIterations)
        let t0 = nowNanos()
        runToEnd(executor, rounds)
        let elapsed = nowNanos() - t0
        precondition(executor.driver.isQuiescent && executor.driver.liveSlots == 0)
        return Double(elapsed) / Double(k * config.cancelIterations)
    }

    static func raw(_ config: Config) -> Double {
        let k = config.cancelK
        let pipe = makePipe()
        defer { close(pipe.read); close(pipe.write) }
        var total: Int64 = 0
        for _ in 0..<config.cancelIterations {
            let elapsed = crr_arm_cancel(UInt32(2 * k), UInt32(k), pipe.read)
            if elapsed < 0 { fail("raw cancel loop: errno \(-elapsed)") }
            total += elapsed
        }
        return Double(total) / Double(k * config.cancelIterations)
    }
}
