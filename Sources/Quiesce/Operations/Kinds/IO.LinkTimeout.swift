import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

extension IO {
    /// A deadline linked to the operation submitted right before it (IORING_OP_LINK_TIMEOUT): when it
    /// fires first, the kernel cancels that operation (which completes with -ECANCELED) and this one
    /// completes with -ETIME; when the operation completes first, this one completes with
    /// -ECANCELED. Submitted only as part of a ``Deadline``; its `timespec` lives in scratch memory.
    public struct LinkTimeout: OperationKind {
        /// The deadline, from the operation's start.
        public var nanoseconds: UInt64
        /// A deadline `nanoseconds` after the operation starts.
        @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
        /// "link timeout".
        public static var name: String { "link timeout" }
        /// IORING_OP_LINK_TIMEOUT.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the timespec lives in the slot's scratch memory, unmoved until the completion.
            let spec = unsafe scratch.place(__kernel_timespec(tv_sec: Int64(nanoseconds / 1_000_000_000),
                                                              tv_nsec: Int64(nanoseconds % 1_000_000_000)))
            unsafe cqu_prep_link_timeout(&entry, spec, 0)
        }
        /// `true` when the deadline fired (-ETIME).
        @inlinable
        public func output(_ completion: consuming Completion) -> Bool { completion.result == -ETIME }
    }
}
