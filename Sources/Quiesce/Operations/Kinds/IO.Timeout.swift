import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

extension IO {
    /// Completes after a duration on the ring's own timer; its `timespec` lives in scratch memory.
    public struct Timeout: OperationKind {
        /// The duration.
        public var nanoseconds: UInt64
        /// Expires after `nanoseconds`.
        @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
        /// "timeout".
        public static var name: String { "timeout" }
        /// IORING_OP_TIMEOUT.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the timespec lives in the slot's scratch memory, unmoved until the completion.
            let spec = unsafe scratch.place(__kernel_timespec(tv_sec: Int64(nanoseconds / 1_000_000_000),
                                                              tv_nsec: Int64(nanoseconds % 1_000_000_000)))
            unsafe cqu_prep_timeout(&entry, spec, 0, 0)
        }
        /// Expiry (-ETIME) is the success.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> {
            completion.result == -ETIME ? .success(()) : completion.status(Self.name)
        }
    }
}
