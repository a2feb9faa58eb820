import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

extension IO {
    /// Sends the valid bytes of the operation's buffer, from an index, without copying them
    /// (IORING_OP_SEND_ZC): the kernel reads the buffer in place until its notification completion.
    ///
    /// It completes twice: first with the byte count (IORING_CQE_F_MORE: a notification follows),
    /// then with the notification (IORING_CQE_F_NOTIF), once the kernel no longer reads the buffer.
    /// A send that fails at once completes only once. ``ZeroCopySend`` is done only at the last
    /// completion.
    public struct SendZC: OperationKind {
        /// The socket.
        public var fd: Int32
        /// send(2) flags.
        public var flags: Int32
        /// The first valid byte to send.
        public var from: Int
        /// Sends on `fd` with `flags`, from byte `from` of the buffer.
        @inlinable public init(fd: Int32, flags: Int32, from: Int) { self.fd = fd; self.flags = flags; self.from = from }
        /// "send (zero copy)".
        public static var name: String { "send (zero copy)" }
        /// IORING_OP_SEND_ZC of the valid bytes from `from`.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the region lies in the buffer the slot holds, unmoved, until the last completion.
            let region = unsafe buffer.validRegion(from: from)
            unsafe cqu_prep_send_zc(&entry, fd, region?.baseAddress, region?.count ?? 0, flags, 0)
        }
        /// The byte count and the buffer (used for a send that completed only once).
        @inlinable
        public func output(_ completion: consuming Completion) -> BufferResult { completion.bufferResult(Self.name, appended: false) }
    }
}

/// A zero-copy send as a future: ready only once the kernel's notification says it no longer reads
/// the buffer, with the byte count and the buffer back.
///
/// The buffer stays with the operation (in the driver's slot) until that notification, through a
/// cancel and through a synchronous drop alike: the driver frees it only after the last completion.
///
/// ```swift
/// var send = IO.sendZeroCopy(socket, IOBuffer(bytes: payload))
/// // poll it: `.ready(BufferResult)` after the notification
/// ```
public struct ZeroCopySend: Future, ~Copyable {
    /// What the operation asks of the kernel.
    public let kind: IO.SendZC
    /// The shared lifecycle: submission, completions, cancellation, orphaning.
    public var core: OperationCore
    /// The first completion's result (the byte count), once it arrived.
    @usableFromInline var sent: Int32?

    /// A zero-copy send of `buffer`.
    @inlinable
    public init(_ kind: IO.SendZC, buffer: consuming IOBuffer) {
        self.kind = kind
        self.core = OperationCore(kind, buffer: buffer)
    }

    /// Submits on first poll; ready after the notification completion.
    public mutating func poll(_ cx: inout Context) -> Poll<BufferResult> {
        let kind = self.kind
        while true {
            switch core.pollStream(&cx, prepare: { entry, buffer, scratch in kind.prepare(&entry, buffer: buffer, scratch: scratch) }) {
            case .pending:
                return .pending
            case .more(let result, let flags):
                if flags & UInt32(IORING_CQE_F_NOTIF) == 0 { sent = result }
            case .final(var completion):
                core.finish()
                guard completion.flags & UInt32(IORING_CQE_F_NOTIF) != 0, let sent else {
                    return .ready(kind.output(completion))  // failed at once: no notification follows
                }
                let buffer = completion.buffer.take() ?? IOBuffer(capacity: 0)
                let result: Result<Int, IOError> = sent >= 0 ? .success(Int(sent)) : .failure(IOError(result: sent, operation: IO.SendZC.name))
                return .ready(BufferResult(result: result, buffer: buffer))
            }
        }
    }

    /// Cancels the send if in flight and waits for its last completion (the notification).
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { core.pollDropReady(&cx) }

    /// `true` while the kernel holds the operation.
    public var isInFlight: Bool { core.isInFlight }
}

extension IO {
    /// Sends the valid bytes of `buffer` from index `from` on socket `fd` without copying them; ready
    /// once the kernel no longer reads the buffer. MSG_NOSIGNAL is always added.
    @inlinable
    public static func sendZeroCopy(_ fd: Int32, _ buffer: consuming IOBuffer, from: Int = 0, flags: Int32 = 0) -> ZeroCopySend {
        ZeroCopySend(SendZC(fd: fd, flags: flags | Int32(MSG_NOSIGNAL), from: from), buffer: buffer)
    }
}
