import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

extension IO {
    /// Connects a socket to the address held in the operation's buffer (its `sockaddr` bytes).
    public struct Connect: OperationKind {
        /// The socket.
        public var fd: Int32
        /// Connects `fd`.
        @inlinable public init(fd: Int32) { self.fd = fd }
        /// "connect".
        public static var name: String { "connect" }
        /// IORING_OP_CONNECT to the buffer's address.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the address lies in the buffer the slot holds, unmoved, until the completion.
            let region = unsafe buffer.validRegion(from: 0)
            unsafe cqu_prep_connect(&entry, fd, region?.baseAddress?.assumingMemoryBound(to: sockaddr.self),
                                    socklen_t(region?.count ?? 0))
        }
        /// Would-block waits for POLLOUT.
        @inlinable public var retryReadiness: Readiness? { .writable(fd) }
        /// Success, or the errno.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> { completion.status(Self.name) }
    }
}
