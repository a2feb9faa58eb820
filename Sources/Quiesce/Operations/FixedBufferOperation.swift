#if canImport(Glibc)
import Glibc
#endif

/// A read into a registered buffer.
public typealias ReadFixedOp = FixedBufferOperation<IO.ReadFixed>
/// A write from a registered buffer.
public typealias WriteFixedOp = FixedBufferOperation<IO.WriteFixed>

/// An operation on a registered buffer (``IO/readFixed(_:into:offset:)``,
/// ``IO/writeFixed(_:_:from:offset:)``): the buffer's lease moves in and comes back with the
/// result, as an ``IOBuffer`` does with ``IOOperation``.
///
/// Its async drop cancels the operation and waits for the kernel to be done with it. Dropped
/// synchronously while in flight, the operation is left to the driver and the lease goes back to
/// its set, which lends the buffer out again only after the operation's completion; the set is not
/// unregistered before that completion either.
public struct FixedBufferOperation<Kind: OperationKind>: Future, ~Copyable where Kind.Output == Result<Int, IOError> {
    /// The operation itself.
    var operation: IOOperation<Kind>
    /// The buffer's lease, until it goes back with the result.
    var lease: FixedBuffer?
    /// The kernel writes into the buffer's spare capacity (a read).
    let appends: Bool
    /// The first poll checked the buffer's registration.
    var checked = false
    /// The set the buffer belongs to.
    let registration: Registration
    /// A read into a buffer with no spare capacity (refused: 0 bytes would look like end of file).
    let isFull: Bool

    /// `kind` on `lease`'s buffer; `appends` for a read into its spare capacity.
    init(_ kind: Kind, lease: consuming FixedBuffer, appends: Bool) {
        operation = IOOperation(kind)
        registration = lease.registration
        isFull = appends && lease.spareCapacity == 0
        self.lease = consume lease
        self.appends = appends
    }

    /// Submits on first poll; ready with the byte count (or the error) and the buffer when the
    /// completion arrives. Refused before submission: a read into a full buffer (ENOBUFS), a buffer
    /// whose set was released (EBADF), a buffer registered with another executor's ring (EXDEV).
    public mutating func poll(_ cx: inout Context) -> Poll<FixedBufferResult> {
        if !checked {
            checked = true
            if let refusal = refusal(cx) { return .ready(FixedBufferResult(result: .failure(refusal), buffer: lease.take()!)) }
        }
        switch operation.poll(&cx) {
        case .pending:
            return .pending
        case .ready(let result):
            var buffer = lease.take()!
            if appends, case .success(let n) = result { buffer.commitAppended(n) }
            return .ready(FixedBufferResult(result: result, buffer: buffer))
        }
    }

    /// Why the operation cannot be submitted, if it cannot.
    private func refusal(_ cx: borrowing Context) -> IOError? {
        if isFull {
            return IOError(errno: ENOBUFS, operation: Kind.name, remedy: "the registered buffer has no spare capacity to read into")
        }
        guard registration.acceptsOperations else {
            return IOError(errno: EBADF, operation: Kind.name, remedy: "the registered buffers this buffer belongs to were released")
        }
        if let driver = cx.driverHandle, unsafe UInt(bitPattern: driver.state) != registration.ring {
            return IOError(errno: EXDEV, operation: Kind.name, remedy: "the buffer is registered with another executor's ring")
        }
        return nil
    }

    /// Cancels the operation if in flight and waits until the kernel is done with it.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { operation.pollDropReady(&cx) }

    /// `true` while the kernel holds the operation.
    public var isInFlight: Bool { operation.isInFlight }
}

/// The outcome of an operation on a registered buffer: the byte count (or the error) and the buffer.
///
/// Frozen so that code in other modules can move the buffer out (`let buffer = outcome.buffer`).
@frozen
public struct FixedBufferResult: ~Copyable {
    /// Bytes transferred, or why none were.
    public var result: Result<Int, IOError>
    /// The buffer, handed back. After a read its `count` includes the bytes read.
    public var buffer: FixedBuffer

    /// Pairs a result with its buffer.
    public init(result: Result<Int, IOError>, buffer: consuming FixedBuffer) {
        self.result = result
        self.buffer = buffer
    }
}

extension IO {
    /// Reads from `fd` into the spare capacity of the registered `buffer` (IORING_OP_READ_FIXED),
    /// at `offset` (`UInt64.max`: the current position). 0 bytes read means end of file.
    public static func readFixed(_ fd: Int32, into buffer: consuming FixedBuffer, offset: UInt64 = .max) -> ReadFixedOp {
        let kind = ReadFixed(fd: fd, offset: offset, into: buffer)
        return ReadFixedOp(kind, lease: buffer, appends: true)
    }

    /// Writes the valid bytes of the registered `buffer` from index `from` to `fd`
    /// (IORING_OP_WRITE_FIXED), at `offset` (`UInt64.max`: the current position). May write fewer
    /// bytes than asked.
    public static func writeFixed(_ fd: Int32, _ buffer: consuming FixedBuffer, from: Int = 0, offset: UInt64 = .max) -> WriteFixedOp {
        let kind = WriteFixed(fd: fd, offset: offset, from: from, buffer)
        return WriteFixedOp(kind, lease: buffer, appends: false)
    }

    /// Reads from the registered `file` into the spare capacity of the registered `buffer`.
    public static func readFixed(_ file: FixedFile, into buffer: consuming FixedBuffer,
                                 offset: UInt64 = .max) -> FixedBufferOperation<OnFixedFile<ReadFixed>> {
        let kind = OnFixedFile(ReadFixed(fd: file.index, offset: offset, into: buffer), on: file)
        return FixedBufferOperation(kind, lease: buffer, appends: true)
    }

    /// Writes the valid bytes of the registered `buffer` from index `from` to the registered `file`.
    public static func writeFixed(_ file: FixedFile, _ buffer: consuming FixedBuffer, from: Int = 0,
                                  offset: UInt64 = .max) -> FixedBufferOperation<OnFixedFile<WriteFixed>> {
        let kind = OnFixedFile(WriteFixed(fd: file.index, offset: offset, from: from, buffer), on: file)
        return FixedBufferOperation(kind, lease: buffer, appends: false)
    }
}
