import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// What one operation asks the kernel (or the simulated kernel) to do.
///
/// Memory the operation needs while in flight (its buffer, a socket address, a timespec) is held by
/// the driver's slot, never by the request, so a request is a small copyable value.
public enum OpRequest: Sendable, Equatable {
    /// Does nothing; completes with 0. Measures the ring's own cost.
    case nop
    /// Reads into the buffer's spare capacity. `offset` `UInt64.max` means the file's current position.
    case read(fd: Int32, offset: UInt64)
    /// Writes the buffer's valid bytes from index `from`.
    case write(fd: Int32, offset: UInt64, from: Int)
    /// Receives into the buffer's spare capacity.
    case recv(fd: Int32, flags: Int32)
    /// Sends the buffer's valid bytes from index `from`.
    case send(fd: Int32, flags: Int32, from: Int)
    /// Accepts a connection; the peer address lands in the slot's storage and comes back in the buffer.
    case accept(fd: Int32, flags: Int32)
    /// Connects to the address held in the buffer (its `sockaddr` bytes).
    case connect(fd: Int32)
    /// Opens the NUL-terminated path held in the buffer, relative to `directory`.
    case openat(directory: Int32, flags: Int32, mode: UInt32)
    /// Closes a file descriptor.
    case close(fd: Int32)
    /// Flushes a file to stable storage (`dataOnly`: fdatasync).
    case fsync(fd: Int32, dataOnly: Bool)
    /// Completes (with -ETIME) after the duration held in the slot's storage.
    case timeout(nanoseconds: UInt64)
    /// Completes when `fd` is ready for any of `events` (POLLIN, POLLOUT, …).
    case poll(fd: Int32, events: UInt32)
    /// Cancels every operation in flight on `fd` (IORING_OP_ASYNC_CANCEL with IORING_ASYNC_CANCEL_FD|ALL).
    case cancelFD(fd: Int32)

    /// `true` for requests whose success creates a file descriptor that someone must close.
    public var createsDescriptor: Bool {
        switch self {
        case .accept, .openat: return true
        default: return false
        }
    }

    /// The descriptor the request works on, if any. (`cancelFD` names one but works on the
    /// operations pending on it, not on the descriptor itself.)
    public var descriptor: Int32? {
        switch self {
        case .read(let fd, _), .write(let fd, _, _), .recv(let fd, _), .send(let fd, _, _),
             .accept(let fd, _), .connect(let fd), .close(let fd), .fsync(let fd, _), .poll(let fd, _):
            return fd
        case .nop, .openat, .timeout, .cancelFD:
            return nil
        }
    }

    /// `true` for requests that read into the buffer's spare capacity (read, recv).
    public var readsIntoBuffer: Bool {
        switch self {
        case .read, .recv: return true
        default: return false
        }
    }

    /// The readiness to wait for (through a poll in the ring) before retrying a request that a
    /// non-blocking descriptor answered with -EAGAIN; `nil` for requests that are not retried so.
    public var readinessForRetry: UInt32? {
        switch self {
        case .read, .recv, .accept: return UInt32(POLLIN)
        case .write, .send, .connect: return UInt32(POLLOUT)
        default: return nil
        }
    }

    /// A short name for messages: "read", "accept", …
    public var name: String {
        switch self {
        case .nop: return "nop"
        case .read: return "read"
        case .write: return "write"
        case .recv: return "recv"
        case .send: return "send"
        case .accept: return "accept"
        case .connect: return "connect"
        case .openat: return "openat"
        case .close: return "close"
        case .fsync: return "fsync"
        case .timeout: return "timeout"
        case .poll: return "poll"
        case .cancelFD: return "cancel"
        }
    }
}

/// Memory an operation needs at a stable address while in flight, kept in the driver's slot.
public struct OpStorage {
    /// The duration of a timeout request.
    public var timespec = __kernel_timespec(tv_sec: 0, tv_nsec: 0)
    /// A socket address: the peer filled in by `accept`.
    public var address = sockaddr_storage()
    /// The length of ``address``.
    public var addressLength = socklen_t(0)

    /// Empty storage.
    public init() {}
}

// What each request lends the kernel and how its success changes its memory: the request's rules,
// which the driver applies without knowing them.
extension OpRequest {
    /// The part of `buffer` the kernel reads or writes while the request is in flight: the spare
    /// capacity for reads, the valid bytes from `from` for writes, the whole (a path, an address)
    /// for open and connect; `nil` for requests that lend no buffer.
    @inline(__always)
    func lentRegion(of buffer: borrowing IOBuffer?) -> UnsafeMutableRawBufferPointer? {
        // SAFETY: each region lies inside `buffer`, which the driver's slot holds, unmoved, until
        // the operation's completion arrives.
        switch buffer {
        case .none: return nil
        case .some(let buffer):
            switch self {
            case .read, .recv: return unsafe buffer.spareRegion
            case .write(_, _, let from), .send(_, _, let from): return unsafe buffer.validRegion(from: from)
            case .openat, .connect: return unsafe buffer.validRegion(from: 0)
            case .nop, .accept, .close, .fsync, .timeout, .poll, .cancelFD: return nil
            }
        }
    }

    /// Applies a successful completion (`result` >= 0) to the memory handed back: bytes a read
    /// received become valid; an accept hands the peer's address back in a buffer, so completions
    /// stay small and the others never carry (or destroy) an address.
    @inline(__always)
    func settle(result: Int32, buffer: inout IOBuffer?, storage: UnsafeMutablePointer<OpStorage>) {
        switch self {
        case .read, .recv: if result > 0 { buffer?.commitAppended(Int(result)) }
        case .accept: buffer = unsafe OpRequest.acceptedPeer(storage)
        default: break
        }
    }

    /// The peer address an accept left in `storage`. Out of line: the address is copied through a
    /// pointer to a local, which would cost every caller a stack protector.
    @inline(never)
    static func acceptedPeer(_ storage: UnsafeMutablePointer<OpStorage>) -> IOBuffer {
        // SAFETY: `storage` is the settling slot's, where the kernel wrote the peer's address for
        // the accept.
        unsafe SocketAddress(storage: storage.pointee.address, length: storage.pointee.addressLength).bytes
    }
}
