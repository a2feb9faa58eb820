import CQuiesceUring

extension IO {
    /// Writes the valid bytes of the operation's buffer, from an index, to a descriptor.
    public struct Write: OperationKind {
        /// The descriptor.
        public var fd: Int32
        /// Where in the file (`UInt64.max`: the current position).
        public var offset: UInt64
        /// The first valid byte to write.
        public var from: Int
        /// Writes to `fd` at `offset`, from byte `from` of the buffer.
        @inlinable public init(fd: Int32, offset: UInt64, from: Int) { self.fd = fd; self.offset = offset; self.from = from }
        /// "write".
        public static var name: String { "write" }
        /// IORING_OP_WRITE of the valid bytes from `from`.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the region lies in the buffer the slot holds, unmoved, until the completion.
            let region = unsafe buffer.validRegion(from: from)
            unsafe cqu_prep_write(&entry, fd, region?.baseAddress, UInt32(clamping: region?.count ?? 0), offset)
        }
        /// Would-block waits for POLLOUT.
        @inlinable public var retryReadiness: Readiness? { .writable(fd) }
        /// The byte count (may be short) and the buffer.
        @inlinable
        public func output(_ completion: consuming Completion) -> BufferResult { completion.bufferResult(Self.name, appended: false) }
    }
}
