#if canImport(Glibc)
import Glibc
#endif

/// Several owned buffers that move together into one vectored operation (``IO/readv(_:into:offset:)``,
/// ``IO/writev(_:_:offset:)``) and come back with its result.
///
/// Noncopyable like ``IOBuffer``: while an operation holds the list, no caller can touch the memory
/// the kernel reads or writes. The list keeps the `iovec` array the kernel is given beside its
/// buffers, so a vectored operation allocates nothing of its own: reusing a list reuses both.
///
/// ```swift
/// var list = IOBufferList()
/// list.append(IOBuffer(string: "HTTP/1.1 200 OK\r\n\r\n"))
/// list.append(body)
/// var write = IO.writev(fd, list)  // .ready hands back VectoredResult(result, buffers)
/// ```
public struct IOBufferList: ~Copyable {
    /// The buffers and their `iovec` array. A reference, so that the driver's slot can keep the
    /// memory lent to the kernel alive until the completion even when the operation is dropped
    /// synchronously (see ``OperationKind/lentMemory``); the noncopyable list is its only owner
    /// outside the operation that holds it.
    @usableFromInline let storage: IOBufferListStorage

    /// An empty list with room for `capacity` buffers before it grows.
    public init(capacity: Int = 4) { storage = IOBufferListStorage(capacity: capacity) }

    /// A list holding `buffer`.
    public init(_ buffer: consuming IOBuffer) {
        storage = IOBufferListStorage(capacity: 1)
        storage.append(buffer)
    }

    /// The list around `storage`, which an operation hands back.
    @usableFromInline init(storage: IOBufferListStorage) { self.storage = storage }

    /// The number of buffers.
    public var count: Int { storage.count }

    /// `true` when the list holds no buffer.
    public var isEmpty: Bool { storage.count == 0 }

    /// The valid bytes of every buffer, added up.
    public var byteCount: Int { storage.byteCount }

    /// The spare capacity of every buffer, added up: how much a readv can take.
    public var spareCapacity: Int { storage.spareCapacity }

    /// Adds `buffer` at the end.
    public mutating func append(_ buffer: consuming IOBuffer) { storage.append(buffer) }

    /// Removes and returns the last buffer, or `nil` when the list is empty.
    public mutating func removeLast() -> IOBuffer? { storage.removeLast() }

    /// Removes and returns the first buffer, or `nil` when the list is empty; the rest keep their order.
    public mutating func removeFirst() -> IOBuffer? { storage.removeFirst() }

    /// The buffer at `index` (in `0..<count`), borrowed or modified in place.
    public subscript(index: Int) -> IOBuffer {
        unsafeAddress { unsafe UnsafePointer(storage.pointer(at: index)) }
        unsafeMutableAddress { unsafe storage.pointer(at: index) }
    }

    /// The valid bytes of every buffer, in order, copied into one array.
    public var bytes: [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(byteCount)
        for i in 0..<count { all += self[i].bytes }
        return all
    }
}

/// The memory behind an ``IOBufferList``: its buffers, and the `iovec` array a vectored operation
/// hands the kernel (rebuilt from the buffers each time one is prepared).
@usableFromInline
@safe
final class IOBufferListStorage {
    // SAFETY: `buffers` and `vectors` each hold `capacity` elements; exactly the first `count`
    // buffers are initialized (every access checks its index against `count`, `grow` moves them to
    // larger allocations, `deinit` deinitializes them and frees both allocations once). The vectors
    // are plain values rewritten by `vectors(_:)` before each use; they point into the buffers' heap
    // bytes, which do not move while the buffers live.
    var buffers: UnsafeMutablePointer<IOBuffer>
    var vectors: UnsafeMutablePointer<iovec>
    var count = 0
    var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        unsafe buffers = .allocate(capacity: self.capacity)
        unsafe vectors = .allocate(capacity: self.capacity)
    }

    deinit {
        unsafe buffers.deinitialize(count: count)
        unsafe buffers.deallocate()
        unsafe vectors.deallocate()
    }

    /// The address of buffer `index`, which must be below `count`.
    func pointer(at index: Int) -> UnsafeMutablePointer<IOBuffer> {
        precondition(index >= 0 && index < count, "IOBufferList index \(index) out of range 0..<\(count)")
        return unsafe buffers + index
    }

    func append(_ buffer: consuming IOBuffer) {
        if count == capacity { grow() }
        unsafe (buffers + count).initialize(to: buffer)
        count += 1
    }

    func removeLast() -> IOBuffer? {
        guard count > 0 else { return nil }
        count -= 1
        return unsafe (buffers + count).move()
    }

    func removeFirst() -> IOBuffer? {
        guard count > 0 else { return nil }
        let first = unsafe buffers.move()
        count -= 1
        unsafe buffers.moveInitialize(from: buffers + 1, count: count)
        return first
    }

    private func grow() {
        let newCapacity = capacity * 2
        let newBuffers = UnsafeMutablePointer<IOBuffer>.allocate(capacity: newCapacity)
        unsafe newBuffers.moveInitialize(from: buffers, count: count)
        unsafe buffers.deallocate()
        unsafe vectors.deallocate()
        unsafe buffers = unsafe newBuffers
        unsafe vectors = .allocate(capacity: newCapacity)
        capacity = newCapacity
    }

    var byteCount: Int {
        var total = 0
        for i in 0..<count { total += unsafe buffers[i].count }
        return total
    }

    var spareCapacity: Int {
        var total = 0
        for i in 0..<count { total += unsafe buffers[i].spareCapacity }
        return total
    }

    /// Fills the `iovec` array, one entry per buffer: its spare capacity (`spare`, for a readv) or
    /// its valid bytes (for a writev). Valid while the buffers live and the list does not change.
    func vectors(spare: Bool) -> UnsafePointer<iovec> {
        for i in 0..<count {
            let region = unsafe spare ? buffers[i].spareRegion : buffers[i].validRegion(from: 0)
            unsafe vectors[i] = iovec(iov_base: region.baseAddress, iov_len: region.count)
        }
        return unsafe UnsafePointer(vectors)
    }

    /// Records that the kernel read `n` bytes into the spare capacities, in order: each buffer's
    /// spare capacity fills before the next one's.
    func commitAppended(_ n: Int) {
        var left = n
        for i in 0..<count where left > 0 {
            let taken = min(left, unsafe buffers[i].spareCapacity)
            unsafe buffers[i].commitAppended(taken)
            left -= taken
        }
    }
}
