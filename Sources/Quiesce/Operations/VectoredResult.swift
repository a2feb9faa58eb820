#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a vectored operation (``IO/readv(_:into:offset:)``, ``IO/writev(_:_:offset:)``):
/// the byte count (or the error) and the buffers, handed back in their order.
///
/// Frozen so that code in other modules can move the buffers out (`let buffers = outcome.buffers`).
@frozen
public struct VectoredResult: ~Copyable {
    /// Bytes transferred, across the buffers in order, or why none were.
    public var result: Result<Int, IOError>
    /// The buffers, handed back. After a readv each `count` includes the bytes read into it: every
    /// buffer's spare capacity fills before the next one's.
    public var buffers: IOBufferList

    /// Pairs a result with its buffers.
    public init(result: Result<Int, IOError>, buffers: consuming IOBufferList) {
        self.result = result
        self.buffers = buffers
    }
}

extension IOBufferList {
    /// The most buffers one vectored operation takes (the kernel's `UIO_MAXIOV`); a longer list is
    /// refused with EINVAL before anything moves.
    public static let maxVectoredCount = 1024
}

extension Completion {
    /// The byte count (or error) and the buffers of a vectored operation; `appended` when the
    /// kernel read the count into the buffers' spare capacities (a readv). A list the operation
    /// refused (`refusal`, a positive errno) reports that refusal, whatever the entry completed with.
    consuming func vectoredResult(_ operation: String, buffers: IOBufferListStorage, refusal: Int32,
                                  appended: Bool) -> VectoredResult {
        let list = IOBufferList(storage: buffers)
        if refusal != 0 {
            let remedy = refusal == EINVAL
                ? "a vectored operation takes at most \(IOBufferList.maxVectoredCount) buffers; this list has \(list.count)"
                : nil
            return VectoredResult(result: .failure(IOError(errno: refusal, operation: operation, remedy: remedy)), buffers: list)
        }
        if appended && result > 0 { buffers.commitAppended(Int(result)) }
        return VectoredResult(result: checked(operation), buffers: list)
    }
}
