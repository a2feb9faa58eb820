import CQuiesceUring

/// How an io_uring is set up: its sizes and the `IORING_SETUP_*` flags to ask the kernel for.
///
/// The defaults ask for `SINGLE_ISSUER | DEFER_TASKRUN`: the ring is used by one thread only, and
/// the kernel runs the work that posts completions when that thread asks for completions, instead
/// of interrupting it. A kernel that refuses a flag (EINVAL before Linux 6.0 / 6.1, EPERM for
/// `SQPOLL` without the privilege on old kernels) gets a ring without it: ``UringBackend/setup``
/// says which flags are in effect and which were refused, and ``Executor/init(options:)``
/// reports a ``Diagnostic/Kind/ringSetupFallback`` note.
///
/// With `SINGLE_ISSUER` only the thread that created the ring may submit to it (and, with
/// `DEFER_TASKRUN`, reap its completions): create the executor on the thread that runs it. Run
/// from another thread, the kernel answers EEXIST, which the executor throws as an ``IOError``
/// that says so. ``singleIssuer`` `false` lifts the restriction (and turns `DEFER_TASKRUN` off).
///
/// ```swift
/// let executor = try Executor(options: RingOptions(entries: 1024, completionEntries: 8192))
/// ```
public struct RingOptions: Sendable, Equatable {
    /// Submission queue entries (1…32768; the kernel rounds up to a power of two).
    public var entries: UInt32
    /// Completion queue entries (`IORING_SETUP_CQSIZE`, at least ``entries``, rounded up to a power
    /// of two); `nil`: twice ``entries``, the kernel's default.
    public var completionEntries: UInt32?
    /// `IORING_SETUP_SINGLE_ISSUER` (Linux 6.0): only the creating thread submits.
    public var singleIssuer: Bool
    /// `IORING_SETUP_DEFER_TASKRUN` (Linux 6.1, needs ``singleIssuer``): completions are posted
    /// when the ring's thread enters the kernel for them, never by interrupting it.
    public var deferTaskrun: Bool
    /// `IORING_SETUP_COOP_TASKRUN` (Linux 5.19): the kernel does not interrupt the thread to post
    /// completions; they wait for its next entry into the kernel.
    public var coopTaskrun: Bool
    /// `IORING_SETUP_SQPOLL` with this idle time: a kernel thread takes submissions from the queue,
    /// so submitting needs no system call while it is awake; it sleeps after this long without
    /// work (and is woken by the next submission). `nil`: no `SQPOLL`. The kernel refuses it
    /// together with `DEFER_TASKRUN` and `COOP_TASKRUN`, so those are not asked for with it.
    public var sqpollIdle: Duration?
    /// Ask for `TASKRUN_FLAG` with `DEFER_TASKRUN` or `COOP_TASKRUN` (tests turn it off to run the
    /// driver as on a kernel that does not signal pending completions).
    package var taskrunFlag = true

    /// Options for a ring of `entries` submission entries; by default `SINGLE_ISSUER |
    /// DEFER_TASKRUN` where the kernel has them.
    public init(entries: UInt32 = 256, completionEntries: UInt32? = nil, singleIssuer: Bool = true,
                deferTaskrun: Bool = true, coopTaskrun: Bool = false, sqpollIdle: Duration? = nil) {
        self.entries = entries
        self.completionEntries = completionEntries
        self.singleIssuer = singleIssuer
        self.deferTaskrun = deferTaskrun
        self.coopTaskrun = coopTaskrun
        self.sqpollIdle = sqpollIdle
    }

    /// No setup flags: the ring as the kernel makes it by default, usable from any one thread at a
    /// time.
    public static func plain(entries: UInt32 = 256) -> RingOptions {
        RingOptions(entries: entries, singleIssuer: false, deferTaskrun: false)
    }

    /// The `IORING_SETUP_*` flags these options ask the kernel for, before it has its say, and a
    /// note for each option left out because it cannot go with the others. `TASKRUN_FLAG` is added
    /// with `DEFER_TASKRUN` or `COOP_TASKRUN`: it lets the driver (and liburing) see when
    /// completions wait to be posted, so a turn that must not wait enters the kernel only then.
    func requestedFlags() -> (flags: UInt32, notes: [String]) {
        var flags: UInt32 = 0
        var notes: [String] = []
        if completionEntries != nil { flags |= UInt32(IORING_SETUP_CQSIZE) }
        if singleIssuer { flags |= UInt32(IORING_SETUP_SINGLE_ISSUER) }
        if sqpollIdle != nil {
            flags |= UInt32(IORING_SETUP_SQPOLL)
            if deferTaskrun { notes.append("DEFER_TASKRUN: not asked for with SQPOLL (the kernel refuses the pair)") }
            if coopTaskrun { notes.append("COOP_TASKRUN: not asked for with SQPOLL (the kernel refuses the pair)") }
            return (flags, notes)
        }
        if deferTaskrun {
            if singleIssuer {
                flags |= UInt32(IORING_SETUP_DEFER_TASKRUN)
            } else {
                notes.append("DEFER_TASKRUN: not asked for without SINGLE_ISSUER (the kernel requires it)")
            }
        }
        if coopTaskrun { flags |= UInt32(IORING_SETUP_COOP_TASKRUN) }
        if taskrunFlag && flags & UInt32(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN) != 0 {
            flags |= UInt32(IORING_SETUP_TASKRUN_FLAG)
        }
        return (flags, notes)
    }

    /// The SQPOLL thread's idle time in milliseconds, as the kernel takes it (at least 1).
    var sqpollIdleMilliseconds: UInt32 {
        guard let idle = sqpollIdle else { return 0 }
        let (seconds, attoseconds) = idle.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return UInt32(clamping: max(milliseconds, 1))
    }
}
