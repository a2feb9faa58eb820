#if canImport(Glibc)
import Glibc
#endif

/// An owned socket: noncopyable, closed exactly once (see ``OwnedDescriptor``). Its methods build
/// the operation futures; its async drop closes it through the ring.
///
/// ```swift
/// let listener = try Socket.listen(on: .loopback(port: 0))
/// let connection = try executor.blockOn(listener.accept()).get()
/// let sent = try executor.blockOn(connection.socket.send(IOBuffer(string: "hello")))
/// ```
public struct Socket: AsyncDroppable, ~Copyable {
    /// The owned descriptor.
    public var descriptor: OwnedDescriptor

    /// The descriptor number, for calls the library does not wrap. It stays owned by this socket.
    public var raw: Int32 { descriptor.raw }

    /// Takes ownership of the socket `raw`.
    public init(adopting raw: Int32) { descriptor = OwnedDescriptor(adopting: raw) }

    /// A TCP socket listening on `address` (SO_REUSEADDR, CLOEXEC); port 0 picks a free port
    /// (``localAddress()`` tells which).
    public static func listen(on address: SocketAddress, backlog: Int32 = 1024) throws(IOError) -> Socket {
        Socket(adopting: try Sockets.listen(on: address, backlog: backlog))
    }

    /// Connects a new TCP socket to `address`: the connected socket, or the error (the socket is
    /// closed then).
    public static func connect(to address: SocketAddress) -> ConnectSocket { ConnectSocket(to: address) }

    /// The address this socket is bound to.
    public func localAddress() throws(IOError) -> SocketAddress { try Sockets.localAddress(raw) }

    /// Accepts a connection (CLOEXEC). If the accept is cancelled but a connection was accepted
    /// anyway, that descriptor is closed, not leaked.
    public func accept() -> AcceptSocket {
        Map(IO.accept(raw), carrying: ()) { _, result in
            switch result {
            case .success(let accepted): .success(Connection(socket: Socket(adopting: accepted.fd), peer: accepted.peer))
            case .failure(let error): .failure(error)
            }
        }
    }

    /// Receives into `buffer`'s spare capacity.
    public func recv(into buffer: consuming IOBuffer, flags: Int32 = 0) -> RecvOp { IO.recv(raw, into: buffer, flags: flags) }

    /// Sends `buffer`'s valid bytes from index `from` (possibly only some: see ``WriteAll``).
    public func send(_ buffer: consuming IOBuffer, from: Int = 0, flags: Int32 = 0) -> SendOp {
        IO.send(raw, buffer, from: from, flags: flags)
    }

    /// Sends all of `buffer`'s valid bytes, continuing after short sends.
    public func sendAll(_ buffer: consuming IOBuffer, flags: Int32 = 0) -> WriteAll { WriteAll.send(raw, buffer, flags: flags) }

    /// Sends the valid bytes of each of `buffers` in turn (writev), possibly only the first ones:
    /// one submission for a reply built in pieces.
    public func writev(_ buffers: consuming IOBufferList) -> WritevOp { IO.writev(raw, buffers) }

    /// Receives into the spare capacity of each of `buffers` in turn (readv).
    public func readv(into buffers: consuming IOBufferList) -> ReadvOp { IO.readv(raw, into: buffers) }

    /// Shuts down `how` of the connection: after ``IO/Shutdown/How/write``, the peer reads end of
    /// file once it has what was sent before. The socket stays open until it is closed.
    public func shutdown(_ how: IO.Shutdown.How) -> ShutdownOp { IO.shutdown(raw, how) }

    /// Closes the socket and returns the close's result.
    public consuming func close() -> CloseDescriptor { CloseDescriptor(descriptor) }

    /// Closes the socket through the ring.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { descriptor.pollDropReady(&cx) }
}

/// An accepted connection: the owned socket and the peer's address.
@frozen
public struct Connection: ~Copyable {
    /// The connection's socket.
    public var socket: Socket
    /// The peer's address.
    public var peer: SocketAddress
}

/// The future of ``Socket/accept()``.
public typealias AcceptSocket = Map<AcceptOp, Void, Result<Connection, IOError>>

/// The future of ``Socket/connect(to:)``: the connected socket, or why not.
public struct ConnectSocket: Future, ~Copyable {
    @usableFromInline var socket: Socket?
    @usableFromInline var connect: ConnectOp?
    @usableFromInline var failure: IOError?

    /// Creates the socket now (a plain call) and connects it on first poll.
    public init(to address: SocketAddress) {
        do {
            let raw = try Sockets.tcp(for: address)
            socket = Socket(adopting: raw)
            connect = IO.connect(raw, to: address)
            failure = nil
        } catch {
            socket = nil
            connect = nil
            failure = error
        }
    }

    /// The connected socket; on failure the socket is released (closed).
    public mutating func poll(_ cx: inout Context) -> Poll<Result<Socket, IOError>> {
        if let failure { return .ready(.failure(failure)) }
        guard case .ready(let result) = connect!.poll(&cx) else { return .pending }
        connect = nil
        switch result {
        case .success: return .ready(.success(socket.take()!))
        case .failure(let error):
            failure = error
            return .ready(.failure(error))
        }
    }

    /// Cancels the connect if it is in flight, then closes the socket.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.sequence(&cx, &connect, &socket)
    }
}
