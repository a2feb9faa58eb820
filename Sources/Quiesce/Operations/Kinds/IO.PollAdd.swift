import CQuiesceUring

extension IO {
    /// Waits until a descriptor is ready for any of some events (single shot).
    public struct PollAdd: OperationKind {
        /// The descriptor.
        public var fd: Int32
        /// The events (POLLIN, POLLOUT, …).
        public var events: UInt32
        /// Waits for `events` on `fd`.
        @inlinable public init(fd: Int32, events: UInt32) { self.fd = fd; self.events = events }
        /// "poll".
        public static var name: String { "poll" }
        /// IORING_OP_POLL_ADD.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_poll_add(&entry, fd, events)
        }
        /// The events that fired, or the errno.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Int32, IOError> { completion.value(Self.name) }
    }
}
