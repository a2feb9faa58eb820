import CQuiesceUring

extension IO {
    /// Writes the valid bytes of a registered buffer, from an index, to a descriptor
    /// (IORING_OP_WRITE_FIXED). Built by ``IO/writeFixed(_:_:from:offset:)``, which keeps the
    /// buffer's lease (a ``FixedBuffer``) with the operation.
    @safe
    public struct WriteFixed: OperationKind {
        // SAFETY: `address` and `length` are the valid bytes of buffer `bufferIndex` from the first
        // one to write, taken from the lease the operation holds: the registration keeps that
        // memory while any operation that uses it is in flight (the driver counts this one from its
        // submission to its completion), and lends the buffer to no one else meanwhile.
        /// The descriptor.
        public var fd: Int32
        /// Where in the file (`UInt64.max`: the current position).
        public var offset: UInt64
        /// The registered buffer's index.
        public let bufferIndex: UInt16
        let address: UnsafeMutableRawPointer
        let length: UInt32

        /// Writes `buffer`'s valid bytes from byte `from` (clamped to them) to `fd` at `offset`.
        init(fd: Int32, offset: UInt64, from: Int, _ buffer: borrowing FixedBuffer) {
            let start = Swift.min(Swift.max(from, 0), buffer.count)
            self.fd = fd
            self.offset = offset
            self.bufferIndex = UInt16(buffer.index)
            unsafe self.address = unsafe buffer.base + start
            self.length = UInt32(clamping: buffer.count - start)
        }
        /// "write_fixed".
        public static var name: String { "write_fixed" }
        /// IORING_OP_WRITE_FIXED from the registered buffer.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_write_fixed(&entry, fd, address, length, offset, Int32(bufferIndex))
        }
        /// Would-block waits for POLLOUT.
        public var retryReadiness: Readiness? { .writable(fd) }
        /// The byte count (may be short).
        public func output(_ completion: consuming Completion) -> Result<Int, IOError> { completion.checked(Self.name) }
    }
}
