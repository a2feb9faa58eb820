import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A send of one message (sendmsg), to an address or on a connected socket.
public typealias SendMsgOp = IOOperation<IO.SendMsg>

extension IO {
    /// Sends the valid bytes of the operation's buffer, from an index, as one message to an address
    /// (a datagram), or on a connected socket without one (sendmsg). The header, its `iovec` and a
    /// copy of the address live in the slot's scratch memory.
    public struct SendMsg: OperationKind {
        /// The socket.
        public var fd: Int32
        /// sendmsg(2) flags.
        public var flags: Int32
        /// The first valid byte to send.
        public var from: Int
        /// Where to send; `nil`: the connected peer.
        public var destination: SocketAddress?

        /// Sends on `fd` with `flags` to `destination`, from byte `from` of the buffer.
        @inlinable
        public init(fd: Int32, flags: Int32, from: Int, destination: SocketAddress?) {
            self.fd = fd
            self.flags = flags
            self.from = from
            self.destination = destination
        }

        /// "sendmsg".
        public static var name: String { "sendmsg" }

        /// IORING_OP_SENDMSG of the valid bytes from `from`.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the header, vector and address live in the slot's scratch memory, and the
            // region in the buffer the slot holds, unmoved until the completion.
            let layout = unsafe MessageMemory.layout(in: scratch)
            let header = unsafe MessageMemory.fill(layout, region: buffer.validRegion(from: from),
                                                   address: destination.map { .destination($0) } ?? .none)
            unsafe cqu_prep_sendmsg(&entry, fd, header, UInt32(bitPattern: flags))
        }

        /// Would-block waits for POLLOUT.
        public var retryReadiness: Readiness? { .writable(fd) }

        /// The byte count and the buffer.
        public func output(_ completion: consuming Completion) -> BufferResult {
            completion.bufferResult(Self.name, appended: false)
        }
    }

    /// Sends the valid bytes of `buffer` from index `from` on socket `fd` as one message, to
    /// `address` (a datagram's destination) or, with `nil`, to the connected peer. MSG_NOSIGNAL is
    /// always added: a closed peer is an EPIPE error, never a signal.
    public static func sendmsg(_ fd: Int32, _ buffer: consuming IOBuffer, to address: SocketAddress? = nil,
                               from: Int = 0, flags: Int32 = 0) -> SendMsgOp {
        SendMsgOp(SendMsg(fd: fd, flags: flags | Int32(MSG_NOSIGNAL), from: from, destination: address), buffer: buffer)
    }
}
