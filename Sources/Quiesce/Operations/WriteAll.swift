#if canImport(Glibc)
import Glibc
#endif

/// Writes (or sends) every byte of a buffer, looping on short writes: pipes and sockets may take
/// fewer bytes than offered, and each remainder goes back through the ring from where the last piece
/// stopped. It owns the buffer while it runs and hands it back with the total or the first error.
///
/// Its async drop cancels the piece in flight and waits for the kernel to be done with it; bytes
/// already written stay written.
///
/// ```swift
/// var flush = WriteAll.send(socket, IOBuffer(string: "hello"))
/// // poll it: `.ready(BufferResult)` with `result == .success(5)` once every byte is out
/// ```
public struct WriteAll: Future, ~Copyable {
    enum Target: Equatable {
        case write(offset: UInt64)
        case send(flags: Int32)
    }

    /// The descriptor written to.
    public let fd: Int32
    let target: Target
    var buffer: IOBuffer?
    // The piece in flight: a write, or a send; at most one is set.
    var writePiece: WriteOp?
    var sendPiece: SendOp?
    /// Bytes written so far.
    public private(set) var written = 0
    /// Pieces (write or send completions) it took so far; more than 1 means short writes happened.
    public private(set) var pieces = 0

    /// Writes all valid bytes of `buffer` to `fd`, at `offset` (`UInt64.max`: the current position;
    /// otherwise each piece goes at `offset` plus the bytes already written).
    public init(_ fd: Int32, _ buffer: consuming IOBuffer, offset: UInt64 = .max) {
        self.fd = fd
        self.target = .write(offset: offset)
        self.buffer = consume buffer
    }

    init(fd: Int32, buffer: consuming IOBuffer, target: Target) {
        self.fd = fd
        self.target = target
        self.buffer = consume buffer
    }

    /// Sends all valid bytes of `buffer` on socket `fd` (MSG_NOSIGNAL is added, as by ``IO/send(_:_:from:flags:)``).
    public static func send(_ fd: Int32, _ buffer: consuming IOBuffer, flags: Int32 = 0) -> WriteAll {
        WriteAll(fd: fd, buffer: buffer, target: .send(flags: flags))
    }

    /// `.ready` once every byte is written (`result`: the total) or a piece failed (`result`: its
    /// error; ``written`` tells how far it got). The buffer comes back either way.
    public mutating func poll(_ cx: inout Context) -> Poll<BufferResult> {
        while true {
            if writePiece == nil && sendPiece == nil {
                guard let whole = buffer.take() else {
                    preconditionFailure("WriteAll polled after it completed or after its drop began")
                }
                if written >= whole.count { return .ready(BufferResult(result: .success(written), buffer: whole)) }
                switch target {
                case .write(let offset):
                    let at = offset == .max ? offset : offset + UInt64(written)
                    writePiece = IO.write(fd, whole, from: written, offset: at)
                case .send(let flags):
                    sendPiece = IO.send(fd, whole, from: written, flags: flags)
                }
            }
            let polled = writePiece != nil ? writePiece!.poll(&cx) : sendPiece!.poll(&cx)
            guard case .ready(let done) = polled else { return .pending }
            writePiece = nil
            sendPiece = nil
            pieces += 1
            switch done.result {
            case .failure(let error):
                return .ready(BufferResult(result: .failure(error), buffer: done.buffer))
            case .success(0):
                // The kernel took nothing from a non-empty buffer: retrying would spin.
                return .ready(BufferResult(result: .failure(IOError(errno: EIO, operation: "write (0 bytes taken)")),
                                           buffer: done.buffer))
            case .success(let n):
                written += n
                buffer = consume done.buffer
            }
        }
    }

    /// Cancels the piece in flight, if any, and is ready once the kernel is done with it.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if case .pending = writePiece.pollDropReady(&cx) { return .pending }
        return sendPiece.pollDropReady(&cx)
    }
}
