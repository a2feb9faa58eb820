import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// The task that moves appended AOF records to disk through the ring: one write of everything
/// pending, then (with `always`) one fsync that acknowledges every record in that write — group
/// commit: records appended while a write or fsync is in flight wait for the next batch.
///
/// With `everysec` an fsync follows at most a second after a write; with `no` only shutdown fsyncs.
/// After ``AppendOnlyFile/finish()`` it writes and fsyncs what is left and completes. Its async drop
/// cancels whatever it has in flight and waits for the kernel to be done with it.
public struct AOFWriter: Future, ~Copyable {
    let aof: AppendOnlyFile
    private var writeOp: BufferOp?
    private var fsyncOp: StatusOp?
    private var timer: StatusOp?
    private var spare: IOBuffer?
    private var writeFrom = 0
    private var batchSeq: UInt64 = 0
    private var syncingSeq: UInt64 = 0
    private var lastFsyncAt: UInt64 = 0
    private static let second: UInt64 = 1_000_000_000

    /// A writer for `aof`.
    public init(_ aof: AppendOnlyFile) {
        self.aof = aof
    }

    /// Writes and fsyncs until finished (or until a write fails: then ``AppendOnlyFile/failure`` is set).
    public mutating func poll(_ cx: inout Context) -> Poll<Void> {
        aof.writerWaker = cx.waker
        while true {
            var progressed = false
            if writeOp != nil, case .ready(let done) = writeOp!.poll(&cx) {
                writeOp = nil
                progressed = true
                let result = done.result
                switch result {
                case .failure(let error):
                    return fail(error)
                case .success(let n):
                    writeFrom += n
                    if n > 0 && writeFrom < done.buffer.count {
                        // A short write: the rest goes in a new write of the same buffer.
                        writeOp = IO.write(aof.fd, done.buffer, from: writeFrom)
                        continue
                    }
                    if n == 0 && writeFrom < done.buffer.count {
                        return fail(IOError(errno: ENOSPC, operation: "write AOF"))
                    }
                    spare = consume done.buffer
                    aof.writtenSeq = batchSeq
                    if aof.policy != .always { aof.wakeWaiters() }
                }
            }
            if fsyncOp != nil, case .ready(let result) = fsyncOp!.poll(&cx) {
                fsyncOp = nil
                progressed = true
                if case .failure(let error) = result { return fail(error) }
                aof.durableSeq = syncingSeq
                aof.fsyncCount += 1
                lastFsyncAt = cx.executor?.driver.now() ?? 0
                aof.wakeWaiters()
            }
            if timer != nil, case .ready = timer!.poll(&cx) {
                timer = nil
                progressed = true
            }
            if writeOp == nil && fsyncOp == nil {
                if !aof.pending.isEmpty {
                    startWrite()
                    continue
                }
                if aof.writtenSeq > aof.durableSeq {
                    let now = cx.executor?.driver.now() ?? 0
                    let due = aof.policy == .always || aof.isFinishing
                        || (aof.policy == .everysec && now &- lastFsyncAt >= Self.second)
                    if due {
                        syncingSeq = aof.writtenSeq
                        fsyncOp = IO.fsync(aof.fd)
                        continue
                    }
                    if aof.policy == .everysec && timer == nil {
                        timer = IO.timeout(nanoseconds: Self.second - (now &- lastFsyncAt))
                        continue
                    }
                }
                if aof.isFinishing && aof.durableSeq == aof.appendedSeq { return .ready(()) }
            }
            if !progressed { return .pending }
        }
    }

    /// Cancels the write, fsync or timer in flight and waits for the kernel to be done with them.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &writeOp, &fsyncOp, &timer)
    }

    // Moves every pending record into one buffer (reused when big enough) and writes it.
    private mutating func startWrite() {
        let count = aof.pending.count
        var buffer = spare.take() ?? IOBuffer(capacity: Swift.max(count, 64 * 1024))
        if buffer.capacity < count { buffer = IOBuffer(capacity: count) }
        buffer.clear()
        aof.pending.withUnsafeBytes { source in
            buffer.withUnsafeMutableBytes { target, valid in
                target.copyMemory(from: source)
                valid = source.count
            }
        }
        aof.pending.removeAll(keepingCapacity: count <= 1024 * 1024)
        batchSeq = aof.appendedSeq
        writeFrom = 0
        writeOp = IO.write(aof.fd, buffer)
    }

    private mutating func fail(_ error: IOError) -> Poll<Void> {
        aof.failure = error
        aof.wakeWaiters()
        return .ready(())
    }
}
