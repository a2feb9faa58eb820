import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// The task that moves appended AOF records to disk through the ring: one write of everything
/// pending — group commit: records appended while a write or fsync is in flight wait for the next
/// batch. With `always` that write is a data-sync write (``IO/WriteFlags/dataSync``, fdatasync
/// semantics for the bytes written): it completes once the batch is on stable storage, so its
/// completion acknowledges every record in it, in one operation.
///
/// With `everysec` an fsync follows at most a second after a write; with `no` only shutdown fsyncs.
/// After ``AppendOnlyFile/finish()`` it writes and fsyncs what is left and completes. Its async drop
/// cancels whatever it has in flight and waits for the kernel to be done with it.
///
/// A failed write (a full disk, a file-size limit) sets ``AppendOnlyFile/failure``, so write
/// commands are refused with `MISCONF`, and is retried every `retryInterval` from the first byte
/// that did not reach the file; once a retry succeeds the failure is cleared and writes are accepted
/// again (as Redis does). At shutdown a failed write is tried once more at once; if it fails again,
/// what was written is fsynced and the rest is abandoned (``KVServer/shutdownReport`` says so). A
/// failed fsync is final: the kernel may have dropped the pages it could not write, so a later fsync
/// that succeeds proves nothing, and the failure stays until the server restarts. Each failure and
/// the recovery are told to `report`, thinned as ``FailureStreak`` does.
///
/// A data-sync write that fails is a failed write (retried) only when it is known to have written
/// nothing: the error is not EIO and the file (a regular file) has not grown past the bytes already
/// written. Otherwise its bytes may be in the file without being durable — a retry would append them
/// a second time — so it is final, as a failed fsync is.
public struct AOFWriter: Future, ~Copyable {
    let aof: AppendOnlyFile
    let retryInterval: UInt64
    let report: (String) -> Void
    private var writeOp: WriteOp?
    private var fsyncOp: FsyncOp?
    private var timer: TimeoutOp?
    private var spare: IOBuffer?
    private var writeFrom = 0
    // The file's size once everything written so far is in it (data-sync writes only): read from
    // the file before the first such write (`nil` when it is not a regular file), then counted.
    private var fileSize: Int64?
    private var fileSizeRead = false
    private var batchSeq: UInt64 = 0
    private var syncingSeq: UInt64 = 0
    private var lastFsyncAt: UInt64 = 0
    // The batch whose write failed: its bytes from `writeFrom` on are not in the file.
    private var unwritten: IOBuffer?
    private var retryTimer: Sleep?
    private var failures: FailureStreak
    // Shutdown's immediate retry of a failed write has been made.
    private var finalAttemptMade = false
    private static let second: UInt64 = 1_000_000_000

    /// A writer for `aof` that retries a failed write every `retryInterval` nanoseconds and tells
    /// `report` about failures and the recovery.
    public init(_ aof: AppendOnlyFile, retryInterval: UInt64 = 1_000_000_000, report: @escaping (String) -> Void = { _ in }) {
        self.aof = aof
        self.retryInterval = Swift.max(retryInterval, 1)
        self.report = report
        failures = FailureStreak(firstDelay: retryInterval, maxDelay: retryInterval)
    }

    /// Writes and fsyncs until finished, retrying failed writes (or until an fsync fails).
    public mutating func poll(_ cx: inout Context) -> Poll<Void> {
        aof.writerWaker = cx.waker
        while true {
            var progressed = false
            if writeOp != nil, case .ready(let done) = writeOp!.poll(&cx) {
                writeOp = nil
                progressed = true
                let result = done.result
                let buffer = done.buffer
                if case .success(let n) = result, let size = fileSize { fileSize = size + Int64(n) }
                switch result {
                case .failure(let error) where syncsWrites && !Self.wroteNothing(error.errno, fd: aof.fd, size: fileSize):
                    return syncedWriteFailed(error)
                case .failure(let error):
                    writeFailed(error, keeping: buffer)
                case .success(let n) where writeFrom + n < buffer.count:
                    writeFrom += n
                    if n > 0 {
                        // A short write: the rest goes in a new write of the same buffer.
                        writeOp = write(buffer, from: writeFrom)
                        continue
                    }
                    writeFailed(IOError(errno: ENOSPC, operation: "write AOF"), keeping: buffer)
                case .success:
                    spare = consume buffer
                    aof.writtenSeq = batchSeq
                    if aof.failure != nil { recovered() }
                    if syncsWrites {
                        aof.durableSeq = batchSeq
                        aof.fsyncCount += 1
                    }
                    aof.wakeWaiters()
                }
            }
            if fsyncOp != nil, case .ready(let result) = fsyncOp!.poll(&cx) {
                fsyncOp = nil
                progressed = true
                if case .failure(let error) = result { return fsyncFailed(error) }
                aof.durableSeq = syncingSeq
                aof.fsyncCount += 1
                lastFsyncAt = cx.executor?.driver.now() ?? 0
                aof.wakeWaiters()
            }
            if timer != nil, case .ready = timer!.poll(&cx) {
                timer = nil
                progressed = true
            }
            if retryTimer != nil {
                if aof.isFinishing {
                    _ = retryTimer.pollDropReady(&cx)  // a timer's drop is immediate
                    retryTimer = nil
                    progressed = true
                } else if case .ready = retryTimer!.poll(&cx) {
                    retryTimer = nil
                    progressed = true
                }
            }
            if writeOp == nil && fsyncOp == nil {
                let abandoned = unwritten != nil && finalAttemptMade
                if unwritten != nil && retryTimer == nil && !abandoned {
                    if aof.isFinishing { finalAttemptMade = true }
                    writeOp = write(unwritten.take()!, from: writeFrom)
                    continue
                }
                if unwritten == nil && !aof.pending.isEmpty {
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
                if aof.isFinishing && (aof.durableSeq == aof.appendedSeq || abandoned) { return .ready(()) }
            }
            if !progressed { return .pending }
        }
    }

    /// Cancels the write, fsync or timers in flight and waits for the kernel to be done with them.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &writeOp, &fsyncOp, &timer, &retryTimer)
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
        writeOp = write(buffer, from: 0)
    }

    // With `always` every write is a data-sync write: its completion is the batch's group commit.
    private var syncsWrites: Bool { aof.policy == .always }

    // A write of `buffer` from byte `from` (a data-sync write with `always`).
    private mutating func write(_ buffer: consuming IOBuffer, from: Int) -> WriteOp {
        guard syncsWrites else { return IO.write(aof.fd, buffer, from: from) }
        if !fileSizeRead {
            fileSizeRead = true
            fileSize = Self.regularFileSize(aof.fd)
        }
        return IO.write(aof.fd, buffer, from: from, flags: .dataSync)
    }

    // `true` when a data-sync write to `fd` that failed with `errno` is known to have put nothing in
    // the file: not EIO (the error of a failed sync), and the file is exactly `size` bytes long, as
    // it was before the write (or is no regular file: a device has no length to grow). When fstat
    // fails, or `size` is unknown, nothing is known.
    static func wroteNothing(_ errno: Int32, fd: Int32, size: Int64?) -> Bool {
        guard errno != EIO else { return false }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return false }
        guard status.st_mode & S_IFMT == S_IFREG else { return true }
        return size == Int64(status.st_size)
    }

    // The size of `fd` when it is a regular file whose size fstat reads; `nil` otherwise.
    private static func regularFileSize(_ fd: Int32) -> Int64? {
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(status.st_size)
    }

    // A data-sync write failed after it may have put bytes in the file: final, as a failed fsync.
    private mutating func syncedWriteFailed(_ error: IOError) -> Poll<Void> {
        failedForGood(error, "AOF write with data sync failed: \(error); what it wrote may be in the file without being "
                      + "on disk, so it is not retried, and write commands are refused until the server restarts")
    }

    // Keeps the batch for a retry, refuses writes until then, and arms the retry.
    private mutating func writeFailed(_ error: IOError, keeping buffer: consuming IOBuffer) {
        unwritten = consume buffer
        aof.failure = error
        aof.wakeWaiters()
        let (delay, due) = failures.fail()
        if !aof.isFinishing {
            retryTimer = Sleep(nanoseconds: delay)
            if due {
                report("AOF write failed: \(error); write commands are refused (MISCONF) and the write is retried "
                       + "every \(Self.describe(retryInterval)) (failure \(failures.count) in a row)")
            }
        } else if finalAttemptMade {
            report("AOF write failed again at shutdown: \(error); \(aof.appendedSeq - aof.writtenSeq) record(s) "
                   + "executed are not in the file")
        } else {
            report("AOF write failed at shutdown: \(error); trying once more")
        }
    }

    // A retried write went through: writes are accepted again.
    private mutating func recovered() {
        let attempts = failures.succeed()
        aof.failure = nil
        report("AOF write succeeded after \(attempts) failed attempt(s); write commands are accepted again")
    }

    private mutating func fsyncFailed(_ error: IOError) -> Poll<Void> {
        failedForGood(error, "AOF fsync failed: \(error); records already acknowledged may not be on disk, and write "
                      + "commands are refused until the server restarts")
    }

    // A failure after which what is on disk is unknown: `error` stays until the server restarts,
    // waiters learn of it, `message` is reported, and the writer completes.
    private mutating func failedForGood(_ error: IOError, _ message: String) -> Poll<Void> {
        aof.failure = error
        aof.wakeWaiters()
        report(message)
        return .ready(())
    }

    static func describe(_ nanoseconds: UInt64) -> String {
        nanoseconds >= 1_000_000_000 && nanoseconds % 1_000_000_000 == 0 ? "\(nanoseconds / 1_000_000_000) s"
            : "\(nanoseconds / 1_000_000) ms"
    }
}
