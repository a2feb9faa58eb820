import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// One submission queue entry, in the kernel's own layout (liburing's `struct io_uring_sqe`).
///
/// An ``OperationKind`` fills it with liburing's prep helpers (through the `CQuiesceUring` shim);
/// the driver adds the `user_data` that names the operation's slot; a backend queues it: the real
/// ring takes it as it is, and the simulated kernel reads its opcode and fields as the kernel would.
public typealias SubmissionEntry = io_uring_sqe

/// Memory an operation keeps at a stable address while in flight, beside its buffer: a timeout's
/// `timespec`, an accept's peer address and its length, a message header. Each slot of the driver
/// has ``size`` bytes of it; an ``OperationKind`` places what it needs there when it prepares its
/// entry, and reads it back (in ``OperationKind/settle(result:flags:buffer:scratch:)``) when its
/// completion arrives.
@safe
public struct OpScratch {
    // SAFETY: `base` is a slot's scratch memory: `size` bytes at `alignment`, at an address that
    // does not change while the slot's operation is in flight; only trivial types are placed there.
    @usableFromInline let base: UnsafeMutableRawPointer

    /// The bytes each slot reserves.
    public static let size = 256
    /// The alignment of a slot's scratch memory.
    public static let alignment = 16

    @usableFromInline init(_ base: UnsafeMutableRawPointer) { unsafe self.base = base }

    /// Places `value` at the start of the scratch memory and returns its stable address, to hand to
    /// the kernel.
    @inlinable
    public func place<T: BitwiseCopyable>(_ value: T) -> UnsafeMutablePointer<T> {
        precondition(MemoryLayout<T>.size <= OpScratch.size && MemoryLayout<T>.alignment <= OpScratch.alignment,
                     "\(T.self) does not fit in an operation's scratch memory")
        return unsafe base.initializeMemory(as: T.self, repeating: value, count: 1)
    }

    /// The `T` placed earlier with ``place(_:)``, as the kernel left it.
    @inlinable
    public func load<T: BitwiseCopyable>(_ type: T.Type) -> T { unsafe base.load(as: T.self) }

    /// The peer address an accept (or a received message) asks the kernel to fill, with its length.
    public struct Address: BitwiseCopyable {
        /// The address.
        public var storage = sockaddr_storage()
        /// Its length: the room on submission, the address's length on completion.
        public var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        /// Room for any address.
        public init() {}
    }
}

extension UnsafeMutablePointer where Pointee == OpScratch.Address {
    /// The address, as the `sockaddr` the kernel fills.
    @inlinable
    public var peer: UnsafeMutablePointer<sockaddr> {
        unsafe UnsafeMutableRawPointer(self).assumingMemoryBound(to: sockaddr.self)
    }

    /// The address's length, which the kernel reads and updates.
    @inlinable
    public var length: UnsafeMutablePointer<socklen_t> {
        unsafe (UnsafeMutableRawPointer(self) + MemoryLayout<OpScratch.Address>.offset(of: \.length)!)
            .assumingMemoryBound(to: socklen_t.self)
    }
}
