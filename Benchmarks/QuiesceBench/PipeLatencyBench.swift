#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// Writes `size` bytes to pipe A, reads them back from pipe B, records the round trip, repeats.
@safe
struct Pinger: Future, ~Copyable {
    // SAFETY: `latencies` has room for `count` values and outlives the pinger (its caller allocates
    // it around the run; the pointer in the initializer makes that call unsafe); `poll` writes only
    // below `count`.
    let writeFD: Int32, readFD: Int32, size: Int, count: Int
    let latencies: UnsafeMutablePointer<UInt64>
    var outgoing: IOBuffer?
    var incoming: IOBuffer?
    var writeOp: WriteOp? = nil
    var readOp: ReadOp? = nil
    var done = 0
    var sentAt: UInt64 = 0

    init(writeFD: Int32, readFD: Int32, size: Int, count: Int, latencies: UnsafeMutablePointer<UInt64>) {
        self.writeFD = writeFD; self.readFD = readFD; self.size = size; self.count = count
        unsafe self.latencies = unsafe latencies
        outgoing = IOBuffer(bytes: [UInt8](repeating: 0x70, count: size))
        incoming = IOBuffer(capacity: size)
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if writeOp == nil && readOp == nil {
                sentAt = nowNanos()
                writeOp = IO.write(writeFD, outgoing.take()!)
            }
            if writeOp != nil {
                switch writeOp!.poll(&cx) {
                case .pending: return .pending
                case .ready(let r):
                    guard case .success(let n) = r.result, n == size else { fail("pipe write: \(r.result)") }
                    outgoing = .some(r.buffer)
                }
                writeOp = nil
                readOp = IO.read(readFD, into: incoming.take()!)
            }
            switch readOp!.poll(&cx) {
            case .pending: return .pending
            case .ready(let r):
                guard case .success(let n) = r.result, n > 0 else { fail("pipe read: \(r.result)") }
                var buffer = r.buffer
                if buffer.count < size {
                    readOp = IO.read(readFD, into: buffer)
                    continue
                }
                buffer.clear()
                incoming = .some(buffer)
            }
            readOp = nil
            let now = nowNanos()
            unsafe latencies[done] = now - sentAt
            done += 1
            if done == count { return .ready(()) }
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &writeOp, &readOp)
    }
}

/// Reads `size` bytes from pipe A and writes them to pipe B, forever (until cancelled).
struct PipeEchoer: Future, ~Copyable {
    let readFD: Int32, writeFD: Int32, size: Int
    var buffer: IOBuffer?
    var readOp: ReadOp? = nil
    var writeOp: WriteOp? = nil

    init(readFD: Int32, writeFD: Int32, size: Int) {
        self.readFD = readFD; self.writeFD = writeFD; self.size = size
        buffer = IOBuffer(capacity: size)
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if readOp == nil && writeOp == nil { readOp = IO.read(readFD, into: buffer.take()!) }
            if readOp != nil {
                switch readOp!.poll(&cx) {
                case .pending: return .pending
                case .ready(let r):
                    guard case .success(let n) = r.result, n > 0 else { fail("echo read: \(r.result)") }
                    let buffer = r.buffer
                    readOp = nil
                    if buffer.count < size { readOp = IO.read(readFD, into: buffer); continue }
                    writeOp = IO.write(writeFD, buffer)
                }
            }
            switch writeOp!.poll(&cx) {
            case .pending: return .pending
            case .ready(let r):
                guard case .success(let n) = r.result, n == size else { fail("echo write: \(r.result)") }
                var buffer = r.buffer
                buffer.clear()
                self.buffer = .some(buffer)
            }
            writeOp = nil
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &readOp, &writeOp)
    }
}

/// Runs the echoer and the pinger; when the pinger is done, cancels the echoer and awaits its drop.
struct PipeRoundTrips: Future, ~Copyable {
    var pingerHandle = HandleStore<Void>(capacity: 1)
    var echoerHandle = HandleStore<Void>(capacity: 1)
    var pinger: Pinger?
    var echoer: PipeEchoer?
    var phase = 0

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if phase == 0 {
            echoerHandle.append(cx.executor!.spawn(echoer.take()!))
            pingerHandle.append(cx.executor!.spawn(pinger.take()!))
            phase = 1
        }
        if phase == 1 {
            guard pingerHandle.joinAll(&cx).isReady else { return .pending }
            echoerHandle.cancelAll()
            phase = 2
        }
        return echoerHandle.joinAll(&cx)
    }
}

/// Latency percentiles of one run.
struct Percentiles {
    var p50 = 0.0
    var p99 = 0.0

    init(_ samples: UnsafeMutablePointer<UInt64>, count: Int) {
        // SAFETY: the caller passes `count` initialized samples, sorted in place and read before it
        // returns.
        var buffer = unsafe UnsafeMutableBufferPointer(start: samples, count: count)
        unsafe buffer.sort()
        p50 = unsafe Stats.percentile(buffer, 50)
        p99 = unsafe Stats.percentile(buffer, 99)
    }
}

/// 5. pipe round-trip latency (64 bytes out through pipe A, back through pipe B), p50/p99 in ns.
enum PipeLatencyBench {
    static let size = 64

    static func quiesce(_ config: Config) -> Percentiles {
        let count = config.pipeRoundTrips
        let latencies = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        defer { unsafe latencies.deallocate() }
        let a = makePipe(), b = makePipe()
        defer { close(a.read); close(a.write); close(b.read); close(b.write) }
        let executor = makeExecutor(entries: config.entries)
        var game = PipeRoundTrips()
        game.pinger = unsafe Pinger(writeFD: a.write, readFD: b.read, size: size, count: count, latencies: latencies)
        game.echoer = PipeEchoer(readFD: a.read, writeFD: b.write, size: size)
        runToEnd(executor, game)
        return unsafe Percentiles(latencies, count: count)
    }

    static func raw(_ config: Config) -> Percentiles {
        let count = config.pipeRoundTrips
        let latencies = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        defer { unsafe latencies.deallocate() }
        let rc = unsafe crr_pipe_roundtrip(config.entries, UInt32(size), UInt64(count), latencies)
        if rc < 0 { fail("raw pipe round trip: errno \(-rc)") }
        return unsafe Percentiles(latencies, count: count)
    }
}
