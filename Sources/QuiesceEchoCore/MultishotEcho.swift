import Quiesce

/// An echo connection that receives with one multishot receive (``IO/recvMultishot(_:from:flags:)``)
/// from a ``ProvidedBufferRing`` shared by every connection: a connection waiting for data pins no
/// receive buffer; the kernel picks one from the ring only when bytes arrive. Each lease's bytes are
/// copied into a send buffer taken from an ``IOBufferPool`` shared by every connection, and the
/// lease goes back to the ring at once; the send buffer goes back to the pool when its send is done.
/// An idle connection holds neither, and in steady state nothing is allocated per message.
///
/// It is ready when the peer closes or an operation fails. Its async drop cancels the receive (and
/// waits for its final completion: buffers nobody took go back to the ring) and the send in flight,
/// then closes the socket through the ring.
public struct MultishotEcho: Future, ~Copyable {
    // Declared before the socket: a synchronous drop lets go of the operations first.
    var receives: RecvMultishotOp?
    /// The send in flight, or the last one: a completed send stays until the next one replaces it
    /// (it holds nothing once its buffer came back, and dropping it does nothing).
    var sending: WriteAll?
    /// `true` while `sending` holds a send that has not completed (a byte, where asking the large
    /// optional for `nil` would copy it).
    var isSending = false
    let sendBuffers: IOBufferPool
    var socket: Socket

    /// An echo connection on `socket`, receiving from `ring` (registered with the executor's driver)
    /// and sending from buffers of `sendBuffers`, whose buffers hold at least one ring buffer.
    public init(_ socket: consuming Socket, ring: ProvidedBufferRing, sendBuffers: IOBufferPool) {
        precondition(sendBuffers.bufferCapacity >= ring.size, "send buffers (\(sendBuffers.bufferCapacity) bytes) smaller than the ring's (\(ring.size))")
        receives = IO.recvMultishot(socket.raw, from: ring)
        self.sendBuffers = sendBuffers
        self.socket = socket
    }

    /// Echoes what arrives: waits for the send in flight, then takes the next received buffer and
    /// sends a copy of its bytes. `.ready` when the peer closed or an operation failed.
    public mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if isSending {
                guard case .ready(let sent) = sending!.poll(&cx) else { return .pending }
                isSending = false
                let failed: Bool
                if case .success = sent.result { failed = false } else { failed = true }
                sendBuffers.give(sent.buffer)
                if failed { return .ready(()) }
            }
            guard case .ready(let next) = receives!.pollNext(&cx) else { return .pending }
            guard let next else { return .ready(()) }  // the peer closed
            switch consume next {
            case .success(let lease):
                var out = sendBuffers.take()
                _ = unsafe lease.withUnsafeBytes { unsafe out.append(contentsOf: $0) }
                sending.setInPlace(WriteAll.send(socket.raw, out))
                isSending = true
            case .failure:
                return .ready(())
            }
        }
    }

    /// Cancels the receive and the send in flight and waits for both, then closes the socket
    /// through the ring.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard DropGlue.join(&cx, &receives, &sending).isReady else { return .pending }
        return socket.pollDropReady(&cx)
    }
}
