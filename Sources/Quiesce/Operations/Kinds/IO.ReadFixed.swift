import CQuiesceUring

extension IO {
    /// Reads from a descriptor into the spare capacity of a registered buffer
    /// (IORING_OP_READ_FIXED). Built by ``IO/readFixed(_:into:offset:)``, which keeps the buffer's
    /// lease (a ``FixedBuffer``) with the operation.
    @safe
    public struct ReadFixed: OperationKind {
        // SAFETY: `address` and `length` are the spare capacity of buffer `bufferIndex`, taken from
        // the lease the operation holds: the registration keeps that memory while any operation
        // that uses it is in flight (the driver counts this one from its submission to its
        // completion), and lends the buffer to no one else meanwhile.
        /// The descriptor.
        public var fd: Int32
        /// Where in the file (`UInt64.max`: the current position).
        public var offset: UInt64
        /// The registered buffer's index.
        public let bufferIndex: UInt16
        let address: UnsafeMutableRawPointer
        let length: UInt32

        /// Reads `fd` at `offset` into `buffer`'s spare capacity.
        init(fd: Int32, offset: UInt64, into buffer: borrowing FixedBuffer) {
            self.fd = fd
            self.offset = offset
            self.bufferIndex = UInt16(buffer.index)
            unsafe self.address = unsafe buffer.base + buffer.count
            self.length = UInt32(clamping: buffer.spareCapacity)
        }
        /// "read_fixed".
        public static var name: String { "read_fixed" }
        /// IORING_OP_READ_FIXED into the registered buffer.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_read_fixed(&entry, fd, address, length, offset, Int32(bufferIndex))
        }
        /// Would-block waits for POLLIN.
        public var retryReadiness: Readiness? { .readable(fd) }
        /// The byte count (0: end of file).
        public func output(_ completion: consuming Completion) -> Result<Int, IOError> { completion.checked(Self.name) }
    }
}
