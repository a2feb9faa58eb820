import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A scattered read (readv) into several buffers.
public typealias ReadvOp = IOOperation<IO.Readv>

extension IO {
    /// Reads from a descriptor into the spare capacity of several buffers, each filled before the
    /// next (readv). The buffers and their `iovec` array are lent through
    /// ``OperationKind/lentMemory``: they stay alive and unmoved until the completion, also when the
    /// operation is dropped synchronously.
    public struct Readv: OperationKind {
        /// The descriptor.
        public var fd: Int32
        /// Where in the file (`UInt64.max`: the current position).
        public var offset: UInt64
        /// The buffers, with the `iovec` array the entry points to.
        @usableFromInline let buffers: IOBufferListStorage
        /// The errno the list is refused with before anything is read (EINVAL: more than
        /// ``IOBufferList/maxVectoredCount`` buffers; ENOBUFS: no spare capacity, which would read
        /// 0 bytes and look like end of file); 0 when it is not refused.
        @usableFromInline let refusal: Int32

        /// Reads `fd` at `offset` into `buffers`.
        public init(fd: Int32, offset: UInt64, buffers: consuming IOBufferList) {
            self.fd = fd
            self.offset = offset
            self.buffers = buffers.storage
            if self.buffers.count > IOBufferList.maxVectoredCount {
                refusal = EINVAL
            } else {
                refusal = self.buffers.spareCapacity == 0 ? ENOBUFS : 0
            }
        }

        /// "readv".
        public static var name: String { "readv" }

        /// IORING_OP_READV over the buffers' spare capacities; a refused list submits a no-op
        /// instead, so that nothing is read and the refusal is reported with the completion.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            guard refusal == 0 else { return unsafe cqu_prep_nop(&entry) }
            // SAFETY: the vectors and the bytes they name live in `buffers`, which the slot keeps
            // (``lentMemory``), unmoved, until the completion.
            unsafe cqu_prep_readv(&entry, fd, buffers.vectors(spare: true), UInt32(buffers.count), offset)
        }

        /// The buffers and their `iovec` array.
        public var lentMemory: AnyObject? { buffers }
        /// Would-block waits for POLLIN.
        public var retryReadiness: Readiness? { .readable(fd) }

        /// The byte count (0: end of file) and the buffers, the bytes read now valid in order.
        public func output(_ completion: consuming Completion) -> VectoredResult {
            completion.vectoredResult(Self.name, buffers: buffers, refusal: refusal, appended: true)
        }
    }

    /// Reads from `fd` into the spare capacity of each of `buffers` in turn, at `offset`
    /// (`UInt64.max`: the current position). 0 bytes read means end of file. A list of more than
    /// ``IOBufferList/maxVectoredCount`` buffers is refused with EINVAL, one with no spare capacity
    /// with ENOBUFS.
    public static func readv(_ fd: Int32, into buffers: consuming IOBufferList, offset: UInt64 = .max) -> ReadvOp {
        ReadvOp(Readv(fd: fd, offset: offset, buffers: buffers))
    }
}
