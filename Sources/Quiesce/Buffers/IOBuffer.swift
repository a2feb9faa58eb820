#if canImport(Glibc)
import Glibc
#endif

/// An owned byte buffer for I/O: noncopyable, so while an operation holds it no caller can touch the
/// memory the kernel is reading or writing. It moves into an operation and comes back with the result.
///
/// `count` bytes at the front are valid; reads append into the spare capacity behind them.
@safe
public struct IOBuffer: ~Copyable {
    // SAFETY: `base` points to `max(capacity, 1)` bytes allocated by `init` and freed only by
    // `deinit`; noncopyable, the buffer has one owner, so no copy outlives that free. `count` stays
    // within `0...capacity` (preconditions and clamping), so every access through `base` stays
    // inside the allocation. The pointers it hands out are valid while the buffer is borrowed
    // (`withUnsafeBytes`) or while an operation holds it (the regions the driver lends the kernel).
    @usableFromInline let base: UnsafeMutableRawPointer
    /// How many bytes the buffer can hold.
    public let capacity: Int
    /// How many bytes at the front are valid.
    public internal(set) var count: Int

    /// An empty buffer that can hold `capacity` bytes (at least 1 byte is allocated).
    public init(capacity: Int) {
        precondition(capacity >= 0, "IOBuffer capacity must not be negative")
        self.capacity = capacity
        unsafe self.base = .allocate(byteCount: Swift.max(capacity, 1), alignment: 64)
        self.count = 0
        #if DEBUG
        unsafe IOBuffer.observer?.bufferAllocated(base, capacity: capacity)
        #endif
    }

    /// A buffer holding a copy of `bytes`, with room for exactly those bytes.
    public init<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        self.init(capacity: bytes.count)
        append(contentsOf: bytes)
    }

    /// A buffer holding the UTF-8 bytes of `string`.
    public init(string: String) {
        self.init(bytes: Array(string.utf8))
    }

    deinit {
        #if DEBUG
        unsafe IOBuffer.observer?.bufferFreed(base, capacity: capacity)
        #endif
        unsafe base.deallocate()
    }

    #if DEBUG
    /// The simulated driver's watch on buffer lifetimes (use-after-free and leak checks); `nil`
    /// outside those tests. Debug builds only: release builds never read it. Only touched on the
    /// executor's thread (tests that set it run one simulation at a time).
    package nonisolated(unsafe) static var observer: IOBufferObserver?
    #endif

    /// Room left behind the valid bytes.
    public var spareCapacity: Int { capacity - count }

    /// `true` when no byte is valid.
    public var isEmpty: Bool { count == 0 }

    /// Forgets the valid bytes; the capacity stays.
    public mutating func clear() { count = 0 }

    /// Keeps the first `newCount` valid bytes.
    public mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "truncate(to:) beyond the valid bytes")
        count = newCount
    }

    /// Drops the first `n` valid bytes, moving the rest to the front.
    public mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "removeFirst(_:) beyond the valid bytes")
        if n < count { unsafe (base).copyMemory(from: base + n, byteCount: count - n) }
        count -= n
    }

    /// Appends as many of `bytes` as fit; returns how many were appended.
    ///
    /// Contiguous collections (arrays, slices, `UnsafeRawBufferPointer`, a string's UTF-8 view) are
    /// copied with one memory copy; others byte by byte.
    @discardableResult
    public mutating func append<Bytes: Collection>(contentsOf bytes: Bytes) -> Int where Bytes.Element == UInt8 {
        unsafe ByteRegion(base: base, capacity: capacity).append(bytes, count: &count)
    }

    /// The valid bytes, read-only.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        unsafe try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The whole capacity, writable, and the count of valid bytes to update.
    public mutating func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer, inout Int) throws(E) -> R
    ) throws(E) -> R {
        try unsafe ByteRegion(base: base, capacity: capacity).withMutableBytes(count: &count, body)
    }

    /// A copy of the valid bytes.
    public var bytes: [UInt8] { unsafe withUnsafeBytes { unsafe Array($0) } }

    /// The valid bytes decoded as UTF-8 (invalid sequences repaired).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The spare capacity behind the valid bytes, for the kernel to read into (an
    /// ``OperationKind`` lends it in its entry). Valid while the buffer is alive and unmoved in
    /// memory: the bytes live on the heap, so moving the buffer value does not move them.
    public var spareRegion: UnsafeMutableRawBufferPointer {
        unsafe UnsafeMutableRawBufferPointer(start: base + count, count: capacity - count)
    }

    /// The valid bytes from index `start` (clamped to them), for the kernel to write out.
    public func validRegion(from start: Int) -> UnsafeMutableRawBufferPointer {
        let start = Swift.min(Swift.max(start, 0), count)
        return unsafe UnsafeMutableRawBufferPointer(start: base + start, count: count - start)
    }

    /// Records that the kernel wrote `n` bytes into the spare capacity: they become valid
    /// (clamped to the capacity).
    public mutating func commitAppended(_ n: Int) {
        count = Swift.min(count + Swift.max(n, 0), capacity)
    }
}

#if DEBUG
/// Sees every ``IOBuffer`` allocated and freed while installed (the simulation's buffer watch).
package protocol IOBufferObserver: AnyObject {
    func bufferAllocated(_ base: UnsafeMutableRawPointer, capacity: Int)
    func bufferFreed(_ base: UnsafeMutableRawPointer, capacity: Int)
}
#endif

extension Optional where Wrapped == IOBuffer {
    /// The buffer's spare capacity, or `nil` without a buffer: what a read lends the kernel.
    public var spareRegion: UnsafeMutableRawBufferPointer? {
        switch self {
        case .some(let buffer): return unsafe buffer.spareRegion
        case .none: return nil
        }
    }

    /// The buffer's valid bytes from `start`, or `nil` without a buffer: what a write lends the kernel.
    public func validRegion(from start: Int) -> UnsafeMutableRawBufferPointer? {
        switch self {
        case .some(let buffer): return unsafe buffer.validRegion(from: start)
        case .none: return nil
        }
    }
}
