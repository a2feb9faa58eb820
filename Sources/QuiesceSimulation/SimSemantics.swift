import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// What each request does in the simulated kernel: when it can complete, and its effect and result.
extension SimBackend {
    /// `true` when `op` would complete if the kernel ran it now.
    func canComplete(_ op: SimOp) -> Bool {
        if op.running && !faults.runningIgnoresCancel { return true }  // completes on its own, or is interrupted
        return isReady(op)
    }

    private func isReady(_ op: SimOp) -> Bool {
        switch op.request {
        case .nop, .openat, .close, .fsync, .cancelFD, .connect, .cancel, .unsupported:
            return true
        case .more(let request):
            return isReady(op, request)
        case .timeout:
            return clock >= op.deadline
        case .read, .recv:
            guard let region = unsafe op.region, region.count > 0 else { return true }
            if case .file? = op.target?.object { return true }  // a regular file never blocks
            return readable(op.target) != nil
        case .write, .send, .sendZC:
            if op.notifying { return true }  // the last completion comes on its own
            guard let region = unsafe op.region, region.count > 0 else { return true }
            if case .file? = op.target?.object { return true }
            return writable(op.target) != nil
        case .accept, .acceptMultishot:
            guard case .listener(let listener)? = op.target?.object else { return true }
            return !listener.pending.isEmpty
        case .recvMultishot:
            return readable(op.target) != nil || op.target.map { if case .socket = $0.object { false } else { true } } ?? true
        case .poll(_, let events):
            return pollEvents(op.target, events) != 0
        }
    }

    /// The stream a read can take from now (bytes, end of file, or a reset to report); `nil`: blocked.
    func readable(_ target: SimDescriptor?) -> SimStream? {
        let stream: SimStream?
        switch target?.object {
        case .pipeReader(let s)?: stream = s
        case .socket(let socket)?: stream = socket.inbound
        default: return nil
        }
        guard let stream else { return nil }
        return stream.available > 0 || stream.writerClosed || stream.reset ? stream : nil
    }

    func writable(_ target: SimDescriptor?) -> SimStream? {
        let stream: SimStream?
        switch target?.object {
        case .pipeWriter(let s)?: stream = s
        case .socket(let socket)?: stream = socket.outbound
        default: return nil
        }
        guard let stream else { return nil }
        return stream.room > 0 || stream.readerClosed || stream.reset ? stream : nil
    }

    private func pollEvents(_ target: SimDescriptor?, _ events: UInt32) -> UInt32 {
        var ready: UInt32 = 0
        switch target?.object {
        case .listener(let listener)?:
            if !listener.pending.isEmpty { ready |= UInt32(POLLIN) }
        case .file?:
            ready = UInt32(POLLIN | POLLOUT)
        case .datagram(let socket)?:
            ready = UInt32(POLLOUT) | (socket.queue.isEmpty ? 0 : UInt32(POLLIN))
        default:
            if readable(target) != nil { ready |= UInt32(POLLIN) }
            if writable(target) != nil { ready |= UInt32(POLLOUT) }
        }
        return ready & (events | UInt32(POLLHUP | POLLERR))
    }

    /// Runs `op` (which can complete) and returns its result; faults are drawn here.
    func perform(_ op: SimOp) -> Int32 {
        // SAFETY: `op.region` and `op.storage` are valid here: the operation's completion is not
        // posted yet (the ``IOBackend`` contract keeps them until it is reaped), and an operation
        // whose memory was freed under it is answered -EFAULT before anything touches it. Every
        // transfer below stays within `region.count` bytes.
        if freedRegions.remove(op.userData) != nil { return -EFAULT }  // its memory is gone
        if op.running && !isReady(op) {
            statistics.eintrs += 1
            return -EINTR  // interrupted by its cancellation
        }
        if let fault = drawFault(op) { return fault }
        switch op.request {
        case .nop:
            return 0
        case .timeout:
            return -ETIME
        case .read, .recv:
            return transferIn(op)
        case .write, .send:
            return transferOut(op)
        case .accept:
            return accept(op)
        case .connect(let fd):
            return unsafe connect(fd, op.region)
        case .cancel, .unsupported:
            return -EINVAL
        case .more(let request):
            return perform(op, request)
        case .acceptMultishot, .recvMultishot, .sendZC:
            return -EINVAL  // these complete through performStep
        case .openat(_, let flags, _):
            return unsafe open(op.region, flags: flags)
        case .close:
            op.target?.close()
            return 0
        case .fsync:
            if case .file? = op.target?.object { return 0 }
            return -EINVAL
        case .poll(_, let events):
            return Int32(pollEvents(op.target, events))
        case .cancelFD(let fd):
            var count: Int32 = 0
            while let index = pending.firstIndex(where: { $0.request.descriptor == fd }) {
                let victim = pending.remove(at: index)
                post(victim.userData, -ECANCELED)
                count += 1
            }
            return count > 0 ? count : -ENOENT
        }
    }

    func drawFault(_ op: SimOp) -> Int32? {
        let retryable: Bool
        let isSocket: Bool
        switch op.request {
        case .read, .write, .recv, .send, .accept, .connect, .acceptMultishot, .recvMultishot, .sendZC: retryable = true
        case .more(let request): retryable = request.isTransfer
        default: retryable = false
        }
        if case .socket? = op.target?.object { isSocket = true } else { isSocket = false }
        if retryable && rng.chance(faults.eintr) { statistics.eintrs += 1; return -EINTR }
        if retryable && rng.chance(faults.eagain) { statistics.eagains += 1; return -EAGAIN }
        if retryable && rng.chance(faults.enomem) { statistics.enomems += 1; return -ENOMEM }
        if retryable && isSocket && rng.chance(faults.connectionReset), case .socket(let socket)? = op.target?.object {
            statistics.connectionResets += 1
            socket.inbound?.reset = true
            socket.outbound?.reset = true
            return -ECONNRESET
        }
        return nil
    }

    func shortened(_ count: Int) -> Int {
        guard count > 1, rng.chance(faults.shortTransfer) else { return count }
        statistics.shortTransfers += 1
        return rng.pick(1...count - 1)
    }

    private func transferIn(_ op: SimOp) -> Int32 {
        guard let region = unsafe op.region, region.count > 0 else { return 0 }
        if case .file(let file)? = op.target?.object {
            return unsafe readFile(file, op, region)
        }
        if case .recv = op.request, case .pipeReader? = op.target?.object { return -ENOTSOCK }
        guard let stream = readable(op.target) else { return -EBADF }
        if stream.reset { return -ECONNRESET }
        if stream.available == 0 { return 0 }  // end of file
        let n = shortened(min(region.count, stream.available))
        unsafe stream.read(into: region, count: n)
        return Int32(n)
    }

    private func readFile(_ file: SimFile, _ op: SimOp, _ region: UnsafeMutableRawBufferPointer) -> Int32 {
        guard case .read(_, let offset) = op.request, let descriptor = op.target else { return -ENOTSOCK }
        let start = offset == .max ? descriptor.position : Int(clamping: offset)
        let n = shortened(max(0, min(region.count, file.data.count - start)))
        for i in 0..<n { unsafe region[i] = file.data[start + i] }
        if offset == .max { descriptor.position += n }
        return Int32(n)
    }

    func transferOut(_ op: SimOp) -> Int32 {
        guard let region = unsafe op.region, region.count > 0 else { return 0 }
        if case .file(let file)? = op.target?.object {
            guard case .write(_, let offset) = op.request, let descriptor = op.target else { return -ENOTSOCK }
            let start = offset == .max ? descriptor.position : Int(clamping: offset)
            let n = shortened(region.count)
            if file.data.count < start + n { file.data += [UInt8](repeating: 0, count: start + n - file.data.count) }
            for i in 0..<n { file.data[start + i] = unsafe region[i] }
            if offset == .max { descriptor.position += n }
            return Int32(n)
        }
        if case .send = op.request, case .pipeWriter? = op.target?.object { return -ENOTSOCK }
        if case .sendZC = op.request, case .pipeWriter? = op.target?.object { return -ENOTSOCK }
        guard let stream = writable(op.target) else { return -EBADF }
        if stream.reset { return -ECONNRESET }
        if stream.readerClosed { return -EPIPE }
        let n = shortened(min(region.count, stream.room))
        unsafe stream.write(UnsafeRawBufferPointer(rebasing: region[0..<n]))
        return Int32(n)
    }

    private func accept(_ op: SimOp) -> Int32 {
        guard case .listener(let listener)? = op.target?.object else { return -ENOTSOCK }
        guard case .accept(_, _, let address, let length) = op.request else { return -EINVAL }
        let server = listener.pending.removeFirst()
        let fd = addDescriptor(.socket(server), origin: .kernel)
        let peer = SocketAddress.loopback(port: UInt16(truncatingIfNeeded: 40_000 + Int(fd % 20_000)))
        if let address = unsafe address, let length = unsafe length {
            unsafe peer.withSockAddr { source, size in
                let n = unsafe min(Int(size), Int(length.pointee))
                unsafe UnsafeMutableRawPointer(address).copyMemory(from: source, byteCount: n)
                unsafe length.pointee = size
            }
        }
        return fd
    }

    private func connect(_ fd: Int32, _ region: UnsafeMutableRawBufferPointer?) -> Int32 {
        guard let descriptor = descriptors[fd], case .socket(let socket) = descriptor.object else { return -ENOTSOCK }
        if socket.isConnected { return -EISCONN }
        guard let region = unsafe region else { return -EFAULT }
        let address = unsafe SocketAddress(bytes: UnsafeRawBufferPointer(region))
        guard let listener = listeners[address.port] else { return -ECONNREFUSED }
        let (client, server) = SimSocket.pair(capacity: streamCapacity)
        socket.inbound = client.inbound
        socket.outbound = client.outbound
        listener.pending.append(server)
        return 0
    }

    private func open(_ region: UnsafeMutableRawBufferPointer?, flags: Int32) -> Int32 {
        guard let region = unsafe region, let end = unsafe region.firstIndex(of: 0) else { return -EFAULT }
        let path = unsafe String(decoding: region[0..<end], as: UTF8.self)
        let file: SimFile
        if let existing = files[path] {
            if flags & O_CREAT != 0 && flags & O_EXCL != 0 { return -EEXIST }
            file = existing
        } else if flags & O_CREAT != 0 {
            file = SimFile(data: [])
            files[path] = file
        } else {
            return -ENOENT
        }
        if flags & O_TRUNC != 0 { file.data.removeAll() }
        return addDescriptor(.file(file), origin: .kernel)
    }
}
