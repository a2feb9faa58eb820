#if canImport(Glibc)
import Glibc
#endif
import Quiesce

/// Reads of an empty pipe, one after another, each given a deadline that expires: through a linked
/// IORING_OP_LINK_TIMEOUT (one submission of two entries; the kernel cancels the read) or through
/// `timeout(...)` (the executor's timer fires, then the read's async drop sends a cancel and waits
/// for both completions). Each read gets a new 64-byte buffer on both sides.
struct ExpiringReads: Future, ~Copyable {
    let fd: Int32
    let deadline: UInt64
    let linked: Bool
    var left: Int
    var withLink: LinkedDeadline<IO.Read>?
    var withTimer: Timeout<ReadOp>?

    init(fd: Int32, deadline: UInt64, count: Int, linked: Bool) {
        self.fd = fd
        self.deadline = deadline
        self.linked = linked
        self.left = count
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if withLink == nil && withTimer == nil {
                guard left > 0 else { return .ready(()) }
                let read = IO.read(fd, into: IOBuffer(capacity: 64))
                if linked { withLink = read.withDeadline(nanoseconds: deadline) } else { withTimer = timeout(nanoseconds: deadline, read) }
            }
            if withLink != nil {
                guard case .ready(let done) = withLink!.poll(&cx) else { return .pending }
                guard case .failure(let error) = done.result, error.errno == ETIME else { fail("a linked read of an empty pipe did not time out") }
                withLink = nil  // both completions are in: nothing of it is in flight
            } else {
                guard case .ready(let done) = withTimer!.poll(&cx) else { return .pending }
                guard case .failure = done else { fail("a read of an empty pipe completed") }
                withTimer = nil  // the read's async drop ran before TimedOut was reported
            }
            left -= 1
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard withLink.pollDropReady(&cx).isReady else { return .pending }
        return withTimer.pollDropReady(&cx)
    }
}

/// A read with a deadline that expires, ns per operation: a link timeout against timeout(...) + cancel.
enum LinkTimeoutBench {
    static let deadline: UInt64 = 1_000

    static func run(_ config: Config, linked: Bool) -> Double {
        let executor = makeExecutor(entries: 64)
        let pipe = makePipe()
        defer { close(pipe.read); close(pipe.write) }
        let count = config.linkTimeoutIterations
        let t0 = nowNanos()
        runToEnd(executor, ExpiringReads(fd: pipe.read, deadline: deadline, count: count, linked: linked))
        let elapsed = nowNanos() - t0
        precondition(executor.driver.isQuiescent && executor.driver.liveSlots == 0)
        return Double(elapsed) / Double(count)
    }
}
