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
        /// How the write is done (pwritev2's flags).
        public var flags: WriteFlags
        /// Writes to `fd` at `offset`, from byte `from` of the buffer.
        @inlinable public init(fd: Int32, offset: UInt64, from: Int) { self.init(fd: fd, offset: offset, from: from, flags: []) }
        /// Writes to `fd` at `offset`, from byte `from` of the buffer, as `flags` say.
        @inlinable
        public init(fd: Int32, offset: UInt64, from: Int, flags: WriteFlags) {
            self.fd = fd; self.offset = offset; self.from = from; self.flags = flags
        }
        /// "write".
        public static var name: String { "write" }
        /// IORING_OP_WRITE of the valid bytes from `from`, with `flags` as its rw_flags.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the region lies in the buffer the slot holds, unmoved, until the completion.
            let region = unsafe buffer.validRegion(from: from)
            unsafe cqu_prep_write(&entry, fd, region?.baseAddress, UInt32(clamping: region?.count ?? 0), offset)
            entry.rw_flags = flags.rawValue
        }
        /// Would-block waits for POLLOUT.
        @inlinable public var retryReadiness: Readiness? { .writable(fd) }
        /// The byte count (may be short) and the buffer.
        @inlinable
        public func output(_ completion: consuming Completion) -> BufferResult { completion.bufferResult(Self.name, appended: false) }
    }

    /// Flags of a write (pwritev2's `RWF_*`, the entry's rw_flags).
    public struct WriteFlags: OptionSet, Sendable {
        /// The `RWF_*` bits.
        public var rawValue: Int32
        /// Flags from their `RWF_*` bits.
        @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
        /// RWF_DSYNC: the write completes once its bytes, and the metadata needed to read them back
        /// (the file's size), are on stable storage, as a write followed by fdatasync of the range
        /// would. A failure then means either that nothing was written or that the bytes written
        /// could not be made durable: the error alone does not say which.
        public static let dataSync = WriteFlags(rawValue: 0x2)
    }

    /// Writes the valid bytes of `buffer` from index `from` to `fd`, at `offset` (`UInt64.max`: the
    /// current position), as `flags` say (``WriteFlags/dataSync``: durably). May write fewer bytes
    /// than asked.
    @inlinable
    public static func write(_ fd: Int32, _ buffer: consuming IOBuffer, from: Int = 0, offset: UInt64 = .max,
                             flags: WriteFlags) -> WriteOp {
        WriteOp(Write(fd: fd, offset: offset, from: from, flags: flags), buffer: buffer)
    }
}
