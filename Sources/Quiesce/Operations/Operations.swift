import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A no-op through the ring.
public typealias NopOp = IOOperation<IO.Nop>
/// A read into a buffer's spare capacity.
public typealias ReadOp = IOOperation<IO.Read>
/// A write of a buffer's valid bytes.
public typealias WriteOp = IOOperation<IO.Write>
/// A receive into a buffer's spare capacity.
public typealias RecvOp = IOOperation<IO.Recv>
/// A send of a buffer's valid bytes.
public typealias SendOp = IOOperation<IO.Send>
/// An accept: a new connection's descriptor and its peer's address.
public typealias AcceptOp = IOOperation<IO.Accept>
/// A connect.
public typealias ConnectOp = IOOperation<IO.Connect>
/// An open: a new descriptor.
public typealias OpenOp = IOOperation<IO.OpenAt>
/// A close through the ring.
public typealias CloseOp = IOOperation<IO.Close>
/// An fsync or fdatasync.
public typealias FsyncOp = IOOperation<IO.Fsync>
/// A timeout on the ring's timer.
public typealias TimeoutOp = IOOperation<IO.Timeout>
/// A single-shot poll for readiness.
public typealias PollOp = IOOperation<IO.PollAdd>
/// A cancel of every operation on a descriptor.
public typealias CancelOp = IOOperation<IO.CancelFD>

/// Connections accepted from one multishot submission, as a stream of descriptors.
public typealias AcceptMultishotOp = MultishotOperation<IO.AcceptMultishot>
/// Receives into provided buffers from one multishot submission, as a stream of leases.
public typealias RecvMultishotOp = MultishotOperation<IO.RecvMultishot>

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
    public static func nop() -> NopOp { NopOp(Nop()) }

    /// Flushes `fd` to stable storage (`dataOnly`: like fdatasync).
    @inlinable
    public static func fsync(_ fd: Int32, dataOnly: Bool = false) -> FsyncOp { FsyncOp(Fsync(fd: fd, dataOnly: dataOnly)) }

    /// Closes `fd` through the ring. Operations pending on `fd` are *not* cancelled by this; only a
    /// cancel (or their own drop) ends them.
    @inlinable
    public static func close(_ fd: Int32) -> CloseOp { CloseOp(Close(fd: fd)) }

    /// Connects socket `fd` to `address`.
    public static func connect(_ fd: Int32, to address: SocketAddress) -> ConnectOp {
        ConnectOp(Connect(fd: fd), buffer: address.bytes)
    }

    /// Completes after `nanoseconds` on the ring's own timer. Expiry is success.
    @inlinable
    public static func timeout(nanoseconds: UInt64) -> TimeoutOp { TimeoutOp(Timeout(nanoseconds: nanoseconds)) }

    /// Reads from `fd` into the spare capacity of `buffer`, at `offset` (`UInt64.max`: the current
    /// position). 0 bytes read means end of file.
    @inlinable
    public static func read(_ fd: Int32, into buffer: consuming IOBuffer, offset: UInt64 = .max) -> ReadOp {
        ReadOp(Read(fd: fd, offset: offset), buffer: buffer)
    }

    /// Writes the valid bytes of `buffer` from index `from` to `fd`, at `offset` (`UInt64.max`: the
    /// current position). May write fewer bytes than asked; ``WriteAll`` loops until all are written.
    @inlinable
    public static func write(_ fd: Int32, _ buffer: consuming IOBuffer, from: Int = 0, offset: UInt64 = .max) -> WriteOp {
        WriteOp(Write(fd: fd, offset: offset, from: from), buffer: buffer)
    }

    /// Receives from socket `fd` into the spare capacity of `buffer`. 0 bytes means the peer closed.
    @inlinable
    public static func recv(_ fd: Int32, into buffer: consuming IOBuffer, flags: Int32 = 0) -> RecvOp {
        RecvOp(Recv(fd: fd, flags: flags), buffer: buffer)
    }

    /// Sends the valid bytes of `buffer` from index `from` on socket `fd`. MSG_NOSIGNAL is always
    /// added: a closed peer is an EPIPE error, never a signal.
    @inlinable
    public static func send(_ fd: Int32, _ buffer: consuming IOBuffer, from: Int = 0, flags: Int32 = 0) -> SendOp {
        SendOp(Send(fd: fd, flags: flags | Int32(MSG_NOSIGNAL), from: from), buffer: buffer)
    }

    /// Opens `path` relative to `directory` (default: the working directory); `.ready` with the new
    /// descriptor (O_CLOEXEC is added). If the open is cancelled but succeeds anyway, the descriptor
    /// is closed, not leaked.
    public static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644, directory: Int32 = AT_FDCWD) -> OpenOp {
        var bytes = Array(path.utf8)
        bytes.append(0)
        return OpenOp(OpenAt(directory: directory, flags: flags | O_CLOEXEC, mode: mode), buffer: IOBuffer(bytes: bytes))
    }

    /// Waits until `fd` is ready for `events` (POLLIN, POLLOUT…); `.ready` with the events that fired.
    @inlinable
    public static func poll(_ fd: Int32, events: UInt32) -> PollOp { PollOp(PollAdd(fd: fd, events: events)) }

    /// Cancels every operation in flight on `fd`; `.ready` with how many were found (0: none).
    /// Needs Linux 5.19 (IORING_ASYNC_CANCEL_FD); older kernels answer EINVAL.
    @inlinable
    public static func cancel(fd: Int32) -> CancelOp { CancelOp(CancelFD(fd: fd)) }

    /// Accepts a connection on listening socket `fd` (SOCK_CLOEXEC). If the accept is cancelled but
    /// a connection was accepted anyway, that descriptor is closed, not leaked.
    @inlinable
    public static func accept(_ fd: Int32, flags: Int32 = Int32(SOCK_CLOEXEC.rawValue)) -> AcceptOp {
        AcceptOp(Accept(fd: fd, flags: flags))
    }

    /// Accepts connections on listening socket `fd` from one submission, as a stream of new
    /// descriptors (SOCK_CLOEXEC), until the stream is dropped. Connections accepted while its drop
    /// cancels it are closed, not leaked.
    @inlinable
    public static func acceptMultishot(_ fd: Int32, flags: Int32 = Int32(SOCK_CLOEXEC.rawValue)) -> AcceptMultishotOp {
        AcceptMultishotOp(AcceptMultishot(fd: fd, flags: flags))
    }

    /// Receives on socket `fd` into buffers the kernel picks from `ring` (registered with the
    /// executor's driver), as a stream of filled buffers, until the peer closes (the stream ends) or
    /// the stream is dropped. Buffers received while its drop cancels it go back to the ring.
    @inlinable
    public static func recvMultishot(_ fd: Int32, from ring: ProvidedBufferRing, flags: Int32 = 0) -> RecvMultishotOp {
        RecvMultishotOp(RecvMultishot(fd: fd, ring: ring, flags: flags))
    }
}
