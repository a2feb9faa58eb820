import CQuiesceUring

extension IO {
    /// Receives from a socket into the spare capacity of the operation's buffer.
    public struct Recv: OperationKind {
        /// The socket.
        public var fd: Int32
        /// recv(2) flags.
        public var flags: Int32
        /// Receives on `fd` with `flags`.
        @inlinable public init(fd: Int32, flags: Int32) { self.fd = fd; self.flags = flags }
        /// "recv".
        public static var name: String { "recv" }
        /// IORING_OP_RECV into the buffer's spare capacity.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the region lies in the buffer the slot holds, unmoved, until the completion.
            let region = unsafe buffer.spareRegion
            unsafe cqu_prep_recv(&entry, fd, region?.baseAddress, region?.count ?? 0, flags)
        }
        /// The kernel reads into the spare capacity.
        @inlinable public var readsIntoBuffer: Bool { true }
        /// Would-block waits for POLLIN.
        @inlinable public var retryReadiness: Readiness? { .readable(fd) }
        /// The byte count (0: the peer closed) and the buffer, the bytes received now valid.
        @inlinable
        public func output(_ completion: consuming Completion) -> BufferResult { completion.bufferResult(Self.name, appended: true) }
    }
}
