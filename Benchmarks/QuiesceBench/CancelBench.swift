#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// A read that waits on an empty pipe until it is cancelled.
struct PendingRead: Future, ~Copyable {
    var op: BufferOp

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
struct ArmCancelRounds: Future, ~Copyable {
    var store: HandleStore<Void>
    let fd: Int32
    var roundsLeft: Int
    var phase = 0

    init(fd: Int32, k: Int, rounds: Int) {
        store = HandleStore(capacity: k)
        self.fd = fd
        roundsLeft = rounds
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            switch phase {
            case 0:
                guard roundsLeft > 0 else { return .ready(()) }
                for _ in 0..<store.capacity { store.append(cx.executor!.spawn(PendingRead(fd: fd))) }
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
        let executor = try! Executor(entries: UInt32(2 * k))
        let pipe = try! Sockets.pipe()
        defer { close(pipe.read); close(pipe.write) }
        let t0 = nowNanos()
        try! executor.blockOn(ArmCancelRounds(fd: pipe.read, k: k, rounds: config.cancelIterations))
        let elapsed = nowNanos() - t0
        precondition(executor.driver.isQuiescent && executor.driver.liveSlots == 0)
        return Double(elapsed) / Double(k * config.cancelIterations)
    }

    static func raw(_ config: Config) -> Double {
        let k = config.cancelK
        let pipe = try! Sockets.pipe()
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
