import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// Synchronous socket set-up: creating, binding and listening never block, so they are plain calls.
/// Everything that waits (accept, connect, recv, send) goes through the ring.
public enum Sockets {
    /// A TCP socket listening on `address` (SO_REUSEADDR, CLOEXEC). Port 0 picks a free port:
    /// ``localAddress(_:)`` tells which.
    public static func listen(on address: SocketAddress, backlog: Int32 = 1024) throws(IOError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errno: errno, operation: "socket") }
        var one: Int32 = 1
        _ = unsafe setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = unsafe address.withSockAddr { unsafe bind(fd, $0, $1) }
        if bound != 0 {
            let error = IOError(errno: errno, operation: "bind \(address)")
            Glibc.close(fd)
            throw error
        }
        if Glibc.listen(fd, backlog) != 0 {
            let error = IOError(errno: errno, operation: "listen")
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// A new TCP socket for the family of `address` (CLOEXEC), to connect with ``IO/connect(_:to:)``.
    public static func tcp(for address: SocketAddress) throws(IOError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errno: errno, operation: "socket") }
        return fd
    }

    /// The address `fd` is bound to.
    public static func localAddress(_ fd: Int32) throws(IOError) -> SocketAddress {
        // SAFETY: `getsockname` writes at most `length` bytes, the size of `storage`, which is laid
        // out to be written as a `sockaddr`.
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = unsafe withUnsafeMutablePointer(to: &storage) {
            unsafe $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw IOError(errno: errno, operation: "getsockname") }
        return SocketAddress(storage: storage, length: length)
    }

    /// A pipe: (read end, write end), both CLOEXEC.
    public static func pipe() throws(IOError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard unsafe cqu_pipe2(&fds, O_CLOEXEC) == 0 else { throw IOError(errno: errno, operation: "pipe2") }
        return (fds[0], fds[1])
    }

    /// A connected pair of stream sockets, both CLOEXEC.
    public static func socketPair() throws(IOError) -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        guard unsafe socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw IOError(errno: errno, operation: "socketpair")
        }
        return (fds[0], fds[1])
    }
}
