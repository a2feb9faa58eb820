import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// What the plain operations beyond the first set do in the simulated kernel (see
/// ``SimMoreRequest``): vectored transfers on pipes, stream sockets and files; messages on stream
/// and datagram sockets; statx, unlink, rename and mkdir on the file table (with directories);
/// shutdown of stream sockets. Faults apply as to the other transfers: a transfer may be
/// interrupted (EINTR, EAGAIN, ENOMEM) or cut short anywhere across its vectors; a datagram is
/// never cut.
extension SimBackend {
    // SAFETY (for the whole extension): the vectors, headers and result pointers of a request are
    // the driver's memory, valid until its completion is reaped; they are touched only here, before
    // that completion is posted, and `perform` answers -EFAULT instead for an operation whose
    // memory the buffer watch saw freed. Every copy stays within each vector's count.

    /// `true` when `request` could complete now.
    func isReady(_ op: SimOp, _ request: SimMoreRequest) -> Bool {
        switch request {
        case .readv(_, _, let vectors):
            switch op.target?.object {
            case .pipeReader?, .socket?: return unsafe total(vectors) == 0 || readable(op.target) != nil
            default: return true  // a file, or a descriptor that cannot be read: answered at once
            }
        case .recvmsg(_, _, let vectors, _):
            switch op.target?.object {
            case .socket?: return unsafe total(vectors) == 0 || readable(op.target) != nil
            case .datagram(let socket)?: return !socket.queue.isEmpty
            default: return true  // not a socket: answered at once
            }
        case .writev(_, _, let vectors):
            switch op.target?.object {
            case .pipeWriter?, .socket?: return unsafe total(vectors) == 0 || writable(op.target) != nil
            default: return true
            }
        case .sendmsg(_, _, let vectors, _):
            if case .socket? = op.target?.object { return unsafe total(vectors) == 0 || writable(op.target) != nil }
            return true  // a datagram socket never blocks here; anything else is answered at once
        case .statx, .unlinkat, .renameat, .mkdirat, .shutdown:
            return true
        }
    }

    /// Runs `request` (which can complete) and returns its result.
    func perform(_ op: SimOp, _ request: SimMoreRequest) -> Int32 {
        switch request {
        case .readv(_, let offset, let vectors):
            switch op.target?.object {
            case .file(let file)?: return unsafe readFile(file, op.target!, offset, vectors)
            case .pipeReader?, .socket?: return unsafe receive(op, vectors)
            default: return -EBADF
            }
        case .writev(_, let offset, let vectors):
            switch op.target?.object {
            case .file(let file)?: return unsafe writeFile(file, op.target!, offset, vectors)
            case .pipeWriter?, .socket?: return unsafe send(op, vectors)
            default: return -EBADF
            }
        case .recvmsg(_, _, let vectors, let header):
            switch op.target?.object {
            case .socket?:
                unsafe header.pointee.msg_namelen = 0
                unsafe header.pointee.msg_flags = 0
                return unsafe receive(op, vectors)
            case .datagram(let socket)?:
                return unsafe receiveDatagram(socket, vectors, header)
            default:
                return -ENOTSOCK
            }
        case .sendmsg(_, _, let vectors, let destination):
            switch op.target?.object {
            case .socket?: return unsafe send(op, vectors)
            case .datagram(let socket)?: return unsafe sendDatagram(socket, vectors, to: destination)
            default: return -ENOTSOCK
            }
        case .statx(let directory, let path, _, let result):
            return unsafe statx(op, directory: directory, path: path, into: result)
        case .unlinkat(let directory, let path, let flags):
            guard directory == AT_FDCWD else { return -EBADF }  // directory descriptors are not modelled
            return unlink(path, removingDirectory: flags & AT_REMOVEDIR != 0)
        case .renameat(let oldDirectory, let oldPath, let newDirectory, let newPath, let flags):
            guard oldDirectory == AT_FDCWD, newDirectory == AT_FDCWD else { return -EBADF }
            return rename(oldPath, to: newPath, replacing: flags & IO.RenameAt.noReplace == 0)
        case .mkdirat(let directory, let path, _):
            guard directory == AT_FDCWD else { return -EBADF }
            return makeDirectory(at: path)
        case .shutdown(_, let how):
            return shutdown(op.target, how: how)
        }
    }

    // MARK: Streams and files

    private func total(_ vectors: [UnsafeMutableRawBufferPointer]) -> Int {
        unsafe vectors.reduce(0) { $0 + $1.count }
    }

    /// Reads from the stream of a pipe or stream socket across `vectors`, each filled before the next.
    private func receive(_ op: SimOp, _ vectors: [UnsafeMutableRawBufferPointer]) -> Int32 {
        let room = unsafe total(vectors)
        if room == 0 { return 0 }
        guard let stream = readable(op.target) else { return -EBADF }
        if stream.reset { return -ECONNRESET }
        if stream.available == 0 { return 0 }  // end of file
        let n = shortened(min(room, stream.available))
        var left = n
        for unsafe vector in unsafe vectors where left > 0 {
            let k = min(left, vector.count)
            unsafe stream.read(into: vector, count: k)
            left -= k
        }
        return Int32(n)
    }

    /// Writes to the stream of a pipe or stream socket the bytes of `vectors`, in order.
    private func send(_ op: SimOp, _ vectors: [UnsafeMutableRawBufferPointer]) -> Int32 {
        let count = unsafe total(vectors)
        if count == 0 { return 0 }
        guard let stream = writable(op.target) else { return -EBADF }
        if stream.reset { return -ECONNRESET }
        if stream.readerClosed { return -EPIPE }
        let n = shortened(min(count, stream.room))
        stream.write(unsafe gather(vectors, count: n))
        return Int32(n)
    }

    /// The first `count` bytes of `vectors`, in order.
    private func gather(_ vectors: [UnsafeMutableRawBufferPointer], count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for unsafe vector in unsafe vectors where bytes.count < count {
            unsafe bytes += vector.prefix(count - bytes.count)
        }
        return bytes
    }

    private func readFile(_ file: SimFile, _ descriptor: SimDescriptor, _ offset: UInt64,
                          _ vectors: [UnsafeMutableRawBufferPointer]) -> Int32 {
        if file.isDirectory { return -EISDIR }
        let start = offset == .max ? descriptor.position : Int(clamping: offset)
        let n = shortened(max(0, min(unsafe total(vectors), file.data.count - start)))
        var copied = 0
        for unsafe vector in unsafe vectors where copied < n {
            let k = min(n - copied, vector.count)
            for i in 0..<k { unsafe vector[i] = file.data[start + copied + i] }
            copied += k
        }
        if offset == .max { descriptor.position += n }
        return Int32(n)
    }

    private func writeFile(_ file: SimFile, _ descriptor: SimDescriptor, _ offset: UInt64,
                           _ vectors: [UnsafeMutableRawBufferPointer]) -> Int32 {
        if file.isDirectory { return -EISDIR }
        let start = offset == .max ? descriptor.position : Int(clamping: offset)
        let n = shortened(unsafe total(vectors))
        let bytes = unsafe gather(vectors, count: n)
        if file.data.count < start + n { file.data += [UInt8](repeating: 0, count: start + n - file.data.count) }
        file.data.replaceSubrange(start..<start + n, with: bytes)
        if offset == .max { descriptor.position += n }
        return Int32(n)
    }

    // MARK: Datagrams

    private func receiveDatagram(_ socket: SimDatagramSocket, _ vectors: [UnsafeMutableRawBufferPointer],
                                 _ header: UnsafeMutablePointer<msghdr>) -> Int32 {
        let datagram = socket.queue.removeFirst()
        var copied = 0
        for unsafe vector in unsafe vectors where copied < datagram.bytes.count {
            let k = min(datagram.bytes.count - copied, vector.count)
            for i in 0..<k { unsafe vector[i] = datagram.bytes[copied + i] }
            copied += k
        }
        unsafe header.pointee.msg_flags = copied < datagram.bytes.count ? Int32(MSG_TRUNC) : 0
        if let name = unsafe header.pointee.msg_name {
            unsafe datagram.from.withSockAddr { address, length in
                let n = unsafe min(Int(length), Int(header.pointee.msg_namelen))
                unsafe name.copyMemory(from: address, byteCount: n)
                unsafe header.pointee.msg_namelen = length
            }
        }
        return Int32(copied)
    }

    private func sendDatagram(_ socket: SimDatagramSocket, _ vectors: [UnsafeMutableRawBufferPointer],
                              to destination: SocketAddress?) -> Int32 {
        guard let destination else { return -EDESTADDRREQ }
        let count = unsafe total(vectors)
        if count > 65_507 { return -EMSGSIZE }
        // Sent to nobody, a datagram is lost, as on a real network.
        if let receiver = datagramSocket(port: destination.port) {
            receiver.queue.append((unsafe gather(vectors, count: count), socket.address))
        }
        return Int32(count)
    }

    private func datagramSocket(port: UInt16) -> SimDatagramSocket? {
        for descriptor in descriptors.values where descriptor.isOpen {
            if case .datagram(let socket) = descriptor.object, socket.address.port == port { return socket }
        }
        return nil
    }

    // MARK: Sockets

    private func shutdown(_ target: SimDescriptor?, how: Int32) -> Int32 {
        switch target?.object {
        case .socket(let socket)?:
            guard socket.isConnected else { return -ENOTCONN }
            guard how == Int32(SHUT_RD) || how == Int32(SHUT_WR) || how == Int32(SHUT_RDWR) else { return -EINVAL }
            if how != Int32(SHUT_WR) { socket.inbound?.writerClosed = true }  // reads see end of file
            if how != Int32(SHUT_RD) { socket.outbound?.writerClosed = true }  // so does the peer
            return 0
        case .datagram?, .listener?:
            return -ENOTCONN
        default:
            return -ENOTSOCK
        }
    }

    // MARK: The file table

    private func statx(_ op: SimOp, directory: Int32, path: String, into result: UnsafeMutableRawPointer?) -> Int32 {
        let size: Int
        let mode: UInt32
        if path.isEmpty, let target = op.target {
            switch target.object {
            case .file(let file): size = file.data.count; mode = file.isDirectory ? 0o040755 : 0o100644
            case .pipeReader, .pipeWriter: size = 0; mode = 0o010600
            case .socket, .listener, .datagram: size = 0; mode = 0o140777
            }
        } else {
            guard directory == AT_FDCWD else { return -EBADF }
            guard let file = files[path] else { return -ENOENT }
            size = file.data.count
            mode = file.isDirectory ? 0o040755 : 0o100644
        }
        guard let result = unsafe result else { return -EFAULT }
        let status = FileStatus(size: UInt64(size), mode: mode, blocks: UInt64((size + 511) / 512))
        unsafe status.store(asStatxAt: result)
        return 0
    }

    private func children(of path: String) -> [String] {
        files.keys.filter { $0.hasPrefix(path + "/") }
    }

    private func parentIsUsable(_ path: String) -> Int32? {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        if let parent = files[String(path[..<slash])], !parent.isDirectory { return -ENOTDIR }
        return nil  // the simulated namespace is flat: a parent it does not know is taken as there
    }

    private func unlink(_ path: String, removingDirectory: Bool) -> Int32 {
        guard let file = files[path] else { return -ENOENT }
        if removingDirectory {
            guard file.isDirectory else { return -ENOTDIR }
            guard children(of: path).isEmpty else { return -ENOTEMPTY }
        } else if file.isDirectory {
            return -EISDIR
        }
        files[path] = nil
        return 0
    }

    private func rename(_ oldPath: String, to newPath: String, replacing: Bool) -> Int32 {
        guard let file = files[oldPath] else { return -ENOENT }
        if oldPath == newPath { return 0 }
        if let error = parentIsUsable(newPath) { return error }
        if let existing = files[newPath] {
            guard replacing else { return -EEXIST }
            if existing.isDirectory && !file.isDirectory { return -EISDIR }
            if !existing.isDirectory && file.isDirectory { return -ENOTDIR }
            if existing.isDirectory && !children(of: newPath).isEmpty { return -ENOTEMPTY }
        }
        if file.isDirectory && newPath.hasPrefix(oldPath + "/") { return -EINVAL }
        for child in children(of: oldPath) {
            files[newPath + child.dropFirst(oldPath.count)] = files.removeValue(forKey: child)
        }
        files[oldPath] = nil
        files[newPath] = file
        return 0
    }

    private func makeDirectory(at path: String) -> Int32 {
        if files[path] != nil { return -EEXIST }
        if let error = parentIsUsable(path) { return error }
        let directory = SimFile(data: [])
        directory.isDirectory = true
        files[path] = directory
        return 0
    }

    // MARK: The buffer watch

    /// Records a violation for every operation the kernel has not run yet whose lent regions lie in
    /// the freed buffer [`start`, `end`) (`base`): the watch's check of ``SimBackend/inFlight``
    /// covers one region per operation, a vectored operation or a message lends several.
    func checkLentRegions(freedFrom start: UInt, to end: UInt, base: UnsafeMutableRawPointer) {
        var queued: [SimOp] = []
        for submission in sq { if case .operation(let op) = submission { queued.append(op) } }
        for op in queued + pending {
            guard case .more(let request) = op.request, !freedRegions.contains(op.userData) else { continue }
            for unsafe region in unsafe request.watchedRegions {
                guard let regionBase = region.baseAddress else { continue }
                let address = UInt(bitPattern: regionBase)
                if address >= start && address < end || (region.count > 0 && address < start && address + UInt(region.count) > start) {
                    violation(unsafe "buffer \(base) freed while operation \(OpToken.decode(op.userData).token) is in flight")
                    freedRegions.insert(op.userData)  // the simulated kernel must not touch it
                    break
                }
            }
        }
    }

    // MARK: The test's side

    /// A simulated UDP socket bound to 127.0.0.1:`port` (0: the next free port from 50000).
    public func makeDatagramSocket(port: UInt16 = 0) -> Int32 {
        var port = port
        if port == 0 {
            port = 50_000
            while datagramSocket(port: port) != nil { port += 1 }
        }
        return addDescriptor(.datagram(SimDatagramSocket(address: .loopback(port: port))), origin: .test)
    }

    /// The address a simulated datagram socket is bound to.
    public func datagramAddress(_ fd: Int32) -> SocketAddress? {
        guard case .datagram(let socket)? = descriptors[fd]?.object else { return nil }
        return socket.address
    }

    /// A peer at `sender` sends the datagram `bytes` to the simulated datagram socket `fd`.
    public func injectDatagram(_ bytes: [UInt8], from sender: SocketAddress, into fd: Int32) {
        guard case .datagram(let socket)? = descriptors[fd]?.object else {
            return violation("inject a datagram into \(fd), which is not a simulated datagram socket")
        }
        socket.queue.append((bytes, sender))
    }

    /// The datagrams waiting to be received at the simulated datagram socket `fd`.
    public func queuedDatagrams(_ fd: Int32) -> [[UInt8]] {
        guard case .datagram(let socket)? = descriptors[fd]?.object else { return [] }
        return socket.queue.map(\.bytes)
    }

    /// A simulated directory at `path` (for ``IO/mkdir(_:mode:directory:)`` and friends).
    public func makeDirectory(_ path: String) {
        let directory = SimFile(data: [])
        directory.isDirectory = true
        files[path] = directory
    }

    /// `true` when the simulated file table holds a directory at `path`.
    public func isDirectory(_ path: String) -> Bool { files[path]?.isDirectory ?? false }
}

/// A simulated UDP socket: datagrams sent to its port wait here, each with its sender.
public final class SimDatagramSocket {
    /// The address it is bound to (sends find it by port).
    public let address: SocketAddress
    /// Datagrams not received yet, in arrival order.
    var queue: [(bytes: [UInt8], from: SocketAddress)] = []
    init(address: SocketAddress) { self.address = address }
}
