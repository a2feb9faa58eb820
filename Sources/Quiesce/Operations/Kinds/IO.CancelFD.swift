import CQuiesceUring

extension IO {
    /// Cancels every operation in flight on a descriptor (IORING_OP_ASYNC_CANCEL with
    /// IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL).
    public struct CancelFD: OperationKind {
        /// The descriptor whose operations are cancelled.
        public var fd: Int32
        /// Cancels what is in flight on `fd`.
        @inlinable public init(fd: Int32) { self.fd = fd }
        /// "cancel".
        public static var name: String { "cancel" }
        /// IORING_OP_ASYNC_CANCEL by descriptor, every match.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_cancel_fd(&entry, fd, UInt32(IORING_ASYNC_CANCEL_ALL))
        }
        /// How many were cancelled, or the errno.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Int32, IOError> { completion.value(Self.name) }
    }
}
