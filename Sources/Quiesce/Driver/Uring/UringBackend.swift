import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// The real backend: one io_uring, reached through the thin C shim over liburing.
@safe
public final class UringBackend: IOBackend {
    // SAFETY: `ring` is allocated by `init` and freed once, by `freeMemory` (after the
    // ring is exited when it was set up); every use of the ring checks `isOpen` first. The regions
    // and storages passed to ``prepare(_:userData:region:storage:)`` are the driver's, valid until
    // their completion is reaped (the ``IOBackend`` contract).
    let ring: UnsafeMutablePointer<io_uring>
    private(set) var isOpen = true
    /// The provided-buffer rings registered with the ring, by group (see `UringBackend+BufferRings`).
    var bufferRings: [UInt16: MappedBufferRing] = [:]
    /// The most completions one pass of ``reap(_:)`` reads before handing them back to the kernel.
    private static let cqeBatch: UInt32 = 256
    /// The number of submission queue entries the ring was created with.
    public let entries: UInt32
    /// The ring as set up: the setup flags in effect, the ones asked for that the kernel refused
    /// (and why), the queue sizes.
    public let setup: UringSetup
    /// The submission ring flags that say completions wait to be flushed or posted
    /// (IORING_SQ_CQ_OVERFLOW, and IORING_SQ_TASKRUN when the kernel signals pending task work):
    /// a submit that must not wait enters the kernel when one is set.
    private let completionsPending: UInt32
    /// Completions are posted only when this thread enters the kernel for them (DEFER_TASKRUN or
    /// COOP_TASKRUN) and the kernel does not signal when they wait (no TASKRUN_FLAG): a submit that
    /// must not wait always enters, with IORING_ENTER_GETEVENTS.
    private let alwaysGetEvents: Bool

    /// Creates a ring with `entries` submission entries and the default ``RingOptions``
    /// (`SINGLE_ISSUER | DEFER_TASKRUN` where the kernel has them; the completion queue gets
    /// twice as many entries).
    ///
    /// Throws an ``IOError`` naming the cause and the remedy when io_uring is unavailable: disabled by
    /// `kernel.io_uring_disabled`, blocked by seccomp (a container's default profile), not built into
    /// the kernel, or out of locked memory.
    public convenience init(entries: UInt32 = 256) throws(IOError) {
        try self.init(options: RingOptions(entries: entries), setupOverride: nil)
    }

    /// Creates a ring as `options` say. Setup flags the kernel refuses are left out (``setup``
    /// lists them and why); the errors thrown are those of ``init(entries:)``.
    public convenience init(options: RingOptions) throws(IOError) {
        try self.init(options: options, setupOverride: nil)
    }

    /// A ring with the default options whose setup first asks `setupOverride` (tests): it receives
    /// `entries` and returns `-errno` to fail as the kernel would, or a non-negative value to go on
    /// with the real setup.
    package convenience init(entries: UInt32, setupOverride: ((UInt32) -> Int32)?) throws(IOError) {
        try self.init(options: RingOptions(entries: entries), setupOverride: setupOverride.map { hook in { entries, _ in hook(entries) } })
    }

    /// A ring whose every setup attempt first asks `setupOverride` (tests): it receives the entries
    /// and the setup flags of the attempt, and returns `-errno` to fail as the kernel would (to
    /// refuse a flag), or a non-negative value to go on with the real setup.
    package init(options: RingOptions, setupOverride: ((UInt32, UInt32) -> Int32)?) throws(IOError) {
        // SAFETY: `ring` gets `cqu_ring_size()` bytes, the size of liburing's `struct io_uring`,
        // freed once, by `freeMemory`. Each setup
        // attempt initializes `ring` only when it succeeds, and only the last one can.
        let entries = options.entries
        self.entries = entries
        let ring = unsafe UnsafeMutableRawPointer.allocate(byteCount: cqu_ring_size(), alignment: 64)
            .bindMemory(to: io_uring.self, capacity: 1)
        unsafe self.ring = unsafe ring
        let (requested, notAskedFor) = options.requestedFlags()
        var params = io_uring_params()
        let outcome = UringSetup.negotiate(requested: requested) { flags in
            if let rc = setupOverride?(entries, flags), rc < 0 { return rc }
            params = io_uring_params()
            params.flags = flags
            params.cq_entries = options.completionEntries ?? 0
            params.sq_thread_idle = options.sqpollIdleMilliseconds
            return unsafe cqu_queue_init_params(entries, ring, &params)
        }
        let flags = unsafe outcome.rc >= 0 ? cqu_setup_flags(ring) : 0
        setup = UringSetup(flags: flags, refused: outcome.refused, submissionEntries: params.sq_entries,
                           completionEntries: params.cq_entries, notes: notAskedFor + outcome.notes)
        let signalled = flags & UInt32(IORING_SETUP_TASKRUN_FLAG) != 0
        completionsPending = UInt32(IORING_SQ_CQ_OVERFLOW) | (signalled ? UInt32(IORING_SQ_TASKRUN) : 0)
        alwaysGetEvents = flags & UInt32(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN) != 0 && !signalled
        if outcome.rc < 0 {
            freeMemory()  // no ring to exit: setup failed
            throw UringBackend.setupError(-outcome.rc, entries: entries, completionEntries: options.completionEntries)
        }
        // The driver relies on completions never being dropped on overflow (NODROP, Linux 5.5) and on
        // waits with a timeout that take no submission entry (EXT_ARG, Linux 5.11).
        let required = UInt32(IORING_FEAT_NODROP) | UInt32(IORING_FEAT_EXT_ARG)
        let missing = unsafe required & ~cqu_features(ring)
        if missing != 0 {
            close()
            throw UringBackend.missingFeatures(missing)
        }
    }

    /// The error for a kernel whose io_uring lacks features the driver relies on.
    static func missingFeatures(_ missing: UInt32) -> IOError {
        var names: [String] = []
        if missing & UInt32(IORING_FEAT_NODROP) != 0 { names.append("IORING_FEAT_NODROP") }
        if missing & UInt32(IORING_FEAT_EXT_ARG) != 0 { names.append("IORING_FEAT_EXT_ARG") }
        return IOError(errno: ENOSYS, operation: "io_uring_setup",
                       remedy: "this kernel's io_uring lacks \(names.joined(separator: " and ")): use Linux 5.11 or newer (5.19 for IO.cancel(fd:)), or run the tests on the simulated driver")
    }

    deinit { close() }

    /// The ring's file descriptor, or -1 once the ring is closed.
    public var ringFD: Int32 { unsafe isOpen ? cqu_ring_fd(ring) : -1 }

    /// Explains why ring setup failed and what to do about it.
    static func setupError(_ errno: Int32, entries: UInt32, completionEntries: UInt32? = nil) -> IOError {
        var remedy: String
        switch errno {
        case ENOSYS:
            remedy = "io_uring is not available in this kernel (ENOSYS): use Linux 5.11 or newer (5.19 for IO.cancel(fd:)) built with CONFIG_IO_URING, or run the tests on the simulated driver"
        case EPERM:
            remedy = "io_uring is forbidden here (EPERM): check `sysctl kernel.io_uring_disabled` (set it to 0, or 1 and join the io_uring_group), or a seccomp profile blocking io_uring_setup (docker: --security-opt seccomp=unconfined)"
        case ENOMEM:
            remedy = "the kernel could not allocate the ring (ENOMEM): use fewer entries or raise the locked-memory limit (`ulimit -l`)"
        case EINVAL:
            remedy = "the kernel rejected the ring parameters (EINVAL): \(entries) entries is not a valid size (1…32768)"
            if let completionEntries {
                remedy += ", or \(completionEntries) completion entries is not (at least the submission entries, at most 1048576)"
            }
        case EMFILE, ENFILE:
            remedy = "no file descriptor is left for the ring: raise `ulimit -n` or close descriptors"
        default:
            remedy = "io_uring_setup failed; check that io_uring is enabled on this machine"
        }
        return IOError(errno: errno, operation: "io_uring_setup", remedy: remedy)
    }

    // A closed ring has no entries to give: a request then stays queued, and the next submit says why.
    private func nextSQE() -> UnsafeMutablePointer<io_uring_sqe>? {
        guard isOpen else { return nil }
        if let sqe = unsafe cqu_get_sqe(ring) { return unsafe sqe }
        // Full: hand what is queued to the kernel and try once more.
        _ = unsafe cqu_submit(ring)
        return unsafe cqu_get_sqe(ring)
    }

    /// A free entry of the ring to prepare in place (flushing the queue once if it is full); `nil`
    /// when there is still no room, or the ring is closed. The caller fills it in full before the
    /// next submit.
    @inline(__always)
    func nextEntry() -> UnsafeMutablePointer<SubmissionEntry>? { unsafe nextSQE() }

    /// Copies `entry` into a free entry of the ring, tagged `userData`; `false` when there is no
    /// room even after flushing the queue, or the ring is closed.
    public func prepare(_ entry: UnsafePointer<SubmissionEntry>, userData: UInt64) -> Bool {
        // SAFETY: `sqe` is a free entry of the open ring; the memory `entry` points to is the
        // driver's, valid and unmoved until this operation's completion is reaped (the
        // ``IOBackend`` contract).
        guard let sqe = unsafe nextSQE() else { return false }
        unsafe sqe.pointee = entry.pointee
        unsafe sqe.pointee.user_data = userData
        return true
    }

    /// io_uring_enter: submits, and waits for a completion or the timeout when asked; EINTR is retried.
    /// Throws EBADF once the ring is closed.
    // Inlined into the driver's turn: it runs once per turn, and its rare paths are out of line.
    @inline(__always)
    public func submit(waitNanos: Int64?) throws(IOError) {
        // SAFETY: the ring is open (checked first), and nothing in the loop closes it.
        guard isOpen else { throw UringBackend.closedError() }
        while true {
            let rc: Int32
            if waitNanos == 0 {
                // Nothing to hand over and no completion waiting to be flushed or posted: no system
                // call. (liburing's submit adds IORING_ENTER_GETEVENTS itself when a pending flag is
                // set, and wakes an SQPOLL thread that sleeps.)
                if unsafe cqu_sq_ready(ring) == 0 && cqu_sq_flags(ring) & completionsPending == 0 && !alwaysGetEvents { return }
                rc = unsafe alwaysGetEvents ? cqu_submit_and_get_events(ring) : cqu_submit(ring)
            } else if let waitNanos {
                rc = submitAndWait(timeoutNanos: waitNanos)
            } else {
                rc = unsafe cqu_submit_and_wait(ring, 1)
            }
            if rc >= 0 || rc == -ETIME { return }
            switch -rc {
            case EINTR: continue  // a signal: the wait is simply retried
            case EAGAIN, EBUSY: return  // completion queue backed up: the caller reaps, then submits again
            default: throw enterError(-rc)
            }
        }
    }

    /// The error of a failed io_uring_enter; EEXIST on a `SINGLE_ISSUER` ring means another thread
    /// than the one that created it tried to use it.
    @inline(never)
    private func enterError(_ errno: Int32) -> IOError {
        guard errno == EEXIST && setup.singleIssuer else { return IOError(errno: errno, operation: "io_uring_enter") }
        return IOError(errno: errno, operation: "io_uring_enter",
                       remedy: "this ring was set up with SINGLE_ISSUER\(setup.deferTaskrun ? "|DEFER_TASKRUN" : ""): only the thread that created it may submit to it or wait on it. Create the executor on the thread that runs it, or set it up with RingOptions(singleIssuer: false)")
    }

    // Out of line: building the error inside `submit` would lengthen every call.
    @inline(never)
    private static func closedError() -> IOError {
        IOError(errno: EBADF, operation: "io_uring_enter", remedy: "the ring was closed; operations need an open ring")
    }

    // Out of line: its locals are passed by pointer, which would cost every submit a stack protector.
    @inline(never)
    private func submitAndWait(timeoutNanos: Int64) -> Int32 {
        var ts = __kernel_timespec(tv_sec: timeoutNanos / 1_000_000_000, tv_nsec: timeoutNanos % 1_000_000_000)
        var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
        return unsafe cqu_submit_and_wait_timeout(ring, &cqe, 1, &ts)
    }

    /// Consumes every completion in the ring, flushing overflowed ones in first.
    /// Reaps nothing once the ring is closed.
    public func reap(_ handler: (UInt64, Int32, UInt32) -> Void) -> Int {
        // SAFETY: the ring is open (checked first). The `n` entries past the head are ready (the
        // tail was read with an acquire load, so they are written) and stay valid until
        // `cqu_cq_advance` hands them back to the kernel, after they have been read; the handler
        // does not touch the completion queue.
        guard isOpen else { return 0 }
        var total = 0
        while true {
            // Read from the ring in place, as io_uring_for_each_cqe does: no library call per batch.
            let n = unsafe min(cqu_cq_ready(ring), UringBackend.cqeBatch)
            if n == 0 {
                // With IORING_FEAT_NODROP the kernel holds overflowed completions: flush them in.
                if unsafe cqu_cq_has_overflow(ring) != 0 { _ = unsafe cqu_get_events(ring); continue }
                return total
            }
            for i in 0..<n {
                let cqe = unsafe cqu_cqe_at(ring, i).unsafelyUnwrapped
                unsafe handler(cqe.pointee.user_data, cqe.pointee.res, cqe.pointee.flags)
            }
            unsafe cqu_cq_advance(ring, n)
            total &+= Int(n)
            // A partial batch drained the queue: skip the peek that would only say so. Later
            // completions are reaped on the next turn; overflowed ones are flushed in now.
            if unsafe n < UringBackend.cqeBatch && cqu_cq_has_overflow(ring) == 0 { return total }
        }
    }

    /// CLOCK_MONOTONIC, in nanoseconds.
    public func now() -> UInt64 {
        var ts = timespec()
        unsafe clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// close(2).
    public func closeDescriptor(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// io_uring_queue_exit; the driver calls it only when nothing is in flight.
    public func close() {
        guard isOpen else { return }
        unsafe cqu_queue_exit(ring)
        freeMemory()
    }

    /// Frees the ring's memory; the backend is closed from then on.
    private func freeMemory() {
        unsafe ring.deallocate()
        isOpen = false
    }
}
