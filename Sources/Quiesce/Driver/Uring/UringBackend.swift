import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// The real backend: one io_uring, reached through the thin C shim over liburing.
@safe
public final class UringBackend: IOBackend {
    // SAFETY: `ring` and `cqes` are allocated by `init` and freed once, by `freeMemory` (after the
    // ring is exited when it was set up); every use of the ring checks `isOpen` first. The regions
    // and storages passed to ``prepare(_:userData:region:storage:)`` are the driver's, valid until
    // their completion is reaped (the ``IOBackend`` contract).
    let ring: UnsafeMutablePointer<io_uring>
    private(set) var isOpen = true
    /// The provided-buffer rings registered with the ring, by group (see `UringBackend+BufferRings`).
    var bufferRings: [UInt16: MappedBufferRing] = [:]
    /// Where a batch peek lists the completions it found (allocated once).
    private let cqes: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private static let cqeBatch = 256
    /// The number of submission queue entries the ring was created with.
    public let entries: UInt32

    /// Creates a ring with `entries` submission entries (the completion queue gets twice as many).
    ///
    /// Throws an ``IOError`` naming the cause and the remedy when io_uring is unavailable: disabled by
    /// `kernel.io_uring_disabled`, blocked by seccomp (a container's default profile), not built into
    /// the kernel, or out of locked memory.
    public convenience init(entries: UInt32 = 256) throws(IOError) {
        try self.init(entries: entries, setupOverride: nil)
    }

    /// A ring whose setup first asks `setupOverride` (tests): it receives `entries` and returns
    /// `-errno` to fail as the kernel would, or a non-negative value to go on with the real setup.
    package init(entries: UInt32, setupOverride: ((UInt32) -> Int32)?) throws(IOError) {
        // SAFETY: `ring` gets `cqu_ring_size()` bytes, the size of liburing's `struct io_uring`,
        // and `cqes` room for `cqeBatch` entries; both are freed once, by `freeMemory`.
        self.entries = entries
        unsafe ring = unsafe UnsafeMutableRawPointer.allocate(byteCount: cqu_ring_size(), alignment: 64)
            .bindMemory(to: io_uring.self, capacity: 1)
        unsafe cqes = .allocate(capacity: UringBackend.cqeBatch)
        var rc = setupOverride?(entries) ?? 0
        if rc >= 0 {
            var params = io_uring_params()
            rc = unsafe cqu_queue_init_params(entries, ring, &params)
        }
        if rc < 0 {
            freeMemory()  // no ring to exit: setup failed
            throw UringBackend.setupError(-rc, entries: entries)
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
    static func setupError(_ errno: Int32, entries: UInt32) -> IOError {
        let remedy: String
        switch errno {
        case ENOSYS:
            remedy = "io_uring is not available in this kernel (ENOSYS): use Linux 5.11 or newer (5.19 for IO.cancel(fd:)) built with CONFIG_IO_URING, or run the tests on the simulated driver"
        case EPERM:
            remedy = "io_uring is forbidden here (EPERM): check `sysctl kernel.io_uring_disabled` (set it to 0, or 1 and join the io_uring_group), or a seccomp profile blocking io_uring_setup (docker: --security-opt seccomp=unconfined)"
        case ENOMEM:
            remedy = "the kernel could not allocate the ring (ENOMEM): use fewer entries or raise the locked-memory limit (`ulimit -l`)"
        case EINVAL:
            remedy = "the kernel rejected the ring parameters (EINVAL): \(entries) entries is not a valid size (1…32768)"
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
    public func submit(waitNanos: Int64?) throws(IOError) {
        // SAFETY: the ring is open (checked first), and nothing in the loop closes it.
        guard isOpen else { throw UringBackend.closedError() }
        while true {
            let rc: Int32
            if waitNanos == 0 {
                if unsafe cqu_sq_ready(ring) == 0 && cqu_cq_has_overflow(ring) == 0 { return }
                rc = unsafe cqu_submit(ring)
            } else if let waitNanos {
                rc = submitAndWait(timeoutNanos: waitNanos)
            } else {
                rc = unsafe cqu_submit_and_wait(ring, 1)
            }
            if rc >= 0 || rc == -ETIME { return }
            switch -rc {
            case EINTR: continue  // a signal: the wait is simply retried
            case EAGAIN, EBUSY: return  // completion queue backed up: the caller reaps, then submits again
            default: throw IOError(errno: -rc, operation: "io_uring_enter")
            }
        }
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
        // SAFETY: the ring is open (checked first). A peek lists at most `cqeBatch` entries, the
        // size of `cqes`, each valid until `cqu_cq_advance` hands it back to the kernel, after it
        // has been read.
        guard isOpen else { return 0 }
        var total = 0
        while true {
            // One shim call per batch: liburing lists the ready entries (an acquire load of the
            // tail first, so they are written), and they are read from the ring in place.
            let n = unsafe cqu_peek_batch_cqe(ring, cqes, UInt32(UringBackend.cqeBatch))
            if n == 0 {
                // With IORING_FEAT_NODROP the kernel holds overflowed completions: flush them in.
                if unsafe cqu_cq_has_overflow(ring) != 0 { _ = unsafe cqu_get_events(ring); continue }
                return total
            }
            for i in 0..<Int(n) {
                let cqe = unsafe cqes[i].unsafelyUnwrapped
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

    /// Frees the ring's memory and the batch array; the backend is closed from then on.
    private func freeMemory() {
        unsafe ring.deallocate()
        unsafe cqes.deallocate()
        isOpen = false
    }
}
