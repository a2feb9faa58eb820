import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A receive of one message (recvmsg) with its sender's address.
public typealias RecvMsgOp = IOOperation<IO.RecvMsg>

extension IO {
    /// Receives one message (a datagram, or stream bytes) into the spare capacity of the operation's
    /// buffer, with the sender's address (recvmsg).
    ///
    /// The message header, its `iovec` and the room for the address live in a ``MessageMemory``
    /// the operation lends through ``OperationKind/lentMemory``: the kernel writes the address and
    /// the message's flags there, and the output reads them back, after the slot is gone.
    public struct RecvMsg: OperationKind {
        /// The socket.
        public var fd: Int32
        /// recvmsg(2) flags.
        public var flags: Int32
        /// The header, the vector and the address the kernel fills.
        @usableFromInline let memory: MessageMemory

        /// Receives on `fd` with `flags`, into message memory of its own.
        public init(fd: Int32, flags: Int32) {
            self.init(fd: fd, flags: flags, memory: MessageMemory())
        }

        /// Receives on `fd` with `flags` through `memory`, which no other operation or slot holds
        /// (a ``MessageMemory/Pool`` lends such memory).
        init(fd: Int32, flags: Int32, memory: MessageMemory) {
            self.fd = fd
            self.flags = flags
            self.memory = memory
        }

        /// "recvmsg".
        public static var name: String { "recvmsg" }

        /// IORING_OP_RECVMSG into the buffer's spare capacity, the address into the message memory.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the header, vector and address live in `memory`, which the slot keeps
            // (``lentMemory``); the region lies in the buffer the slot holds; both stay unmoved
            // until the completion.
            let header = unsafe memory.prepareReceive(into: buffer.spareRegion)
            unsafe cqu_prep_recvmsg(&entry, fd, header, UInt32(bitPattern: flags))
        }

        /// The message memory.
        public var lentMemory: AnyObject? { memory }
        /// The kernel reads into the spare capacity.
        public var readsIntoBuffer: Bool { true }
        /// Would-block waits for POLLIN.
        public var retryReadiness: Readiness? { .readable(fd) }

        /// The byte count, the sender's address (when the socket has one: a datagram's sender),
        /// whether the message was cut to fit, and the buffer, the bytes received now valid.
        public func output(_ completion: consuming Completion) -> ReceivedMessage {
            var buffer = completion.buffer.take() ?? IOBuffer(capacity: 0)
            let result = completion.checked(Self.name)
            guard case .success(let n) = result else {
                return ReceivedMessage(result: result, peer: nil, truncated: false, buffer: buffer)
            }
            buffer.commitAppended(n)
            return ReceivedMessage(result: result, peer: memory.receivedAddress, truncated: memory.wasTruncated, buffer: buffer)
        }
    }

    /// Receives one message on socket `fd` into the spare capacity of `buffer`, with its sender's
    /// address: for a UDP socket, one datagram (cut to fit the spare capacity, which the output
    /// says). A buffer with no spare capacity is refused with ENOBUFS.
    public static func recvmsg(_ fd: Int32, into buffer: consuming IOBuffer, flags: Int32 = 0) -> RecvMsgOp {
        RecvMsgOp(RecvMsg(fd: fd, flags: flags), buffer: buffer)
    }

    /// ``recvmsg(_:into:flags:)`` through message memory lent by `pool` (a socket's), so that
    /// receives in steady state allocate nothing.
    static func recvmsg(_ fd: Int32, into buffer: consuming IOBuffer, flags: Int32 = 0, pool: MessageMemory.Pool) -> RecvMsgOp {
        RecvMsgOp(RecvMsg(fd: fd, flags: flags, memory: pool.lend()), buffer: buffer)
    }
}

/// A message received by ``IO/recvmsg(_:into:flags:)``: the byte count (or the error), the sender,
/// and the buffer.
///
/// Frozen so that code in other modules can move the buffer out.
@frozen
public struct ReceivedMessage: ~Copyable {
    /// Bytes received, or why none were.
    public var result: Result<Int, IOError>
    /// The sender's address; `nil` when the socket reports none (a connected stream socket) or the
    /// receive failed.
    public var peer: SocketAddress?
    /// `true` when the message was longer than the spare capacity and its end was discarded
    /// (MSG_TRUNC).
    public var truncated: Bool
    /// The buffer, handed back; its `count` includes the bytes received.
    public var buffer: IOBuffer

    /// Pairs a result with its sender and its buffer.
    public init(result: Result<Int, IOError>, peer: SocketAddress?, truncated: Bool, buffer: consuming IOBuffer) {
        self.result = result
        self.peer = peer
        self.truncated = truncated
        self.buffer = buffer
    }
}
