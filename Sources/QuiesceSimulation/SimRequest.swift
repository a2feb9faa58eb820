import Quiesce
import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A submission entry as the simulated kernel reads it: the opcode and the fields that opcode
/// uses, decoded once when the entry is queued (as the kernel reads an entry when it takes it).
///
/// An operation kind the simulation does not model decodes to ``unsupported(opcode:)`` and
/// completes with -EINVAL, as an old kernel answers an opcode it does not know.
@safe
enum SimRequest {
    // SAFETY: the pointers an accept carries are the driver's scratch memory, valid until the
    // operation's completion is reaped (the ``IOBackend`` contract); the simulation writes through
    // them only before it posts that completion.
    case nop
    case read(fd: Int32, offset: UInt64)
    case write(fd: Int32, offset: UInt64)
    case recv(fd: Int32, flags: Int32)
    case send(fd: Int32, flags: Int32)
    /// IORING_OP_SEND_ZC: the byte count (with F_MORE), then the notification (F_NOTIF).
    case sendZC(fd: Int32, flags: Int32)
    /// The kernel writes the peer's address at `address` and its length at `length`.
    case accept(fd: Int32, flags: Int32, address: UnsafeMutablePointer<sockaddr>?, length: UnsafeMutablePointer<socklen_t>?)
    case connect(fd: Int32)
    /// IORING_ACCEPT_MULTISHOT: a completion per connection, the operation staying armed.
    case acceptMultishot(fd: Int32, flags: Int32)
    /// IORING_RECV_MULTISHOT with a provided-buffer group: a completion per receive.
    case recvMultishot(fd: Int32, flags: Int32, group: UInt16)
    case openat(directory: Int32, flags: Int32, mode: UInt32)
    case close(fd: Int32)
    case fsync(fd: Int32, dataOnly: Bool)
    case timeout(nanoseconds: UInt64)
    case poll(fd: Int32, events: UInt32)
    case cancelFD(fd: Int32)
    /// IORING_OP_ASYNC_CANCEL of the operation tagged `target`.
    case cancel(target: UInt64)
    case unsupported(opcode: UInt8)
    /// Vectored transfers, messages, path operations, shutdown (see ``SimMoreRequest``).
    case more(SimMoreRequest)

    /// Decodes `entry`; `region` is the memory its buffer lends (the kernel reads or writes only there).
    static func decode(_ entry: UnsafePointer<SubmissionEntry>) -> (SimRequest, UnsafeMutableRawBufferPointer?) {
        // SAFETY: the entry is the driver's and was just prepared; its pointers are the driver's
        // memory, valid until the completion (the ``IOBackend`` contract). A timeout's timespec is
        // read here, once, as the kernel reads it when it takes the entry.
        let e = unsafe entry.pointee
        let buffer = unsafe UnsafeMutableRawPointer(bitPattern: UInt(e.addr))
        func region(_ count: Int) -> UnsafeMutableRawBufferPointer? {
            unsafe buffer.map { unsafe UnsafeMutableRawBufferPointer(start: $0, count: count) }
        }
        switch Int32(e.opcode) {
        case Int32(IORING_OP_NOP.rawValue): return (.nop, nil)
        case Int32(IORING_OP_READ.rawValue): return (.read(fd: e.fd, offset: e.off), unsafe region(Int(e.len)))
        case Int32(IORING_OP_WRITE.rawValue): return (.write(fd: e.fd, offset: e.off), unsafe region(Int(e.len)))
        // A registered buffer is memory the driver keeps registered: read into and written from as
        // a plain region.
        case Int32(IORING_OP_READ_FIXED.rawValue): return (.read(fd: e.fd, offset: e.off), unsafe region(Int(e.len)))
        case Int32(IORING_OP_WRITE_FIXED.rawValue): return (.write(fd: e.fd, offset: e.off), unsafe region(Int(e.len)))
        case Int32(IORING_OP_RECV.rawValue):
            if UInt32(e.ioprio) & UInt32(IORING_RECV_MULTISHOT) != 0 {
                return (.recvMultishot(fd: e.fd, flags: Int32(bitPattern: e.msg_flags), group: e.buf_group), nil)
            }
            return (.recv(fd: e.fd, flags: Int32(bitPattern: e.msg_flags)), unsafe region(Int(e.len)))
        case Int32(IORING_OP_SEND.rawValue): return (.send(fd: e.fd, flags: Int32(bitPattern: e.msg_flags)), unsafe region(Int(e.len)))
        case Int32(IORING_OP_SEND_ZC.rawValue): return (.sendZC(fd: e.fd, flags: Int32(bitPattern: e.msg_flags)), unsafe region(Int(e.len)))
        case Int32(IORING_OP_ACCEPT.rawValue):
            if UInt32(e.ioprio) & UInt32(IORING_ACCEPT_MULTISHOT) != 0 {
                return (.acceptMultishot(fd: e.fd, flags: Int32(bitPattern: e.accept_flags)), nil)
            }
            let length = unsafe UnsafeMutablePointer<socklen_t>(bitPattern: UInt(e.addr2))
            return unsafe (.accept(fd: e.fd, flags: Int32(bitPattern: e.accept_flags),
                                   address: buffer?.assumingMemoryBound(to: sockaddr.self), length: length), nil)
        case Int32(IORING_OP_CONNECT.rawValue): return (.connect(fd: e.fd), unsafe region(Int(e.off)))
        case Int32(IORING_OP_OPENAT.rawValue):
            let count = unsafe buffer.map { unsafe strlen($0.assumingMemoryBound(to: CChar.self)) + 1 } ?? 0
            return (.openat(directory: e.fd, flags: Int32(bitPattern: e.open_flags), mode: e.len), unsafe region(count))
        case Int32(IORING_OP_CLOSE.rawValue): return (.close(fd: e.fd), nil)
        case Int32(IORING_OP_FSYNC.rawValue):
            return (.fsync(fd: e.fd, dataOnly: e.fsync_flags & UInt32(IORING_FSYNC_DATASYNC) != 0), nil)
        case Int32(IORING_OP_TIMEOUT.rawValue):
            let spec = unsafe buffer?.load(as: __kernel_timespec.self) ?? __kernel_timespec(tv_sec: 0, tv_nsec: 0)
            return (.timeout(nanoseconds: UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)), nil)
        case Int32(IORING_OP_POLL_ADD.rawValue): return (.poll(fd: e.fd, events: UInt32(e.poll32_events)), nil)
        case Int32(IORING_OP_ASYNC_CANCEL.rawValue):
            if e.cancel_flags & UInt32(IORING_ASYNC_CANCEL_FD) != 0 { return (.cancelFD(fd: e.fd), nil) }
            return (.cancel(target: e.addr), nil)
        default:
            if let (more, region) = unsafe SimMoreRequest.decode(entry) { return unsafe (.more(more), region) }
            return (.unsupported(opcode: e.opcode), nil)
        }
    }

    /// The descriptor the request works on, if any. (`cancelFD` names one but works on the
    /// operations pending on it, not on the descriptor itself.)
    var descriptor: Int32? {
        switch self {
        case .read(let fd, _), .write(let fd, _), .recv(let fd, _), .send(let fd, _), .accept(let fd, _, _, _),
             .connect(let fd), .close(let fd), .fsync(let fd, _), .poll(let fd, _), .acceptMultishot(let fd, _),
             .recvMultishot(let fd, _, _), .sendZC(let fd, _):
            return fd
        case .more(let request):
            return request.descriptor
        case .nop, .openat, .timeout, .cancelFD, .cancel, .unsupported:
            return nil
        }
    }

    /// `true` for requests that complete many times from one submission.
    var isMultishot: Bool {
        switch self {
        case .acceptMultishot, .recvMultishot: return true
        default: return false
        }
    }

    /// `true` for requests that may complete more than once (multishot, zero-copy send).
    var completesManyTimes: Bool {
        switch self {
        case .acceptMultishot, .recvMultishot, .sendZC: return true
        default: return false
        }
    }

    /// A short name for the trace.
    var name: String {
        switch self {
        case .nop: return "nop"
        case .read: return "read"
        case .write: return "write"
        case .recv: return "recv"
        case .send: return "send"
        case .accept: return "accept"
        case .connect: return "connect"
        case .acceptMultishot: return "accept (multishot)"
        case .sendZC: return "send (zero copy)"
        case .recvMultishot: return "recv (multishot)"
        case .openat: return "openat"
        case .close: return "close"
        case .fsync: return "fsync"
        case .timeout: return "timeout"
        case .poll: return "poll"
        case .cancelFD: return "cancel-fd"
        case .cancel: return "cancel"
        case .unsupported(let opcode): return "opcode \(opcode)"
        case .more(let request): return request.name
        }
    }
}
