import Quiesce
/// One direction of bytes in the simulated kernel (a pipe, or half of a socket connection), with a
/// bounded capacity so writers can block.
public final class SimStream {
    /// Bytes written and not yet read.
    public private(set) var bytes: [UInt8] = []
    private var head = 0
    /// How many unread bytes the stream holds before writers block.
    public let capacity: Int
    /// The writing side is closed: readers see end of file once the bytes are drained.
    public var writerClosed = false
    /// The reading side is closed: writers get -EPIPE.
    public var readerClosed = false
    /// The connection was reset: both sides get -ECONNRESET.
    public var reset = false

    init(capacity: Int) { self.capacity = capacity }

    /// Unread bytes.
    public var available: Int { bytes.count - head }
    /// Room before writers block.
    public var room: Int { Swift.max(capacity - available, 0) }

    func write(_ source: UnsafeRawBufferPointer) {
        unsafe bytes.append(contentsOf: source)
    }

    func write(_ source: [UInt8]) { bytes.append(contentsOf: source) }

    func read(into target: UnsafeMutableRawBufferPointer, count: Int) {
        // SAFETY: callers pass a `count` no larger than `target.count` and no larger than
        // ``available``.
        for i in 0..<count { unsafe target[i] = bytes[head + i] }
        head += count
        if head == bytes.count { bytes.removeAll(keepingCapacity: true); head = 0 }
    }

    func readAll() -> [UInt8] {
        let out = Array(bytes[head...])
        bytes.removeAll(keepingCapacity: true)
        head = 0
        return out
    }
}

/// A connected (or not yet connected) simulated stream socket.
public final class SimSocket {
    /// Bytes arriving at this socket.
    var inbound: SimStream?
    /// Bytes this socket sends.
    var outbound: SimStream?
    var isConnected: Bool { inbound != nil }

    init() {}

    static func pair(capacity: Int) -> (SimSocket, SimSocket) {
        let a = SimSocket(), b = SimSocket()
        let ab = SimStream(capacity: capacity), ba = SimStream(capacity: capacity)
        a.outbound = ab; b.inbound = ab
        b.outbound = ba; a.inbound = ba
        return (a, b)
    }
}

/// A simulated listening socket: connections wait here until accepted.
public final class SimListener {
    /// The port it listens on (connect finds it by port).
    public let port: UInt16
    /// Server sides of connections not accepted yet.
    var pending: [SimSocket] = []
    init(port: UInt16) { self.port = port }
}

/// A simulated regular file.
public final class SimFile {
    /// The file's contents.
    public var data: [UInt8]
    /// A directory (made by mkdir): its entries are the files whose paths continue its own.
    public internal(set) var isDirectory = false
    init(data: [UInt8]) { self.data = data }
}

/// What a simulated descriptor refers to.
enum SimObject {
    case pipeReader(SimStream)
    case pipeWriter(SimStream)
    case socket(SimSocket)
    case listener(SimListener)
    case file(SimFile)
    case datagram(SimDatagramSocket)
}

/// Who made a simulated descriptor: a test, or the simulated kernel on behalf of an operation (accept,
/// open) — the latter must be closed by the program, so they are the ones the leak check counts.
public enum SimOrigin: Sendable, Equatable {
    /// Made through the ``SimBackend`` API by the test.
    case test
    /// Created by a successful accept or open.
    case kernel
}

/// One entry of the simulated descriptor table.
final class SimDescriptor {
    let fd: Int32
    let object: SimObject
    let origin: SimOrigin
    var isOpen = true
    var position = 0

    init(fd: Int32, object: SimObject, origin: SimOrigin) {
        self.fd = fd
        self.object = object
        self.origin = origin
    }

    /// Closing a descriptor closes its side of the stream it holds (pending operations keep their
    /// reference, as in the kernel: closing does not cancel them).
    func close() {
        isOpen = false
        switch object {
        case .pipeReader(let s): s.readerClosed = true
        case .pipeWriter(let s): s.writerClosed = true
        case .socket(let socket):
            socket.inbound?.readerClosed = true
            socket.outbound?.writerClosed = true
        case .listener, .file, .datagram: break
        }
    }
}
