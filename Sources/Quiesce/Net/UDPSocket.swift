import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// An owned UDP socket: noncopyable, closed exactly once (see ``OwnedDescriptor``). Its methods
/// build the operation futures (datagrams through recvmsg and sendmsg, with addresses); its async
/// drop closes it through the ring.
///
/// ```swift
/// let socket = try UDPSocket.bind(to: .loopback(port: 0))
/// let sent = executor.blockOn(socket.send(IOBuffer(string: "ping"), to: peer))
/// let message = try executor.blockOn(socket.receive(into: IOBuffer(capacity: 2048)))
/// // message.result: the byte count; message.peer: the sender; message.buffer: the datagram
/// ```
public struct UDPSocket: AsyncDroppable, ~Copyable {
    /// The owned descriptor.
    public var descriptor: OwnedDescriptor
    /// The message memory this socket's receives use in turn (the header and the room for the
    /// sender's address), so that receiving allocates nothing in steady state.
    let messageMemory = MessageMemory.Pool()

    /// The descriptor number, for calls the library does not wrap. It stays owned by this socket.
    public var raw: Int32 { descriptor.raw }

    /// Takes ownership of the datagram socket `raw`.
    public init(adopting raw: Int32) { descriptor = OwnedDescriptor(adopting: raw) }

    /// A UDP socket (CLOEXEC) bound to `address`; port 0 picks a free port (``localAddress()``
    /// tells which).
    public static func bind(to address: SocketAddress) throws(IOError) -> UDPSocket {
        let fd = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errno: errno, operation: "socket") }
        let socket = UDPSocket(adopting: fd)  // closed by its deinit if the bind fails
        let bound = unsafe address.withSockAddr { unsafe Glibc.bind(fd, $0, $1) }
        guard bound == 0 else { throw IOError(errno: errno, operation: "bind \(address)") }
        return socket
    }

    /// The address this socket is bound to.
    public func localAddress() throws(IOError) -> SocketAddress { try Sockets.localAddress(raw) }

    /// Sends `buffer`'s valid bytes from index `from` as one datagram to `address`; `.ready` with
    /// the byte count and the buffer.
    public func send(_ buffer: consuming IOBuffer, to address: SocketAddress, from: Int = 0) -> SendMsgOp {
        IO.sendmsg(raw, buffer, to: address, from: from)
    }

    /// Receives one datagram into `buffer`'s spare capacity; `.ready` with the byte count, the
    /// sender's address, whether the datagram was cut to fit, and the buffer. Its async drop
    /// cancels a receive still waiting and hands nothing back; ``IOOperation/cancel(_:)`` hands the
    /// buffer back. The message header and the room for the sender's address are lent by the
    /// socket, reused by later receives once this one and its driver slot are gone: up to 16
    /// receives at once allocate nothing beyond their buffers.
    public func receive(into buffer: consuming IOBuffer) -> RecvMsgOp {
        IO.recvmsg(raw, into: buffer, pool: messageMemory)
    }

    /// Closes the socket and returns the close's result.
    public consuming func close() -> CloseDescriptor { CloseDescriptor(descriptor) }

    /// Closes the socket through the ring.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { descriptor.pollDropReady(&cx) }
}
