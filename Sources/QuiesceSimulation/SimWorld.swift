import Quiesce
/// The test's side of the simulation: making descriptors, playing the peer, scripting events on
/// the virtual clock, and reading the state the invariants are checked against.
extension SimBackend {
    /// Bytes a simulated pipe or socket direction holds before writers block.
    public var streamCapacity: Int { 256 }

    func addDescriptor(_ object: SimObject, origin: SimOrigin) -> Int32 {
        let fd = nextDescriptor
        nextDescriptor += 1  // never reused, so a stale descriptor is always caught as EBADF
        descriptors[fd] = SimDescriptor(fd: fd, object: object, origin: origin)
        return fd
    }

    /// A simulated pipe: (read end, write end).
    public func makePipe() -> (read: Int32, write: Int32) {
        let stream = SimStream(capacity: streamCapacity)
        return (addDescriptor(.pipeReader(stream), origin: .test), addDescriptor(.pipeWriter(stream), origin: .test))
    }

    /// A connected pair of simulated stream sockets.
    public func makeSocketPair() -> (Int32, Int32) {
        let (a, b) = SimSocket.pair(capacity: streamCapacity)
        return (addDescriptor(.socket(a), origin: .test), addDescriptor(.socket(b), origin: .test))
    }

    /// A simulated socket, not connected yet (connect it with `IO.connect` to a listener's port).
    public func makeSocket() -> Int32 { addDescriptor(.socket(SimSocket()), origin: .test) }

    /// A simulated listening socket on `port` of 127.0.0.1.
    public func makeListener(port: UInt16) -> Int32 {
        let listener = SimListener(port: port)
        listeners[port] = listener
        return addDescriptor(.listener(listener), origin: .test)
    }

    /// A peer connects to the listener on `port`; returns the peer's descriptor, `nil` if none listens.
    @discardableResult
    public func connectPeer(toPort port: UInt16) -> Int32? {
        guard let listener = listeners[port] else { return nil }
        let (client, server) = SimSocket.pair(capacity: streamCapacity)
        listener.pending.append(server)
        return addDescriptor(.socket(client), origin: .test)
    }

    /// A simulated file at `path` holding `contents` (for `IO.open`).
    public func makeFile(_ path: String, contents: [UInt8] = []) {
        files[path] = SimFile(data: contents)
    }

    /// The contents of the simulated file at `path`.
    public func fileContents(_ path: String) -> [UInt8]? { files[path]?.data }

    /// The peer writes `bytes` so that `fd` (a pipe's read end or a socket) can read them.
    public func inject(_ bytes: [UInt8], into fd: Int32) {
        switch descriptors[fd]?.object {
        case .pipeReader(let stream)?: stream.write(bytes)
        case .socket(let socket)?: socket.inbound?.write(bytes)
        default: violation("inject into \(fd), which is not a readable simulated descriptor")
        }
    }

    /// Takes what was written through `fd` (a pipe's write end or a socket) and not read yet.
    public func drain(_ fd: Int32) -> [UInt8] {
        switch descriptors[fd]?.object {
        case .pipeWriter(let stream)?: return stream.readAll()
        case .socket(let socket)?: return socket.outbound?.readAll() ?? []
        default: return []
        }
    }

    /// The peer hangs up on `fd`: reads drain what is left, then see end of file.
    public func hangUp(_ fd: Int32) {
        switch descriptors[fd]?.object {
        case .pipeReader(let stream)?: stream.writerClosed = true
        case .socket(let socket)?: socket.inbound?.writerClosed = true; socket.outbound?.readerClosed = true
        default: break
        }
    }

    /// Closes `fd` from the test side (no operation involved).
    public func close(_ fd: Int32) {
        descriptors[fd]?.close()
    }

    /// `true` while `fd` is an open simulated descriptor.
    public func isOpen(_ fd: Int32) -> Bool { descriptors[fd]?.isOpen ?? false }

    /// Open descriptors made by `origin`; those from `.kernel` (accept, open) must be closed by the program.
    public func openDescriptors(origin: SimOrigin) -> [Int32] {
        descriptors.values.filter { $0.isOpen && $0.origin == origin }.map(\.fd).sorted()
    }

    /// Runs `action` when the virtual clock reaches now + `nanoseconds` (actions at the same time run
    /// in the order they were scheduled). The clock moves there only when nothing else can happen.
    public func schedule(after nanoseconds: UInt64, _ action: @escaping (SimBackend) -> Void) {
        let time = clock &+ nanoseconds
        scriptOrder += 1
        let index = script.firstIndex { $0.time > time } ?? script.count
        script.insert((time, scriptOrder, action), at: index)
    }

    /// Scripted events that have not happened yet.
    public var scheduledEvents: Int { script.count }

    /// `true` while the kernel holds the submission tagged `userData` (queued, pending, or completed
    /// and not yet reaped by the driver).
    public func isInFlight(_ userData: UInt64) -> Bool { unsafe inFlight[userData] != nil }

    /// Submissions the kernel holds (queued, pending, or completed and not yet reaped).
    public var inFlightCount: Int { unsafe inFlight.count }

    /// The seed's generator for the test's own choices, independent of the kernel's.
    public func workloadRandom() -> SimRandom { SimRandom(seed: seed ^ 0x5EED_F00D_CAFE_BABE) }

    /// A one-line account of the faults and races exercised, for reports.
    public var summary: String {
        let s = statistics
        return "prepared \(s.prepared), cancels \(s.cancelsPrepared) (0: \(s.cancelsSucceeded), ENOENT: \(s.cancelsTooLate), EALREADY: \(s.cancelsAlready)), SQ full \(s.queueFullRejections), short \(s.shortTransfers), EAGAIN \(s.eagains), EINTR \(s.eintrs), ENOMEM \(s.enomems), ECONNRESET \(s.connectionResets), fds closed by driver \(s.descriptorsClosedByDriver), clock advances \(s.clockAdvances)"
    }
}
