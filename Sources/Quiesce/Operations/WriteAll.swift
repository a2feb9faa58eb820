#if canImport(Glibc)
import Glibc
#endif
import CQuiesceUring

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
    /// The piece in flight, or the last one: built with the whole buffer when the loop is made
    /// (not submitted until the first poll), and again from the buffer each completion hands back
    /// while bytes remain. A completed piece stays until the next one replaces it: it holds nothing
    /// (its buffer came back with its completion) and dropping it does nothing. Never optional:
    /// asking a large optional for `nil`, or setting it to `nil`, copies the whole value.
    var piece: IOOperation<WriteAllPiece>
    /// Where the loop is.
    var phase = WriteAllPhase.fresh
    /// Bytes written so far.
    public private(set) var written = 0
    /// Pieces (write or send completions) it took so far; more than 1 means short writes happened.
    public private(set) var pieces = 0

    /// Writes all valid bytes of `buffer` to `fd`, at `offset` (`UInt64.max`: the current position;
    /// otherwise each piece goes at `offset` plus the bytes already written).
    public init(_ fd: Int32, _ buffer: consuming IOBuffer, offset: UInt64 = .max) {
        self.init(fd: fd, buffer: buffer, target: .write(offset: offset))
    }

    init(fd: Int32, buffer: consuming IOBuffer, target: Target) {
        self.fd = fd
        self.target = target
        self.piece = IOOperation(WriteAllPiece(fd: fd, target: target, written: 0), buffer: buffer)
    }

    /// Sends all valid bytes of `buffer` on socket `fd` (MSG_NOSIGNAL is added, as by ``IO/send(_:_:from:flags:)``).
    public static func send(_ fd: Int32, _ buffer: consuming IOBuffer, flags: Int32 = 0) -> WriteAll {
        WriteAll(fd: fd, buffer: buffer, target: .send(flags: flags))
    }

    /// `.ready` once every byte is written (`result`: the total) or a piece failed (`result`: its
    /// error; ``written`` tells how far it got). The buffer comes back either way.
    public mutating func poll(_ cx: inout Context) -> Poll<BufferResult> {
        switch phase {
        case .writing: break
        case .fresh:
            phase = .writing
            // An empty buffer is written at once, with no piece submitted.
            if (piece.core.buffer?.count ?? 0) == 0 {
                phase = .finished
                return .ready(BufferResult(result: .success(0), buffer: piece.core.buffer.take() ?? IOBuffer(capacity: 0)))
            }
        case .finished:
            preconditionFailure("WriteAll polled after it completed or after its drop began")
        }
        while true {
            guard case .ready(let done) = piece.poll(&cx) else { return .pending }
            pieces += 1
            switch done.result {
            case .failure(let error):
                phase = .finished
                return .ready(BufferResult(result: .failure(error), buffer: done.buffer))
            case .success(0):
                // The kernel took nothing from a non-empty buffer: retrying would spin.
                phase = .finished
                return .ready(BufferResult(result: .failure(IOError(errno: EIO, operation: "write (0 bytes taken)")),
                                           buffer: done.buffer))
            case .success(let n):
                written += n
                if written >= done.buffer.count {
                    phase = .finished
                    return .ready(BufferResult(result: .success(written), buffer: done.buffer))
                }
                piece = IOOperation(WriteAllPiece(fd: fd, target: target, written: written), buffer: done.buffer)
            }
        }
    }

    /// Cancels the piece in flight, if any, and is ready once the kernel is done with it.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        phase = .finished
        return piece.pollDropReady(&cx)
    }
}

/// Where a ``WriteAll`` is.
enum WriteAllPhase: UInt8 {
    /// Not polled yet: the first piece holds the whole buffer.
    case fresh
    /// A piece is in flight or about to be submitted.
    case writing
    /// Done, failed or dropped: polling again is a mistake.
    case finished
}

/// One piece of a ``WriteAll``: a write at the target's offset plus what is written already, or a
/// send (MSG_NOSIGNAL added), of the valid bytes from `written`. One kind for both, so that the
/// loop holds one operation whichever it does.
struct WriteAllPiece: OperationKind {
    let fd: Int32
    let target: WriteAll.Target
    let written: Int

    static var name: String { "write (WriteAll)" }

    func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
        // SAFETY: the region lies in the buffer the slot holds, unmoved, until the completion.
        let region = unsafe buffer.validRegion(from: written)
        switch target {
        case .write(let offset):
            let at = offset == .max ? offset : offset + UInt64(written)
            unsafe cqu_prep_write(&entry, fd, region?.baseAddress, UInt32(clamping: region?.count ?? 0), at)
        case .send(let flags):
            unsafe cqu_prep_send(&entry, fd, region?.baseAddress, region?.count ?? 0, flags | Int32(MSG_NOSIGNAL))
        }
    }

    var retryReadiness: Readiness? { .writable(fd) }

    func output(_ completion: consuming Completion) -> BufferResult {
        let isWrite: Bool
        if case .write = target { isWrite = true } else { isWrite = false }
        return completion.bufferResult(isWrite ? "write" : "send", appended: false)
    }
}
