import Quiesce
import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// The requests of the plain operations beyond the first set, as the simulated kernel decodes them:
/// vectored transfers, messages with addresses, path operations and socket shutdown. Kept apart from
/// ``SimRequest``, which holds one case for them all (`.more`).
@safe
enum SimMoreRequest {
    // SAFETY: the vectors and the message header point into the driver's memory (the operation's
    // buffers, its lent memory, the slot's scratch memory), valid until the operation's completion is
    // reaped (the ``IOBackend`` contract); the simulation touches them only before it posts that
    // completion, and never once the buffer watch has seen their memory freed.
    case readv(fd: Int32, offset: UInt64, vectors: [UnsafeMutableRawBufferPointer])
    case writev(fd: Int32, offset: UInt64, vectors: [UnsafeMutableRawBufferPointer])
    /// The kernel writes the sender's address, its length and the message flags into `header`.
    case recvmsg(fd: Int32, flags: Int32, vectors: [UnsafeMutableRawBufferPointer], header: UnsafeMutablePointer<msghdr>)
    /// `destination` was read when the entry was taken (as the kernel copies the header then).
    case sendmsg(fd: Int32, flags: Int32, vectors: [UnsafeMutableRawBufferPointer], destination: SocketAddress?)
    /// The kernel writes a `struct statx` at `result`.
    case statx(directory: Int32, path: String, flags: Int32, result: UnsafeMutableRawPointer?)
    case unlinkat(directory: Int32, path: String, flags: Int32)
    case renameat(oldDirectory: Int32, oldPath: String, newDirectory: Int32, newPath: String, flags: UInt32)
    case mkdirat(directory: Int32, path: String, mode: UInt32)
    case shutdown(fd: Int32, how: Int32)

    /// Decodes an entry of one of these opcodes, with the memory the watch covers; `nil` for any other
    /// opcode. Paths are read now, as the kernel copies them when it takes the entry.
    static func decode(_ entry: UnsafePointer<SubmissionEntry>) -> (SimMoreRequest, UnsafeMutableRawBufferPointer?)? {
        let e = unsafe entry.pointee
        let address = unsafe UnsafeMutableRawPointer(bitPattern: UInt(e.addr))
        switch Int32(e.opcode) {
        case Int32(IORING_OP_READV.rawValue):
            return unsafe (.readv(fd: e.fd, offset: e.off, vectors: vectors(address, count: Int(e.len))), nil)
        case Int32(IORING_OP_WRITEV.rawValue):
            return unsafe (.writev(fd: e.fd, offset: e.off, vectors: vectors(address, count: Int(e.len))), nil)
        case Int32(IORING_OP_RECVMSG.rawValue):
            guard let header = unsafe address?.assumingMemoryBound(to: msghdr.self) else { return nil }
            let vectors = unsafe vectors(UnsafeMutableRawPointer(header.pointee.msg_iov), count: Int(header.pointee.msg_iovlen))
            return unsafe (.recvmsg(fd: e.fd, flags: Int32(bitPattern: e.msg_flags), vectors: vectors, header: header), vectors.first)
        case Int32(IORING_OP_SENDMSG.rawValue):
            guard let header = unsafe address?.assumingMemoryBound(to: msghdr.self) else { return nil }
            let vectors = unsafe vectors(UnsafeMutableRawPointer(header.pointee.msg_iov), count: Int(header.pointee.msg_iovlen))
            var destination: SocketAddress?
            if let name = unsafe header.pointee.msg_name, unsafe header.pointee.msg_namelen > 0 {
                destination = unsafe SocketAddress(bytes: UnsafeRawBufferPointer(start: name, count: Int(header.pointee.msg_namelen)))
            }
            return unsafe (.sendmsg(fd: e.fd, flags: Int32(bitPattern: e.msg_flags), vectors: vectors, destination: destination), vectors.first)
        case Int32(IORING_OP_STATX.rawValue):
            let result = unsafe UnsafeMutableRawPointer(bitPattern: UInt(e.off))
            let region = unsafe result.map { unsafe UnsafeMutableRawBufferPointer(start: $0, count: StatxRecord.size) }
            return unsafe (.statx(directory: e.fd, path: string(address), flags: Int32(bitPattern: e.statx_flags), result: result), region)
        case Int32(IORING_OP_UNLINKAT.rawValue):
            return unsafe (.unlinkat(directory: e.fd, path: string(address), flags: Int32(bitPattern: e.unlink_flags)), pathRegion(address))
        case Int32(IORING_OP_RENAMEAT.rawValue):
            let newPath = unsafe UnsafeMutableRawPointer(bitPattern: UInt(e.off))
            return unsafe (.renameat(oldDirectory: e.fd, oldPath: string(address), newDirectory: Int32(bitPattern: e.len),
                                     newPath: string(newPath), flags: e.rename_flags), pathRegion(address))
        case Int32(IORING_OP_MKDIRAT.rawValue):
            return unsafe (.mkdirat(directory: e.fd, path: string(address), mode: e.len), pathRegion(address))
        case Int32(IORING_OP_SHUTDOWN.rawValue):
            return (.shutdown(fd: e.fd, how: Int32(bitPattern: e.len)), nil)
        default:
            return nil
        }
    }

    private static func vectors(_ base: UnsafeMutableRawPointer?, count: Int) -> [UnsafeMutableRawBufferPointer] {
        guard let base = unsafe base, count > 0 else { return unsafe [] }
        let iovecs = unsafe base.assumingMemoryBound(to: iovec.self)
        return unsafe (0..<count).map { i in
            unsafe UnsafeMutableRawBufferPointer(start: iovecs[i].iov_base, count: iovecs[i].iov_len)
        }
    }

    private static func string(_ pointer: UnsafeMutableRawPointer?) -> String {
        guard let pointer = unsafe pointer else { return "" }
        return unsafe String(cString: pointer.assumingMemoryBound(to: CChar.self))
    }

    private static func pathRegion(_ pointer: UnsafeMutableRawPointer?) -> UnsafeMutableRawBufferPointer? {
        guard let pointer = unsafe pointer else { return nil }
        return unsafe UnsafeMutableRawBufferPointer(start: pointer, count: strlen(pointer.assumingMemoryBound(to: CChar.self)) + 1)
    }

    /// The descriptor the request works on, if any: a path operation relative to the working
    /// directory has none; a statx of an empty path with AT_EMPTY_PATH works on its directory
    /// descriptor's own file.
    var descriptor: Int32? {
        switch self {
        case .readv(let fd, _, _), .writev(let fd, _, _), .recvmsg(let fd, _, _, _), .sendmsg(let fd, _, _, _),
             .shutdown(let fd, _):
            return fd
        case .statx(let directory, let path, let flags, _):
            return path.isEmpty && flags & IO.Statx.emptyPath != 0 ? directory : nil
        case .unlinkat, .renameat, .mkdirat:
            return nil
        }
    }

    /// `true` for transfers, which the fault plan may interrupt (EINTR, EAGAIN, ENOMEM) or shorten.
    var isTransfer: Bool {
        switch self {
        case .readv, .writev, .recvmsg, .sendmsg: return true
        case .statx, .unlinkat, .renameat, .mkdirat, .shutdown: return false
        }
    }

    /// Every region the request lends beyond the one its entry names (a vectored request's
    /// vectors, a received message's header with the address the kernel writes): the watch checks
    /// them when a buffer is freed.
    var watchedRegions: [UnsafeMutableRawBufferPointer] {
        switch self {
        case .readv(_, _, let vectors), .writev(_, _, let vectors), .sendmsg(_, _, let vectors, _):
            return unsafe vectors
        case .recvmsg(_, _, let vectors, let header):
            return unsafe vectors + [UnsafeMutableRawBufferPointer(start: header, count: MemoryLayout<msghdr>.size)]
        case .statx, .unlinkat, .renameat, .mkdirat, .shutdown:
            return unsafe []
        }
    }

    /// A short name for the trace.
    var name: String {
        switch self {
        case .readv: return "readv"
        case .writev: return "writev"
        case .recvmsg: return "recvmsg"
        case .sendmsg: return "sendmsg"
        case .statx: return "statx"
        case .unlinkat: return "unlinkat"
        case .renameat: return "renameat"
        case .mkdirat: return "mkdirat"
        case .shutdown: return "shutdown"
        }
    }
}
