import CQuiesceUring

extension IO {
    /// Sends the valid bytes of the operation's buffer, from an index, on a socket.
    public struct Send: OperationKind {
        /// The socket.
        public var fd: Int32
        /// send(2) flags.
        public var flags: Int32
        /// The first valid byte to send.
        public var from: Int
        /// Sends on `fd` with `flags`, from byte `from` of the buffer.
        @inlinable public init(fd: Int32, flags: Int32, from: Int) { self.fd = fd; self.flags = flags; self.from = from }
        /// "send".
        public static var name: String { "send" }
        /// IORING_OP_SEND of the valid bytes from `from`.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the region lies in the buffer the slot holds, unmoved, until the completion.
            let region = unsafe buffer.validRegion(from: from)
            unsafe cqu_prep_send(&entry, fd, region?.baseAddress, region?.count ?? 0, flags)
        }
        /// Would-block waits for POLLOUT.
        @inlinable public var retryReadiness: Readiness? { .writable(fd) }
        /// The byte count (may be short) and the buffer.
        @inlinable
        public func output(_ completion: consuming Completion) -> BufferResult { completion.bufferResult(Self.name, appended: false) }
    }
}
