import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

extension IO {
    /// Receives on a socket into buffers the kernel picks from a ``ProvidedBufferRing``, one
    /// completion per receive, from one submission (IORING_RECV_MULTISHOT with
    /// IOSQE_BUFFER_SELECT). A connection waiting for data pins no buffer.
    public struct RecvMultishot: MultishotKind {
        /// The socket.
        public var fd: Int32
        /// The ring the kernel picks buffers from; registered with the executor's driver.
        public var ring: ProvidedBufferRing
        /// recv(2) flags.
        public var flags: Int32
        /// Receives on `fd` into buffers of `ring`, until the peer closes or it is cancelled.
        @inlinable public init(fd: Int32, ring: ProvidedBufferRing, flags: Int32) { self.fd = fd; self.ring = ring; self.flags = flags }
        /// "recv (multishot)".
        public static var name: String { "recv (multishot)" }
        /// IORING_OP_RECV with IORING_RECV_MULTISHOT, selecting from the ring's buffer group.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_recv_multishot(&entry, fd, flags)
            entry.flags |= UInt8(1 << IOSQE_BUFFER_SELECT_BIT)
            entry.buf_group = ring.group
        }
        /// The filled buffer (a lease that gives it back), or the errno.
        public func element(result: Int32, flags: UInt32) -> Result<ProvidedBuffer, IOError> {
            guard result >= 0 else { return .failure(IOError(result: result, operation: Self.name)) }
            guard flags & UInt32(IORING_CQE_F_BUFFER) != 0 else {
                return .failure(IOError(errno: EIO, operation: Self.name, remedy: "the kernel named no provided buffer"))
            }
            return .success(ring.lease(UInt16(truncatingIfNeeded: flags >> UInt32(IORING_CQE_BUFFER_SHIFT)), length: Int(result)))
        }
        /// 0: the peer closed.
        @inlinable public func ends(result: Int32) -> Bool { result == 0 }
        /// Waits for a buffer to come back to the ring.
        public func waitForBuffers(_ waker: Waker) -> Bool { ring.waitForBuffer(waker) }
        /// The final completion, as an element.
        public func output(_ completion: consuming Completion) -> Result<ProvidedBuffer, IOError> {
            element(result: completion.result, flags: completion.flags)
        }
        /// A filled buffer nobody takes goes back to its ring.
        public static func resource(result: Int32, flags: UInt32) -> CompletionResource {
            flags & UInt32(IORING_CQE_F_BUFFER) != 0 ? .providedBuffer(id: UInt16(truncatingIfNeeded: flags >> UInt32(IORING_CQE_BUFFER_SHIFT))) : .none
        }
    }
}
