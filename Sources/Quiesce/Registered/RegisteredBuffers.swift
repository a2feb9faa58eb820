#if canImport(Glibc)
import Glibc
#endif

/// A set of buffers registered with an executor's ring (`io_uring_register_buffers`): the kernel
/// pins their pages once, and ``IO/readFixed(_:into:offset:)`` and ``IO/writeFixed(_:_:from:offset:)``
/// name a buffer by its index instead of mapping it for each operation.
///
/// The set owns the memory. ``take(_:)`` lends one buffer out as a ``FixedBuffer``, which moves into
/// an operation and comes back with its result; released, it returns to the set. A buffer whose
/// operation was dropped while in flight is taken again only after that operation's completion.
///
/// The set is a resource with an owner: it is unregistered only when no operation in flight uses
/// it. Its async drop waits for the operations that use it, then unregisters; its synchronous drop
/// (`deinit`) leaves the set to the driver, which unregisters it when the last of them completes.
/// The memory lives until the set is unregistered and every lease is released. A ring has one set at
/// a time.
///
/// ```swift
/// let buffers = try RegisteredBuffers(count: 4, size: 4096, on: executor)
/// var read = IO.readFixed(fd, into: try buffers.take(0))
/// // `.ready` hands back FixedBufferResult(result, buffer)
/// ```
public struct RegisteredBuffers: AsyncDroppable, ~Copyable {
    /// The driver of the ring the set is registered with (kept alive while the set is owned).
    let driver: Driver
    let registration: Registration

    /// The most buffers a ring takes.
    public static let maximumCount = 16384

    /// Registers `count` buffers of `size` bytes each with `executor`'s ring.
    ///
    /// Throws an ``IOError``: EINVAL for a count outside 1…16384 or a size outside 1 byte…1 GiB,
    /// EBUSY when the ring has a set already (one released but still used by operations in flight
    /// included), ENOMEM beyond the locked-memory limit (`ulimit -l`), EOPNOTSUPP on a backend
    /// without registered buffers.
    public init(count: Int, size: Int, on executor: Executor) throws(IOError) {
        try self.init(count: count, size: size, driver: executor.driver)
    }

    /// Registers `count` buffers of `size` bytes each with `driver`'s ring (see
    /// ``init(count:size:on:)``).
    public init(count: Int, size: Int, driver: Driver) throws(IOError) {
        guard count >= 1 && count <= RegisteredBuffers.maximumCount && size >= 1 && size <= 1 << 30 else {
            throw IOError(errno: EINVAL, operation: "register buffers",
                          remedy: "\(count) buffers of \(size) bytes: a ring takes 1…\(RegisteredBuffers.maximumCount) buffers of 1 byte…1 GiB each")
        }
        if let current = driver.core.registered.buffers {
            throw IOError(errno: EBUSY, operation: "register buffers",
                          remedy: "the ring has registered buffers already (one set per ring)"
                              + (current.phase == .released ? "; the set released is unregistered when the \(current.users) operation(s) in flight that use it complete" : ""))
        }
        let registration = unsafe try Registration(buffers: count, size: size, backend: driver.backend,
                                                   ring: UInt(bitPattern: driver.core.state))
        unsafe try driver.backend.registerBuffers(registration.region, count: count)
        self.driver = driver
        self.registration = registration
        driver.core.registered.buffers = registration
    }

    deinit { registration.releaseSynchronously(driver.core) }

    /// Buffers in the set.
    public var count: Int { registration.count }

    /// Bytes in each buffer.
    public var size: Int { registration.size }

    /// Operations the driver holds (in flight, or waiting for room) that use the set.
    public var operationsInFlight: Int { registration.users }

    /// Lends buffer `index` out, empty (its bytes are as the last lease left them, `count` 0).
    ///
    /// Throws an ``IOError``: EINVAL (naming the set's size) when `index` is outside the set, EBUSY
    /// while the buffer is lent out or an operation in flight still uses it.
    public func take(_ index: Int) throws(IOError) -> FixedBuffer {
        try registration.lend(index)
        return FixedBuffer(registration: registration, index: index)
    }

    /// Lends out the first buffer that is free, if any.
    public func takeAny() -> FixedBuffer? {
        guard let index = registration.lendAny() else { return nil }
        return FixedBuffer(registration: registration, index: index)
    }

    /// Releases the set: `.ready` once it is unregistered, when no operation in flight uses it any
    /// more. A failure to unregister goes to the executor's diagnostics.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        registration.pollRelease(driver.core, &cx)
    }
}

/// One buffer of a ``RegisteredBuffers`` set, lent out: noncopyable, so while an operation holds it
/// no caller can touch the memory the kernel reads or writes. `count` bytes at the front are valid;
/// ``IO/readFixed(_:into:offset:)`` appends into the spare capacity behind them.
///
/// Released, it goes back to its set. It keeps the set's memory alive, also past the set's release
/// (its bytes stay readable), but an operation built from it then fails with EBADF.
@safe
public struct FixedBuffer: ~Copyable {
    // SAFETY: buffer `index` of `registration` is `capacity` bytes of the registration's memory,
    // which lives as long as the registration (this lease keeps it), and lent to this lease alone
    // (``Registration/lend(_:)``); `count` stays within `0...capacity`.
    let registration: Registration
    /// The buffer's index in its set: the `buf_index` operations name.
    public let index: Int
    /// How many bytes at the front are valid.
    public internal(set) var count = 0

    init(registration: Registration, index: Int) {
        self.registration = registration
        self.index = index
    }

    deinit { registration.giveBack(index) }

    /// The first byte of the buffer.
    var base: UnsafeMutableRawPointer { unsafe registration.address(of: index) }

    /// How many bytes the buffer can hold (the set's size).
    public var capacity: Int { registration.size }

    /// Room left behind the valid bytes.
    public var spareCapacity: Int { capacity - count }

    /// `true` when no byte is valid.
    public var isEmpty: Bool { count == 0 }

    /// Forgets the valid bytes.
    public mutating func clear() { count = 0 }

    /// Appends as many of `bytes` as fit; returns how many were appended.
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

    /// Records that the kernel wrote `n` bytes into the spare capacity: they become valid
    /// (clamped to the capacity).
    mutating func commitAppended(_ n: Int) {
        count = Swift.min(count + Swift.max(n, 0), capacity)
    }
}
