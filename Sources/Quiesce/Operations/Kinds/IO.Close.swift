import CQuiesceUring

extension IO {
    /// Closes a descriptor through the ring.
    public struct Close: OperationKind {
        /// The descriptor.
        public var fd: Int32
        /// Closes `fd`.
        @inlinable public init(fd: Int32) { self.fd = fd }
        /// "close".
        public static var name: String { "close" }
        /// IORING_OP_CLOSE.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_close(&entry, fd)
        }
        /// Success, or the errno.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> { completion.status(Self.name) }
    }
}
