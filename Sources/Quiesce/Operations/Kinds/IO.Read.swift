import CQuiesceUring

extension IO {
    /// Reads from a descriptor into the spare capacity of the operation's buffer.
    public struct Read: OperationKind {
        /// The descriptor.
        public var fd: Int32
        /// Where in the file (`UInt64.max`: the current position).
        public var offset: UInt64
        /// Reads `fd` at `offset`.
        @inlinable public init(fd: Int32, offset: UInt64) { self.fd = fd; self.offset = offset }
        /// "read".
        public static var name: String { "read" }
        /// IORING_OP_READ into the buffer's spare capacity.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the region lies in the buffer the slot holds, unmoved, until the completion.
            let region = unsafe buffer.spareRegion
            unsafe cqu_prep_read(&entry, fd, region?.baseAddress, UInt32(clamping: region?.count ?? 0), offset)
        }
        /// The kernel reads into the spare capacity.
        @inlinable public var readsIntoBuffer: Bool { true }
        /// Would-block waits for POLLIN.
        @inlinable public var retryReadiness: Readiness? { .readable(fd) }
        /// The byte count (0: end of file) and the buffer, the bytes read now valid.
        @inlinable
        public func output(_ completion: consuming Completion) -> BufferResult { completion.bufferResult(Self.name, appended: true) }
    }
}
