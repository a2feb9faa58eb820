import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

extension IO {
    /// Accepts connections on a listening socket, one completion per connection, from one
    /// submission (IORING_ACCEPT_MULTISHOT).
    public struct AcceptMultishot: MultishotKind {
        /// The listening socket.
        public var fd: Int32
        /// accept4(2) flags (SOCK_CLOEXEC, SOCK_NONBLOCK).
        public var flags: Int32
        /// Accepts on `fd` with `flags`, until cancelled.
        @inlinable public init(fd: Int32, flags: Int32) { self.fd = fd; self.flags = flags }
        /// "accept (multishot)".
        public static var name: String { "accept (multishot)" }
        /// IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT; no peer address is asked for.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_multishot_accept(&entry, fd, flags)
        }
        /// The accepted descriptor (the caller owns it), or the errno.
        @inlinable
        public func element(result: Int32, flags: UInt32) -> Result<Int32, IOError> {
            result >= 0 ? .success(result) : .failure(IOError(result: result, operation: Self.name))
        }
        /// The final completion, as an element.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Int32, IOError> {
            element(result: completion.result, flags: completion.flags)
        }
        /// An accepted connection nobody takes is closed.
        @inlinable
        public static func resource(result: Int32, flags: UInt32) -> CompletionResource { .descriptor(result) }
    }
}
