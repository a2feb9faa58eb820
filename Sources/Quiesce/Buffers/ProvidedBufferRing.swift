#if canImport(Glibc)
import Glibc
#endif

/// A pool of equal buffers registered with the ring (a provided-buffer ring): the kernel picks one
/// for each completion of a receive that asks for it (multishot receive), so an idle connection
/// pins no buffer of its own.
///
/// Each buffer the kernel fills comes back as a ``ProvidedBuffer``, a lease that gives the buffer
/// back to the ring exactly once, when it is released. While every buffer is leased the kernel has
/// none to pick: a multishot receive then ends with -ENOBUFS, and ``MultishotOperation`` re-arms it
/// once a buffer comes back (it waits; it never spins).
///
/// ```swift
/// let pool = try executor.driver.registerBufferRing(count: 256, size: 4096)
/// var messages = socket.receiveMultishot(from: pool)
/// // in a poll: while case .ready(let next?) = messages.pollNext(&cx) { handle(try next.get()) }
/// ```
///
/// The ring stays registered for as long as its driver lives; its memory outlives every lease.
@safe
public final class ProvidedBufferRing {
    // SAFETY: `memory` holds `count * size` bytes allocated by `init` and freed by `deinit`, which
    // runs only once no lease (each holds the ring) and no driver registration (which holds it
    // while its operations may write into it) remains.
    /// The buffer group id the ring is registered under (the entries' `buf_group`).
    public let group: UInt16
    /// The number of buffers (a power of two).
    public let count: Int
    /// The size of each buffer, in bytes.
    public let size: Int
    /// Buffers the kernel may pick now: given to the ring and not picked for a completion yet. A
    /// picked buffer counts again once its lease (or the driver, for a completion nobody took)
    /// gives it back.
    public private(set) var available: Int
    let memory: UnsafeMutableRawPointer
    let backend: any IOBackend
    /// Whom to wake when a buffer comes back (a multishot receive that ran dry).
    private var waiters: [Waker] = []

    init(group: UInt16, count: Int, size: Int, backend: any IOBackend) throws(IOError) {
        // SAFETY: the memory is allocated here and freed only by `deinit`; each buffer handed to
        // the backend lies inside it.
        guard count > 0, count <= 32768, count & (count - 1) == 0 else {
            throw IOError(errno: EINVAL, operation: "register buffer ring",
                          remedy: "the buffer count must be a power of two between 1 and 32768 (got \(count))")
        }
        guard size > 0, size <= Int(UInt32.max) else {
            throw IOError(errno: EINVAL, operation: "register buffer ring", remedy: "the buffer size must be positive (got \(size))")
        }
        self.group = group
        self.count = count
        self.size = size
        self.available = 0
        self.backend = backend
        unsafe self.memory = .allocate(byteCount: count * size, alignment: 64)
        do {
            try backend.registerBufferRing(group: group, entries: UInt32(count))
        } catch {
            unsafe memory.deallocate()
            throw error
        }
        for id in 0..<count { provide(UInt16(id)) }
    }

    deinit {
        backend.unregisterBufferRing(group: group)
        unsafe memory.deallocate()
    }

    /// The bytes of buffer `id`.
    func address(of id: UInt16) -> UnsafeMutableRawPointer { unsafe memory + Int(id) * size }

    /// Hands buffer `id` to the kernel to pick again, and wakes whoever waits for one.
    func provide(_ id: UInt16) {
        // SAFETY: `id` names a buffer of this ring (below `count`), inside `memory`.
        precondition(Int(id) < count, "buffer \(id) does not belong to ring \(group)")
        unsafe backend.provideBuffer(group: group, id: id, address: address(of: id), length: UInt32(size))
        available += 1
        if !waiters.isEmpty {
            let woken = waiters
            waiters.removeAll(keepingCapacity: true)
            for waker in woken { waker.wake() }
        }
    }

    /// Gives back buffer `id`, which the kernel picked for a completion nobody takes.
    func reclaim(_ id: UInt16) { provide(id) }

    /// Records that the kernel picked buffer `id` (a completion named it, with IORING_CQE_F_BUFFER).
    func picked(_ id: UInt16) { available -= 1 }

    /// Wakes `waker` when a buffer comes back; `false` (nothing registered) when one is available.
    func waitForBuffer(_ waker: Waker) -> Bool {
        if available > 0 { return false }
        if !waiters.contains(where: { $0.target === waker.target }) { waiters.append(waker) }
        return true
    }

    /// The lease on buffer `id`, which the kernel filled with `length` bytes.
    func lease(_ id: UInt16, length: Int) -> ProvidedBuffer {
        ProvidedBuffer(ring: self, id: id, count: min(max(length, 0), size))
    }
}

/// A buffer the kernel picked from a ``ProvidedBufferRing`` and filled: a lease that gives it back to
/// the ring when released, exactly once.
///
/// Noncopyable: one owner, one give-back. Copy the bytes out (``bytes``, ``withUnsafeBytes(_:)``)
/// or keep the lease while they are needed; the kernel cannot pick the buffer again before it is
/// released.
@safe
public struct ProvidedBuffer: ~Copyable {
    // SAFETY: the lease holds its ring, so the ring's memory outlives it; the buffer is given back
    // only by `deinit`, once, and until then the kernel does not write into it.
    /// The ring the buffer belongs to.
    public let ring: ProvidedBufferRing
    /// The buffer's id in its ring.
    public let id: UInt16
    /// How many bytes the kernel wrote.
    public let count: Int

    init(ring: ProvidedBufferRing, id: UInt16, count: Int) {
        self.ring = ring
        self.id = id
        self.count = count
    }

    deinit { ring.provide(id) }

    /// The bytes received, read-only, for the length of `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        unsafe try body(UnsafeRawBufferPointer(start: ring.address(of: id), count: count))
    }

    /// A copy of the bytes received.
    public var bytes: [UInt8] { unsafe withUnsafeBytes { unsafe Array($0) } }
}
