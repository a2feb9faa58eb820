import CQuiesceUring

extension IO {
    /// Flushes a file to stable storage.
    public struct Fsync: OperationKind {
        /// The file.
        public var fd: Int32
        /// Data only, like fdatasync.
        public var dataOnly: Bool
        /// Flushes `fd` (`dataOnly`: its data).
        @inlinable public init(fd: Int32, dataOnly: Bool) { self.fd = fd; self.dataOnly = dataOnly }
        /// "fsync".
        public static var name: String { "fsync" }
        /// IORING_OP_FSYNC, with IORING_FSYNC_DATASYNC for data only.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_fsync(&entry, fd, dataOnly ? UInt32(IORING_FSYNC_DATASYNC) : 0)
        }
        /// Success, or the errno.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> { completion.status(Self.name) }
    }
}
