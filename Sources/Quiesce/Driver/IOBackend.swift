#if canImport(Glibc)
import Glibc
#endif

/// The kernel side of the driver: where submissions go and completions come from.
///
/// Two implementations share the one ``Driver`` (its slots, generations, cancellation and orphans):
/// ``UringBackend``, the real io_uring, and the deterministic in-memory simulation. A backend holds
/// no policy about operations; it queues submission entries and reports completions.
public protocol IOBackend: AnyObject {
    /// Queues a copy of `entry` (an operation's, or an IORING_OP_ASYNC_CANCEL's) tagged `userData`.
    ///
    /// The memory the entry points to (the operation's buffer and the slot's scratch memory) is the
    /// driver's and stays valid, at the same address, until the completion tagged `userData` has
    /// been reaped; an implementation may hand it to the kernel, and must not touch it after that
    /// completion. Returns `false` when the submission queue is full even after flushing it: the
    /// driver retries later.
    func prepare(_ entry: UnsafePointer<SubmissionEntry>, userData: UInt64) -> Bool

    /// Queues copies of two entries, `first` linked to `second` (IOSQE_IO_LINK is set in `first`),
    /// both or neither: they must reach the kernel one right behind the other. Returns `false` when
    /// the queue has no room for both even after flushing it.
    func prepareLinked(_ first: UnsafePointer<SubmissionEntry>, userData firstUserData: UInt64,
                       _ second: UnsafePointer<SubmissionEntry>, userData secondUserData: UInt64) -> Bool

    /// Hands queued submissions to the kernel and, when `waitNanos` is not 0, waits for at least one
    /// completion or until `waitNanos` pass (`nil`: no limit). Interruptions (EINTR) are retried.
    func submit(waitNanos: Int64?) throws(IOError)

    /// Calls `handler` with each available completion (`userData`, `result`, `flags`) and consumes them.
    /// Returns how many there were. Overflowed completions are flushed in, never lost.
    func reap(_ handler: (UInt64, Int32, UInt32) -> Void) -> Int

    /// The backend's monotonic clock, in nanoseconds. A simulation keeps a virtual clock.
    func now() -> UInt64

    /// Closes a descriptor the kernel created for an operation whose owner no longer wants it (a
    /// cancelled or orphaned accept or open that succeeded anyway), so it never leaks.
    func closeDescriptor(_ fd: Int32)

    /// Registers `descriptors` as the ring's table of files, which operations name by index
    /// (IOSQE_FIXED_FILE). Backends without registered files throw EOPNOTSUPP.
    func registerFiles(_ descriptors: [Int32]) throws(IOError)

    /// Unregisters the ring's table of files. The driver calls it only when no operation it holds
    /// uses the table.
    func unregisterFiles() throws(IOError)

    /// Registers the memory of `region`, cut into `count` buffers of equal size, as the ring's fixed
    /// buffers, which IORING_OP_READ_FIXED and IORING_OP_WRITE_FIXED name by index. The memory stays
    /// valid until they are unregistered. Backends without registered buffers throw EOPNOTSUPP.
    func registerBuffers(_ region: UnsafeMutableRawBufferPointer, count: Int) throws(IOError)

    /// Unregisters the ring's fixed buffers. The driver calls it only when no operation it holds
    /// uses them.
    func unregisterBuffers() throws(IOError)

    /// Releases the kernel resources. The driver calls it only when nothing is in flight.
    func close()

    /// Registers a provided-buffer ring of `entries` buffers (a power of two) under `group`.
    /// Backends without provided buffers throw EOPNOTSUPP.
    func registerBufferRing(group: UInt16, entries: UInt32) throws(IOError)

    /// Makes buffer `id` of ring `group` (at `address`, `length` bytes) available to the kernel to
    /// pick. The memory stays valid until the ring is unregistered.
    func provideBuffer(group: UInt16, id: UInt16, address: UnsafeMutableRawPointer, length: UInt32)

    /// Unregisters ring `group`; the kernel picks no buffer from it any more.
    func unregisterBufferRing(group: UInt16)
}

extension IOBackend {
    /// Both entries through ``prepare(_:userData:)``: right for backends whose queue never refuses
    /// the second entry once it took the first.
    public func prepareLinked(_ first: UnsafePointer<SubmissionEntry>, userData firstUserData: UInt64,
                              _ second: UnsafePointer<SubmissionEntry>, userData secondUserData: UInt64) -> Bool {
        unsafe prepare(first, userData: firstUserData) && prepare(second, userData: secondUserData)
    }

    /// No provided buffers: refused with EOPNOTSUPP.
    public func registerBufferRing(group: UInt16, entries: UInt32) throws(IOError) {
        throw IOError(errno: EOPNOTSUPP, operation: "register buffer ring", remedy: "this backend has no provided-buffer rings")
    }
    /// Nothing to provide to.
    public func provideBuffer(group: UInt16, id: UInt16, address: UnsafeMutableRawPointer, length: UInt32) {}
    /// Nothing registered.
    public func unregisterBufferRing(group: UInt16) {}

    /// Closes a real descriptor with close(2): right for every backend whose descriptors are the
    /// process's own. A simulation overrides it.
    public func closeDescriptor(_ fd: Int32) { _ = Glibc.close(fd) }

    /// No registered files: refused with EOPNOTSUPP.
    public func registerFiles(_ descriptors: [Int32]) throws(IOError) {
        throw IOError(errno: EOPNOTSUPP, operation: "register files", remedy: "this backend has no registered files")
    }
    /// Nothing registered.
    public func unregisterFiles() throws(IOError) {}
    /// No registered buffers: refused with EOPNOTSUPP.
    public func registerBuffers(_ region: UnsafeMutableRawBufferPointer, count: Int) throws(IOError) {
        throw IOError(errno: EOPNOTSUPP, operation: "register buffers", remedy: "this backend has no registered buffers")
    }
    /// Nothing registered.
    public func unregisterBuffers() throws(IOError) {}
}
