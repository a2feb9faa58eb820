#if canImport(Glibc)
import Glibc
#endif

/// The kernel side of the driver: where submissions go and completions come from.
///
/// Two implementations share the one ``Driver`` (its slots, generations, cancellation and orphans):
/// ``UringBackend``, the real io_uring, and the deterministic in-memory simulation. A backend holds
/// no policy about operations; it queues submission entries and reports completions.
public protocol IOBackend: AnyObject {
    /// Queues a submission for `request` tagged `userData`. `region` is the memory the kernel may
    /// read or write (already chosen by the driver); `storage` stays at its address until completion.
    ///
    /// Both pointers are the driver's and stay valid, at the same address, until the completion
    /// tagged `userData` has been reaped; an implementation may hand them to the kernel, and must
    /// not touch them after that completion.
    /// Returns `false` when the submission queue is full even after flushing it: the driver retries later.
    func prepare(_ request: OpRequest, userData: UInt64, region: UnsafeMutableRawBufferPointer?,
                 storage: UnsafeMutablePointer<OpStorage>) -> Bool

    /// Queues an IORING_OP_ASYNC_CANCEL for the operation tagged `target`, itself tagged `userData`.
    /// Returns `false` when the submission queue is full: the driver retries later.
    func prepareCancel(target: UInt64, userData: UInt64) -> Bool

    /// Hands queued submissions to the kernel and, when `waitNanos` is not 0, waits for at least one
    /// completion or until `waitNanos` pass (`nil`: no limit). Interruptions (EINTR) are retried.
    func submit(waitNanos: Int64?) throws(IOError)

    /// Calls `handler` with each available completion (`userData`, `result`, `flags`) and consumes them.
    /// Returns how many there were. Overflowed completions are flushed in, never lost.
    func reap(_ handler: (UInt64, Int32, UInt32) -> Void) -> Int

    /// The backend's monotonic clock, in nanoseconds. A simulation keeps a virtual clock.
    func now() -> UInt64

    /// Closes a descriptor the kernel created for an operation whose owner no longer wants it (a
    /// cancelled or orphaned accept/open that succeeded anyway), so it never leaks.
    func closeDescriptor(_ fd: Int32)

    /// Releases the kernel resources. The driver calls it only when nothing is in flight.
    func close()
}

extension IOBackend {
    /// Closes a real descriptor with close(2): right for every backend whose descriptors are the
    /// process's own. A simulation overrides it.
    public func closeDescriptor(_ fd: Int32) { _ = Glibc.close(fd) }
}
