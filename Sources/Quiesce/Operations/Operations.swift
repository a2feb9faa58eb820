import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// An operation whose success carries nothing: nop, fsync, close, connect, timeout.
public typealias StatusOp = IOOperation<StatusKind>
/// An operation that moves a buffer in and hands it back: read, write, recv, send.
public typealias BufferOp = IOOperation<BufferKind>
/// An operation whose success is an `Int32`: open (a descriptor), poll (events), cancel (a count).
public typealias Int32Op = IOOperation<ValueKind>
/// Deprecated alias of ``Int32Op``, kept so that code naming `ValueOp` still compiles.
@available(*, deprecated, renamed: "Int32Op")
public typealias ValueOp = Int32Op
/// An accept: a new connection's descriptor and its peer's address.
public typealias AcceptOp = IOOperation<AcceptKind>

/// The operations, as futures. Each submits on first poll and is ready when its completion arrives.
///
/// ```swift
/// var read = IO.read(fd, into: IOBuffer(capacity: 4096))
/// // poll `read` from your future's poll; `.ready` hands back BufferResult(result, buffer)
/// ```
public enum IO {
    // The constructors are inlinable so that an operation is built in place in the caller's future:
    // a call across the module boundary would copy its result (a whole operation) twice.
    /// A no-op through the ring.
    @inlinable
    public static func nop() -> StatusOp { StatusOp(core: OperationCore(.nop)) }

    /// Flushes `fd` to stable storage (`dataOnly`: like fdatasync).
    @inlinable
    public static func fsync(_ fd: Int32, dataOnly: Bool = false) -> StatusOp {
        StatusOp(core: OperationCore(.fsync(fd: fd, dataOnly: dataOnly)))
    }

    /// Closes `fd` through the ring. Operations pending on `fd` are *not* cancelled by this; only a
    /// cancel (or their own drop) ends them.
    @inlinable
    public static func close(_ fd: Int32) -> StatusOp { StatusOp(core: OperationCore(.close(fd: fd))) }

    /// Connects socket `fd` to `address`.
    public static func connect(_ fd: Int32, to address: SocketAddress) -> StatusOp {
        StatusOp(core: OperationCore(.connect(fd: fd), buffer: address.bytes))
    }

    /// Completes after `nanoseconds` on the ring's own timer. Expiry is success.
    @inlinable
    public static func timeout(nanoseconds: UInt64) -> StatusOp {
        StatusOp(core: OperationCore(.timeout(nanoseconds: nanoseconds)))
    }

    /// Reads from `fd` into the spare capacity of `buffer`, at `offset` (`UInt64.max`: the current
    /// position). 0 bytes read means end of file.
    @inlinable
    public static func read(_ fd: Int32, into buffer: consuming IOBuffer, offset: UInt64 = .max) -> BufferOp {
        BufferOp(core: OperationCore(.read(fd: fd, offset: offset), buffer: buffer))
    }

    /// Writes the valid bytes of `buffer` from index `from` to `fd`, at `offset` (`UInt64.max`: the
    /// current position). May write fewer bytes than asked; ``WriteAll`` loops until all are written.
    @inlinable
    public static func write(_ fd: Int32, _ buffer: consuming IOBuffer, from: Int = 0, offset: UInt64 = .max) -> BufferOp {
        BufferOp(core: OperationCore(.write(fd: fd, offset: offset, from: from), buffer: buffer))
    }

    /// Receives from socket `fd` into the spare capacity of `buffer`. 0 bytes means the peer closed.
    @inlinable
    public static func recv(_ fd: Int32, into buffer: consuming IOBuffer, flags: Int32 = 0) -> BufferOp {
        BufferOp(core: OperationCore(.recv(fd: fd, flags: flags), buffer: buffer))
    }

    /// Sends the valid bytes of `buffer` from index `from` on socket `fd`. MSG_NOSIGNAL is always
    /// added: a closed peer is an EPIPE error, never a signal.
    @inlinable
    public static func send(_ fd: Int32, _ buffer: consuming IOBuffer, from: Int = 0, flags: Int32 = 0) -> BufferOp {
        BufferOp(core: OperationCore(.send(fd: fd, flags: flags | Int32(MSG_NOSIGNAL), from: from), buffer: buffer))
    }

    /// Opens `path` relative to `directory` (default: the working directory); `.ready` with the new
    /// descriptor (O_CLOEXEC is added). If the open is cancelled but succeeds anyway, the descriptor
    /// is closed, not leaked.
    public static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644, directory: Int32 = AT_FDCWD) -> Int32Op {
        var bytes = Array(path.utf8)
        bytes.append(0)
        return Int32Op(core: OperationCore(.openat(directory: directory, flags: flags | O_CLOEXEC, mode: mode),
                                           buffer: IOBuffer(bytes: bytes)))
    }

    /// Waits until `fd` is ready for `events` (POLLIN, POLLOUT…); `.ready` with the events that fired.
    @inlinable
    public static func poll(_ fd: Int32, events: UInt32) -> Int32Op {
        Int32Op(core: OperationCore(.poll(fd: fd, events: events)))
    }

    /// Cancels every operation in flight on `fd`; `.ready` with how many were found (0: none).
    /// Needs Linux 5.19 (IORING_ASYNC_CANCEL_FD); older kernels answer EINVAL.
    @inlinable
    public static func cancel(fd: Int32) -> Int32Op { Int32Op(core: OperationCore(.cancelFD(fd: fd))) }

    /// Accepts a connection on listening socket `fd` (SOCK_CLOEXEC). If the accept is cancelled but
    /// a connection was accepted anyway, that descriptor is closed, not leaked.
    @inlinable
    public static func accept(_ fd: Int32, flags: Int32 = Int32(SOCK_CLOEXEC.rawValue)) -> AcceptOp {
        AcceptOp(core: OperationCore(.accept(fd: fd, flags: flags)))
    }
}

/// A connection accepted by ``IO/accept(_:flags:)``.
public struct Accepted: Sendable, Equatable {
    /// The connection's descriptor; the caller owns it.
    public var fd: Int32
    /// The peer's address.
    public var peer: SocketAddress
}

/// Output mapping of accept: the descriptor and the peer address the kernel filled in.
public enum AcceptKind: OperationKind {
    /// The new descriptor and its peer, or the errno as an ``IOError``.
    public static func output(_ completion: consuming Completion, of request: OpRequest) -> Result<Accepted, IOError> {
        var peer = SocketAddress(storage: sockaddr_storage(), length: 0)
        if let buffer = completion.buffer.take() { peer = unsafe buffer.withUnsafeBytes { unsafe SocketAddress(bytes: $0) } }
        return completion.checked(request.name).map { fd in Accepted(fd: Int32(fd), peer: peer) }
    }
}
