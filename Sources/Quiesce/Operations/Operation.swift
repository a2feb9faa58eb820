import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// How one kind of operation turns its completion into its output.
public protocol OperationKind {
    /// What the operation produces.
    associatedtype Output: ~Copyable
    /// Maps the completion of `request` to the output.
    static func output(_ completion: consuming Completion, of request: OpRequest) -> Output
}

/// An I/O operation as a future: submitted on first poll, ready when its completion arrives.
///
/// Its async drop cancels it and waits for the kernel to be done with it; its synchronous drop leaves
/// its buffer with the driver until then. See ``OperationCore`` for the whole lifecycle. Made by the
/// constructors of ``IO`` (read, write, recv, send, accept, connect, open, close, fsync, nop, timeout,
/// poll, cancel), as ``BufferOp``, ``StatusOp``, ``Int32Op`` or ``AcceptOp``. (Named `IOOperation`
/// so that it never clashes with Foundation's `Operation`.)
public struct IOOperation<Kind: OperationKind>: Future, ~Copyable {
    /// The shared lifecycle: submission, completion, cancellation, orphaning.
    public var core: OperationCore

    /// An operation over `core`.
    @inlinable
    public init(core: consuming OperationCore) { self.core = core }

    /// Submits on first poll; ready with the output when the completion arrives.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Kind.Output> {
        switch core.poll(&cx) {
        case .pending: return .pending
        case .ready(let completion): return .ready(Kind.output(completion, of: core.request))
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
        case .ready(let completion): return .ready(Kind.output(completion, of: core.request))
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

// The output mappings are inlinable: called from the inlinable `IOOperation.poll` in the user's
// module, they inline there instead of costing every operation an out-of-line call.

/// Output mapping shared by the buffer-carrying operations.
public enum BufferKind: OperationKind {
    /// The byte count (or error) and the buffer handed back.
    @inlinable
    public static func output(_ completion: consuming Completion, of request: OpRequest) -> BufferResult {
        let result = completion.checked(request.name)
        return BufferResult(result: result, buffer: completion.buffer.take() ?? IOBuffer(capacity: 0))
    }
}

/// Output mapping of operations whose success carries no value.
public enum StatusKind: OperationKind {
    /// Success, or the errno as an ``IOError``.
    @inlinable
    public static func output(_ completion: consuming Completion, of request: OpRequest) -> Result<Void, IOError> {
        if completion.result >= 0 { return .success(()) }  // the common case, before any switch
        // A ring timeout reports its expiry as -ETIME: for a timeout that is the success.
        if case .timeout = request, completion.result == -ETIME { return .success(()) }
        return completion.checked(request.name).map { _ in () }
    }
}

/// Output mapping of operations whose success is a count or a descriptor.
public enum ValueKind: OperationKind {
    /// The non-negative result, or the errno as an ``IOError``.
    @inlinable
    public static func output(_ completion: consuming Completion, of request: OpRequest) -> Result<Int32, IOError> {
        completion.checked(request.name).map { Int32($0) }
    }
}
