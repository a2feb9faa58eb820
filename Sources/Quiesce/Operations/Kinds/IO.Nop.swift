import CQuiesceUring

extension IO {
    /// A no-op through the ring: completes with 0. Measures the ring's own cost.
    public struct Nop: OperationKind {
        /// A no-op.
        @inlinable public init() {}
        /// "nop".
        public static var name: String { "nop" }
        /// IORING_OP_NOP.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_nop(&entry)
        }
        /// Success, or the errno.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> { completion.status(Self.name) }
    }
}
