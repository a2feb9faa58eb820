import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A gathered write (writev) of several buffers.
public typealias WritevOp = IOOperation<IO.Writev>

extension IO {
    /// Writes the valid bytes of several buffers, in order, to a descriptor (writev). The buffers
    /// and their `iovec` array are lent through ``OperationKind/lentMemory``: they stay alive and
    /// unmoved until the completion, also when the operation is dropped synchronously.
    public struct Writev: OperationKind {
        /// The descriptor.
        public var fd: Int32
        /// Where in the file (`UInt64.max`: the current position).
        public var offset: UInt64
        /// The buffers, with the `iovec` array the entry points to.
        @usableFromInline let buffers: IOBufferListStorage
        /// EINVAL when the list has more than ``IOBufferList/maxVectoredCount`` buffers (nothing
        /// is written), 0 otherwise.
        @usableFromInline let refusal: Int32

        /// Writes `buffers` to `fd` at `offset`.
        public init(fd: Int32, offset: UInt64, buffers: consuming IOBufferList) {
            self.fd = fd
            self.offset = offset
            self.buffers = buffers.storage
            refusal = self.buffers.count > IOBufferList.maxVectoredCount ? EINVAL : 0
        }

        /// "writev".
        public static var name: String { "writev" }

        /// IORING_OP_WRITEV of the buffers' valid bytes; a refused list submits a no-op instead, so
        /// that nothing is written and the refusal is reported with the completion.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            guard refusal == 0 else { return unsafe cqu_prep_nop(&entry) }
            // SAFETY: the vectors and the bytes they name live in `buffers`, which the slot keeps
            // (``lentMemory``), unmoved, until the completion.
            unsafe cqu_prep_writev(&entry, fd, buffers.vectors(spare: false), UInt32(buffers.count), offset)
        }

        /// The buffers and their `iovec` array.
        public var lentMemory: AnyObject? { buffers }
        /// Would-block waits for POLLOUT.
        public var retryReadiness: Readiness? { .writable(fd) }

        /// The byte count (may be short: the first bytes, across the buffers in order) and the
        /// buffers, unchanged.
        public func output(_ completion: consuming Completion) -> VectoredResult {
            completion.vectoredResult(Self.name, buffers: buffers, refusal: refusal, appended: false)
        }
    }

    /// Writes the valid bytes of each of `buffers` in turn to `fd`, at `offset` (`UInt64.max`: the
    /// current position). May write fewer bytes than asked (the first ones, in order). A list of
    /// more than ``IOBufferList/maxVectoredCount`` buffers is refused with EINVAL.
    public static func writev(_ fd: Int32, _ buffers: consuming IOBufferList, offset: UInt64 = .max) -> WritevOp {
        WritevOp(Writev(fd: fd, offset: offset, buffers: buffers))
    }
}
