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
    @usableFromInline
    enum Target: Equatable {
        case write(offset: UInt64)
        case send(flags: Int32)
    }

    // The fields are few and packed (the descriptor, the target and the count live in the
    // piece's kind, the phase and the piece count behind its lifecycle): a composed future moves
    // this value whole, every byte of it.

    /// What the piece in flight (or the last one) asks of the kernel; its `written` counts every
    /// byte written so far: the piece's start while it is in flight, the total once the loop is done.
    @usableFromInline var kind: WriteAllPiece
    /// The piece's lifecycle: built with the whole buffer when the loop is made (not submitted
    /// until the first poll), and again from the buffer each completion hands back while bytes
    /// remain. A completed piece stays until the next one replaces it: it holds nothing (its
    /// buffer came back with its completion) and dropping it does nothing. Never optional: asking
    /// a large optional for `nil`, or setting it to `nil`, copies the whole value.
    @usableFromInline var core: OperationCore
    /// Where the loop is: an empty buffer starts as `.empty` (it completes at the first poll, with no
    /// piece submitted), any other as `.writing`.
    @usableFromInline var phase: WriteAllPhase
    /// ``pieces``.
    @usableFromInline var pieceCount: UInt32 = 0

    /// The descriptor written to.
    public var fd: Int32 { kind.fd }
    /// Bytes written so far.
    public var written: Int { kind.written }
    /// Pieces (write or send completions) it took so far; more than 1 means short writes happened.
    public var pieces: Int { Int(pieceCount) }

    /// Writes all valid bytes of `buffer` to `fd`, at `offset` (`UInt64.max`: the current position;
    /// otherwise each piece goes at `offset` plus the bytes already written).
    @inlinable
    public init(_ fd: Int32, _ buffer: consuming IOBuffer, offset: UInt64 = .max) {
        self.init(fd: fd, buffer: buffer, target: .write(offset: offset))
    }

    @inlinable
    init(fd: Int32, buffer: consuming IOBuffer, target: Target) {
        self.phase = buffer.count == 0 ? .empty : .writing
        self.kind = WriteAllPiece(fd: fd, target: target, written: 0)
        self.core = OperationCore(kind, buffer: buffer)
    }

    /// Sends all valid bytes of `buffer` on socket `fd` (MSG_NOSIGNAL is added, as by ``IO/send(_:_:from:flags:)``).
    @inlinable
    public static func send(_ fd: Int32, _ buffer: consuming IOBuffer, flags: Int32 = 0) -> WriteAll {
        WriteAll(fd: fd, buffer: buffer, target: .send(flags: flags))
    }

    /// `.ready` once every byte is written (`result`: the total) or a piece failed (`result`: its
    /// error; ``written`` tells how far it got). The buffer comes back either way.
    @inlinable
    @inline(__always)
    public mutating func poll(_ cx: inout Context) -> Poll<BufferResult> {
        guard phase == .writing else { return pollNotWriting() }
        while true {
            // The completion is read as it comes: the piece's own output is never built.
            let kind = self.kind
            guard case .ready(var done) = core.poll(&cx, prepare: { entry, buffer, scratch in
                kind.prepare(&entry, buffer: buffer, scratch: scratch)
            }) else { return .pending }
            pieceCount &+= 1
            // A failure, or 0 bytes taken from a non-empty buffer (retrying would spin).
            guard _fastPath(done.result > 0) else { return .ready(finish(failing: done)) }
            self.kind.written += Int(done.result)
            // The piece held the buffer: the completion hands it back.
            let buffer = done.buffer.take()!
            if self.kind.written >= buffer.count {
                phase = .finished
                return .ready(BufferResult(result: .success(self.kind.written), buffer: buffer))
            }
            core = OperationCore(self.kind, buffer: buffer)
        }
    }

    /// The first poll of an empty buffer (`.ready` at once, nothing submitted), or a poll after the
    /// end (a mistake).
    @usableFromInline
    mutating func pollNotWriting() -> Poll<BufferResult> {
        guard phase == .empty else {
            preconditionFailure("WriteAll polled after it completed or after its drop began")
        }
        phase = .finished
        return .ready(BufferResult(result: .success(0), buffer: core.buffer.take() ?? IOBuffer(capacity: 0)))
    }

    /// The loop's end on a piece that wrote nothing: its error, or EIO for 0 bytes taken.
    @usableFromInline
    mutating func finish(failing done: consuming Completion) -> BufferResult {
        phase = .finished
        let operation: String
        if case .write = kind.target { operation = "write" } else { operation = "send" }
        let error = done.result < 0
            ? IOError(result: done.result, operation: operation)
            : IOError(errno: EIO, operation: "\(operation) (0 bytes taken)")
        return BufferResult(result: .failure(error), buffer: done.buffer.take() ?? IOBuffer(capacity: 0))
    }

    /// Cancels the piece in flight, if any, and is ready once the kernel is done with it.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        phase = .finished
        return core.pollDropReady(&cx)
    }
}

/// Where a ``WriteAll`` is.
@usableFromInline
enum WriteAllPhase: UInt8 {
    /// Not polled yet, and the buffer is empty: the first poll completes with no piece submitted.
    case empty
    /// A piece is in flight or about to be submitted.
    case writing
    /// Done, failed or dropped: polling again is a mistake.
    case finished
}

/// One piece of a ``WriteAll``: a write at the target's offset plus what is written already, or a
/// send (MSG_NOSIGNAL added), of the valid bytes from `written`. One kind for both, so that the
/// loop holds one operation whichever it does.
@usableFromInline
struct WriteAllPiece: OperationKind {
    // Declared so that the descriptor packs behind the target's tag.
    @usableFromInline let target: WriteAll.Target
    @usableFromInline let fd: Int32
    /// Bytes of the buffer written before this piece: it sends from there.
    @usableFromInline var written: Int

    @inlinable
    init(fd: Int32, target: WriteAll.Target, written: Int) {
        self.target = target
        self.fd = fd
        self.written = written
    }

    @usableFromInline static var name: String { "write (WriteAll)" }

    @inlinable
    func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
        // SAFETY: the region lies in the buffer the slot holds, unmoved, until the completion.
        let region = unsafe buffer.validRegion(from: written)
        let start = unsafe region?.baseAddress
        let count = region?.count ?? 0
        switch target {
        case .send(let flags):
            unsafe cqu_prep_send(&entry, fd, start, count, flags | Int32(MSG_NOSIGNAL))
        case .write(let offset):
            let at = offset == .max ? offset : offset + UInt64(written)
            unsafe cqu_prep_write(&entry, fd, start, UInt32(clamping: count), at)
        }
    }

    @inlinable var retryReadiness: Readiness? { .writable(fd) }

    @inlinable
    func output(_ completion: consuming Completion) -> BufferResult {
        let isWrite: Bool
        if case .write = target { isWrite = true } else { isWrite = false }
        return completion.bufferResult(isWrite ? "write" : "send", appended: false)
    }
}
