#if canImport(Glibc)
import Glibc
#endif

/// One kind of io_uring operation: how it fills its submission entry, the memory it lends the
/// kernel, how its completion becomes its output, and which results are resources to release when
/// nobody takes them.
///
/// The set of operations is open: adding one is a type conforming to this protocol (and, for the
/// simulated kernel, its semantics there). ``IOOperation`` runs every kind through the same
/// lifecycle: submitted on first poll, ready when its completion arrives, cancelled by an awaited
/// async drop, orphaned by a synchronous one.
///
/// ```swift
/// struct Fadvise: OperationKind {
///     var fd: Int32, offset: UInt64, length: UInt32, advice: Int32
///     static var name: String { "fadvise" }
///     func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
///         io_uring_prep_fadvise(&entry, fd, offset, off_t(length), advice)
///     }
///     func output(_ completion: consuming Completion) -> Result<Void, IOError> {
///         completion.checked(Self.name).map { _ in () }
///     }
/// }
/// ```
public protocol OperationKind {
    /// What the operation produces.
    associatedtype Output: ~Copyable

    /// A short name for messages: "read", "accept", …
    static var name: String { get }

    /// Fills `entry` for the kernel. `buffer` is the operation's buffer, which the driver's slot
    /// holds, unmoved, until the completion arrives: pointers into its bytes may go into the entry
    /// (that is the memory the operation lends the kernel). `scratch` is the slot's own stable
    /// memory, for anything else the kernel reads or writes (a `timespec`, an address).
    func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch)

    /// Memory the operation lends the kernel beyond its buffer and the slot's scratch memory (a
    /// vectored operation's buffers and their `iovec` array, a received message's header): the
    /// driver's slot keeps this owner alive until the completion arrives, even when the operation is
    /// dropped synchronously. `nil` for most kinds.
    var lentMemory: AnyObject? { get }

    /// `true` when the kernel reads into the buffer's spare capacity: a buffer with none is refused
    /// with ENOBUFS before submission (a 0-byte read would look like end of file).
    var readsIntoBuffer: Bool { get }

    /// The readiness to wait for (through a poll in the ring) before retrying when a non-blocking
    /// descriptor answered -EAGAIN; `nil` reports -EAGAIN to the caller.
    var retryReadiness: Readiness? { get }

    /// `true` when ``settle(result:flags:buffer:scratch:)`` must run: the kind reads its scratch
    /// memory back when the completion arrives. Read once per submission.
    static var settlesFromScratch: Bool { get }

    /// Applies a successful completion to the memory handed back, while the slot's scratch memory is
    /// still the operation's (an accept copies the peer's address into a buffer). Runs only when
    /// ``settlesFromScratch`` is `true`.
    static func settle(result: Int32, flags: UInt32, buffer: inout IOBuffer?, scratch: OpScratch)

    /// Maps the completion to the output.
    func output(_ completion: consuming Completion) -> Output

    /// The resource a completion holds that must be released when nobody takes it (the operation
    /// was cancelled or dropped and completed anyway): a descriptor an accept or open created, a
    /// provided buffer the kernel picked.
    static func resource(result: Int32, flags: UInt32) -> CompletionResource
}

extension OperationKind {
    /// Most operations lend nothing beyond their buffer and scratch memory.
    @inlinable public var lentMemory: AnyObject? { nil }
    /// Most operations lend no spare capacity.
    @inlinable public var readsIntoBuffer: Bool { false }
    /// Most operations report -EAGAIN as it is.
    @inlinable public var retryReadiness: Readiness? { nil }
    /// Most operations read nothing back from scratch memory.
    @inlinable public static var settlesFromScratch: Bool { false }
    /// Nothing to apply.
    @inlinable public static func settle(result: Int32, flags: UInt32, buffer: inout IOBuffer?, scratch: OpScratch) {}
    /// Most results are counts or statuses: nothing to release.
    @inlinable public static func resource(result: Int32, flags: UInt32) -> CompletionResource { .none }
}

/// A descriptor and the events to wait for on it (see ``OperationKind/retryReadiness``).
public struct Readiness: Sendable, Equatable {
    /// The descriptor.
    public var fd: Int32
    /// The poll events (POLLIN, POLLOUT, …).
    public var events: UInt32

    /// Waits for `events` on `fd`.
    @inlinable
    public init(fd: Int32, events: UInt32) {
        self.fd = fd
        self.events = events
    }

    /// Readable (POLLIN) on `fd`.
    @inlinable public static func readable(_ fd: Int32) -> Readiness { Readiness(fd: fd, events: UInt32(POLLIN)) }
    /// Writable (POLLOUT) on `fd`.
    @inlinable public static func writable(_ fd: Int32) -> Readiness { Readiness(fd: fd, events: UInt32(POLLOUT)) }
}

/// What a completion holds that someone must release (see ``OperationKind/resource(result:flags:)``).
public enum CompletionResource: Sendable, Equatable {
    /// Nothing.
    case none
    /// A descriptor the kernel created: closed.
    case descriptor(Int32)
    /// A buffer the kernel picked from a provided-buffer ring (the ring the entry named in its
    /// `buf_group`): given back to that ring.
    case providedBuffer(id: UInt16)
}
