import Quiesce

/// The append-only file's shared state: records waiting to be written, and how far the file has
/// been written and made durable. ``AOFWriter`` (a task) moves the bytes to disk through the ring;
/// connections wait here until the records their replies depend on are acknowledged.
///
/// Records are numbered from 1 in append order. With ``FsyncPolicy/always`` a record is acknowledged
/// when an fsync that began after it was written has completed; otherwise when it is written.
public final class AppendOnlyFile {
    /// The descriptor (opened with O_APPEND).
    public let fd: Int32
    /// When to fsync.
    public let policy: FsyncPolicy
    /// Encoded records not yet handed to a write.
    var pending: [UInt8] = []
    /// Records appended so far.
    public private(set) var appendedSeq: UInt64 = 0
    /// Records fully written to the file.
    public internal(set) var writtenSeq: UInt64 = 0
    /// Records covered by a completed fsync.
    public internal(set) var durableSeq: UInt64 = 0
    /// Fsyncs completed (each one a group commit of every record written before it).
    public internal(set) var fsyncCount = 0
    /// The first write or fsync error; once set, nothing more is acknowledged.
    public internal(set) var failure: IOError?
    /// Set by shutdown: the writer finishes once everything appended is written and fsynced.
    public internal(set) var isFinishing = false

    var writerWaker: Waker?
    private var waiters: [Waker] = []
    // The waiters being woken by `wakeWaiters()`; empty otherwise.
    private var woken: [Waker] = []
    // Advances on every wake; starts at 1 so a fresh registration memo (0) never matches.
    private var wakeRound: UInt64 = 1

    /// State over the open descriptor `fd`.
    public init(fd: Int32, policy: FsyncPolicy) {
        self.fd = fd
        self.policy = policy
    }

    /// Appends one record (a command as a RESP array); returns its number.
    public func append(_ args: [[UInt8]]) -> UInt64 {
        RESPEncoder.command(args, into: &pending)
        appendedSeq += 1
        writerWaker?.wake()
        return appendedSeq
    }

    /// Appends the record `SET key value` (with `PXAT expiresAt` when given); returns its number.
    public func appendSet(_ key: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, expiresAt: Int64?) -> UInt64 {
        RESPEncoder.arrayHeader(expiresAt == nil ? 3 : 5, into: &pending)
        RESPEncoder.bulk(KeyCommands.setName, into: &pending)
        RESPEncoder.bulk(key, into: &pending)
        RESPEncoder.bulk(value, into: &pending)
        if let expiresAt {
            RESPEncoder.bulk(KeyCommands.pxatName, into: &pending)
            RESPEncoder.bulkDecimal(Int(expiresAt), into: &pending)
        }
        appendedSeq += 1
        writerWaker?.wake()
        return appendedSeq
    }

    /// The highest record whose reply may be sent.
    public var acknowledgedSeq: UInt64 { policy == .always ? durableSeq : writtenSeq }

    /// `true` when the reply of record `seq` may be sent.
    public func isAcknowledged(_ seq: UInt64) -> Bool { acknowledgedSeq >= seq }

    /// Wakes `waker` when the acknowledged record number advances (or the file fails).
    ///
    /// `registration` is the caller's memo of the wake round it last registered for: a waiter that
    /// polls again before the next wake is not added twice, without searching the list.
    public func waitForAcknowledgement(_ waker: Waker, registration: inout UInt64) {
        guard registration != wakeRound else { return }
        registration = wakeRound
        waiters.append(waker)
    }

    /// Asks the writer to write and fsync everything appended, then finish.
    public func finish() {
        isFinishing = true
        writerWaker?.wake()
    }

    func wakeWaiters() {
        wakeRound &+= 1
        // The two lists trade places, so each keeps its memory round after round (a waker that
        // registers while these are woken joins the fresh list).
        swap(&waiters, &woken)
        for waker in woken { waker.wake() }
        woken.removeAll(keepingCapacity: true)
    }
}
