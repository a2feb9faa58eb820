import Quiesce
/// A submission held by the simulated kernel: an operation waiting to be able to complete, or a
/// cancel request waiting to be processed.
@safe
struct SimOp {
    // SAFETY: `region` and the pointers in `request` are the driver's, valid until this
    // operation's completion is reaped (the ``IOBackend`` contract); the simulation touches them
    // only before it posts that completion.
    let userData: UInt64
    let request: SimRequest
    /// The memory the operation may read or write (its entry names it); `nil` for none.
    let region: UnsafeMutableRawBufferPointer?
    /// The descriptor, resolved when the kernel takes the submission (as the kernel does).
    var target: SimDescriptor?
    /// For a timeout: when it expires on the virtual clock.
    var deadline: UInt64 = 0
    /// A cancel answered -EALREADY: the operation completes on its own, soon.
    var running = false
    /// A zero-copy send with one completion still to come, which no cancel can stop: its
    /// notification, or (when the notification was posted first) its result.
    var notifying = false
    /// The result of a zero-copy send whose notification was posted first, posted next.
    var resultAfterNotification: Int32?
    /// The entry named its file by an index of the registered table (IOSQE_FIXED_FILE).
    var fixedFile = false
    /// The registered buffer a fixed read or write works on (its `buf_index`).
    var fixedBuffer: Int?
    /// The memory it lends the kernel, for the check that none is lent twice (see `SimSharedMemory`).
    var span: SimMemorySpan?

    /// The operation's name in the trace and the statistics: a fixed read or write is named apart
    /// from a plain one (the kernel answers them alike), an entry on the registered file table too.
    var name: String {
        let base: String
        switch (request, fixedBuffer) {
        case (.read, _?): base = "read_fixed"
        case (.write, _?): base = "write_fixed"
        default: base = request.name
        }
        return fixedFile ? base + " (registered file)" : base
    }
}

/// An entry of the simulated submission queue.
enum SimSubmission {
    case operation(SimOp)
    case cancel(target: UInt64, userData: UInt64)

    var userData: UInt64 {
        switch self {
        case .operation(let op): return op.userData
        case .cancel(_, let userData): return userData
        }
    }
}

/// An entry of the simulated completion queue.
struct SimCompletion {
    let userData: UInt64
    let result: Int32
    /// IORING_CQE_F_* flags: F_MORE for a multishot completion that is not the last, F_BUFFER with
    /// the buffer id for a provided buffer.
    var flags: UInt32 = 0
}

/// Counters of what a simulation did: how much of each race and fault it exercised.
public struct SimStatistics: Sendable, Equatable {
    /// Operations handed to `prepare` and accepted.
    public var prepared = 0
    /// Cancel requests accepted.
    public var cancelsPrepared = 0
    /// `prepare`/`prepareCancel` calls refused because the submission queue was full.
    public var queueFullRejections = 0
    /// Completions posted (operations and cancels).
    public var completionsPosted = 0
    /// Completions handed to the driver by `reap`.
    public var completionsReaped = 0
    /// Cancels answered 0 (target cancelled).
    public var cancelsSucceeded = 0
    /// Cancels answered -ENOENT because the target had already completed (or completed in the race).
    public var cancelsTooLate = 0
    /// Cancels answered -EALREADY.
    public var cancelsAlready = 0
    /// Faults injected: short transfers.
    public var shortTransfers = 0
    /// Faults injected: -EAGAIN, -EINTR, -ENOMEM, -ECONNRESET answers.
    public var eagains = 0, eintrs = 0, enomems = 0, connectionResets = 0
    /// Submits that failed by script.
    public var failedSubmits = 0
    /// Times the virtual clock moved forward because nothing else could happen.
    public var clockAdvances = 0
    /// Waits with nothing able to ever complete (each one is thrown as EDEADLK).
    public var stalls = 0
    /// Descriptors the driver closed for a cancelled or orphaned accept/open that succeeded.
    public var descriptorsClosedByDriver = 0
    /// Multishot completions posted with IORING_CQE_F_MORE (elements of a stream).
    public var multishotElements = 0
    /// Multishot operations the kernel ended on its own (a final completion without a cancel).
    public var multishotEnds = 0
    /// Multishot elements posted while a cancel of their operation was being processed.
    public var multishotCancelRaces = 0
    /// Multishot receives ended with -ENOBUFS: their provided-buffer ring was empty.
    public var enobufs = 0
    /// Zero-copy sends' notification completions posted.
    public var zeroCopyNotifications = 0
    /// Zero-copy sends whose notification was posted before their result.
    public var zeroCopyNotificationsFirst = 0
    /// Link timeouts that fired (their operation cancelled by the kernel).
    public var linkTimeoutsFired = 0
    /// Link timeouts cancelled because their operation completed (or was cancelled) first.
    public var linkTimeoutsCancelled = 0
    /// Operations a cancel found in flight and ended with -ECANCELED, by operation name (`read`,
    /// `readv`, `read_fixed`, `read (registered file)`, …).
    public var cancelledByName: [String: Int] = [:]
}
