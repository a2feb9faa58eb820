import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

extension IO {
    /// Accepts a connection on a listening socket; the kernel writes the peer's address into the slot's
    /// scratch memory.
    public struct Accept: OperationKind {
        /// The listening socket.
        public var fd: Int32
        /// accept4(2) flags (SOCK_CLOEXEC, SOCK_NONBLOCK).
        public var flags: Int32
        /// Accepts on `fd` with `flags`.
        @inlinable public init(fd: Int32, flags: Int32) { self.fd = fd; self.flags = flags }
        /// "accept".
        public static var name: String { "accept" }
        /// IORING_OP_ACCEPT, the peer's address and its length in scratch memory.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the address lives in the slot's scratch memory, unmoved until the completion.
            let address = unsafe scratch.place(OpScratch.Address())
            unsafe cqu_prep_accept(&entry, fd, address.peer, address.length, flags)
        }
        /// Would-block (a non-blocking listener) waits for POLLIN.
        @inlinable public var retryReadiness: Readiness? { .readable(fd) }
        /// The peer's address is read back from scratch memory.
        @inlinable public static var settlesFromScratch: Bool { true }
        /// Hands the peer's address back in a buffer, so completions stay small.
        public static func settle(result: Int32, flags: UInt32, buffer: inout IOBuffer?, scratch: OpScratch) {
            let address = scratch.load(OpScratch.Address.self)
            buffer = SocketAddress(storage: address.storage, length: address.length).bytes
        }
        /// The new descriptor and its peer, or the errno as an ``IOError``.
        public func output(_ completion: consuming Completion) -> Result<Accepted, IOError> {
            var peer = SocketAddress(storage: sockaddr_storage(), length: 0)
            if let buffer = completion.buffer.take() { peer = unsafe buffer.withUnsafeBytes { unsafe SocketAddress(bytes: $0) } }
            return completion.checked(Self.name).map { fd in Accepted(fd: Int32(fd), peer: peer) }
        }
        /// An accepted connection nobody takes is closed.
        @inlinable
        public static func resource(result: Int32, flags: UInt32) -> CompletionResource { .descriptor(result) }
    }
}

/// A connection accepted by ``IO/accept(_:flags:)``.
public struct Accepted: Sendable, Equatable {
    /// The connection's descriptor; the caller owns it.
    public var fd: Int32
    /// The peer's address.
    public var peer: SocketAddress
}
