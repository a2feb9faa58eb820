import Quiesce

/// An echo connection that receives with one multishot receive (``IO/recvMultishot(_:from:flags:)``)
/// from a ``ProvidedBufferRing`` shared by every connection: a connection waiting for data pins no
/// receive buffer; the kernel picks one from the ring only when bytes arrive. Each lease's bytes are
/// copied into the connection's one send buffer (capacity: the ring's buffer size, reused for every
/// message, so nothing is allocated per message) and the lease goes back to the ring at once.
///
/// It is ready when the peer closes or an operation fails. Its async drop cancels the receive (and
/// waits for its final completion: buffers nobody took go back to the ring) and the send in flight,
/// then closes the socket through the ring.
public struct MultishotEcho: Future, ~Copyable {
    // Declared before the socket: a synchronous drop lets go of the operations first.
    var receives: RecvMultishotOp?
    var sending: WriteAll?
    var buffer: IOBuffer?
    var socket: Socket

    /// An echo connection on `socket`, receiving from `ring` (registered with the executor's driver).
    public init(_ socket: consuming Socket, ring: ProvidedBufferRing) {
        receives = IO.recvMultishot(socket.raw, from: ring)
        buffer = IOBuffer(capacity: ring.size)
        self.socket = socket
    }

    public mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if sending != nil {
                guard case .ready(let sent) = sending!.poll(&cx) else { return .pending }
                sending = nil
                guard case .success = sent.result else { return .ready(()) }
                var reused = sent.buffer
                reused.clear()
                buffer = consume reused
            }
            guard case .ready(let next) = receives!.pollNext(&cx) else { return .pending }
            guard let next else { return .ready(()) }  // the peer closed
            switch consume next {
            case .success(let lease):
                var out = buffer.take()!
                _ = unsafe lease.withUnsafeBytes { unsafe out.append(contentsOf: $0) }
                sending = WriteAll.send(socket.raw, out)
            case .failure:
                return .ready(())
            }
        }
    }

    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard DropGlue.join(&cx, &receives, &sending).isReady else { return .pending }
        return socket.pollDropReady(&cx)
    }
}
