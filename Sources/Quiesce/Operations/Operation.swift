#if canImport(Glibc)
import Glibc
#endif

/// An I/O operation as a future: submitted on first poll, ready when its completion arrives.
///
/// Its async drop cancels it and waits for the kernel to be done with it; its synchronous drop leaves
/// its buffer with the driver until then. See ``OperationCore`` for the whole lifecycle and
/// ``OperationKind`` for what each kind adds. Made by the constructors of ``IO`` (read, write, recv,
/// send, accept, connect, open, close, fsync, nop, timeout, poll, cancel, …). (Named `IOOperation`
/// so that it never clashes with Foundation's `Operation`.)
public struct IOOperation<Kind: OperationKind>: Future, ~Copyable {
    /// What the operation asks of the kernel.
    public let kind: Kind
    /// The shared lifecycle: submission, completion, cancellation, orphaning.
    public var core: OperationCore

    /// An operation of `kind`, owning `buffer` while in flight.
    @inlinable
    public init(_ kind: Kind, buffer: consuming IOBuffer? = nil) {
        self.kind = kind
        self.core = OperationCore(kind, buffer: buffer)
    }

    /// Submits on first poll; ready with the output when the completion arrives.
    // Always inlined: the lifecycle's work is out of line already (``OperationCore/poll(_:prepare:)``
    // calls one of two polls), so what remains is a dispatch and the output's mapping, cheaper in
    // the caller than behind a call of their own.
    @inlinable @inline(__always)
    public mutating func poll(_ cx: inout Context) -> Poll<Kind.Output> {
        let kind = self.kind
        switch core.poll(&cx, prepare: { entry, buffer, scratch in kind.prepare(&entry, buffer: buffer, scratch: scratch) }) {
        case .pending: return .pending
        case .ready(let completion): return .ready(kind.output(completion))
        }
    }

    /// Cancels the operation if in flight and waits until the kernel is done with it.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { core.pollDropReady(&cx) }

    /// Cancels the operation and waits for its own completion; `.ready` with the output it carries:
    /// `ECANCELED`, or the real result when the operation completed in the race (then anything it
    /// created, like a descriptor, is the caller's).
    @inlinable
    public mutating func cancel(_ cx: inout Context) -> Poll<Kind.Output> {
        switch core.cancel(&cx) {
        case .pending: return .pending
        case .ready(let completion): return .ready(kind.output(completion))
        }
    }

    /// `true` while the kernel holds the operation.
    public var isInFlight: Bool { core.isInFlight }

    /// The result of the cancel request once known: 0 (found and cancelled), -ENOENT (already done)
    /// or -EALREADY (already running; it completes on its own).
    public var cancelResult: Int32? { core.cancelResult }
}

/// The outcome of an operation that moved a buffer in: the byte count (or the error) and the buffer.
///
/// Frozen so that code in other modules can move the buffer out (`let buffer = outcome.buffer`).
@frozen
public struct BufferResult: ~Copyable {
    /// Bytes transferred, or why none were.
    public var result: Result<Int, IOError>
    /// The buffer, handed back. After a read its `count` includes the bytes read.
    public var buffer: IOBuffer

    /// Pairs a result with its buffer.
    public init(result: Result<Int, IOError>, buffer: consuming IOBuffer) {
        self.result = result
        self.buffer = buffer
    }
}

extension Completion {
    // The shared output mappings are inlinable: called from the inlinable `IOOperation.poll` in the
    // user's module, they inline there instead of costing every operation an out-of-line call.

    /// The byte count (or error) and the buffer handed back; `appended` when the kernel wrote the
    /// count into the buffer's spare capacity (a read), which then becomes valid.
    @inlinable
    public consuming func bufferResult(_ operation: @autoclosure () -> String, appended: Bool) -> BufferResult {
        var buffer = self.buffer.take() ?? IOBuffer(capacity: 0)
        if appended && result > 0 { buffer.commitAppended(Int(result)) }
        return BufferResult(result: checked(operation()), buffer: buffer)
    }

    /// Success, or the errno as an ``IOError``.
    @inlinable
    public func status(_ operation: @autoclosure () -> String) -> Result<Void, IOError> {
        if result >= 0 { return .success(()) }
        return checked(operation()).map { _ in () }
    }

    /// The non-negative result, or the errno as an ``IOError``.
    @inlinable
    public func value(_ operation: @autoclosure () -> String) -> Result<Int32, IOError> {
        checked(operation()).map { Int32($0) }
    }
}
