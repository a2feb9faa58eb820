import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// A client connection that flushes its pending replies when it goes out of scope, then closes —
/// a flush-on-drop connection wrapper whose drop is asynchronous, which a Rust `Drop` cannot be.
///
/// Its async drop is composed (`closing`): it flushes the replies (held ones included, once the AOF
/// acknowledges them) within ``ServerConfig/flushTimeout``; then, if every reply went out and the
/// client has not closed its side, it half-closes and reads and discards what the client still
/// sends for a short linger (so the close does not reset the connection under a reply the client
/// has not read); last, the owned socket closes through the ring. A synchronous drop closes the
/// socket at once.
public struct ClientConnection: AsyncDroppable, ~Copyable {
    /// The socket's descriptor, owned by the connection.
    public let fd: Int32
    /// The replies not yet sent.
    var replies: Replies
    /// The peer closed its side (no linger needed).
    var peerClosed = false
    let flushTimeout: UInt64
    let lingerTimeout: UInt64
    private var socket: Socket?
    private var closing: Closing?
    private var closingDone = false

    /// Owns `socket`; replies gated by `aof` (if any) are held until acknowledged. `maxPendingOutput`
    /// is the bound the connection keeps its pending replies near (their buffers grow up to it by
    /// doubling, then to what they must hold).
    public init(socket: consuming Socket, aof: AppendOnlyFile?, flushTimeout: UInt64, lingerTimeout: UInt64,
                maxPendingOutput: Int = ServerConfig().maxPendingOutput) {
        fd = socket.raw
        replies = Replies(fd: socket.raw, aof: aof, growthLimit: maxPendingOutput)
        self.flushTimeout = flushTimeout
        self.lingerTimeout = lingerTimeout
        self.socket = consume socket
    }

    /// Flushes, lingers, then closes through the ring.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if let socket = socket.take() {
            // The replies move into the flush; what stays behind is empty.
            let flush = exchange(&replies, with: Replies(fd: fd, aof: nil)).flush()
            closing = Self.closing(flush, socket, peerClosed: peerClosed, flushTimeout: flushTimeout,
                                   lingerTimeout: lingerTimeout)
        }
        if !closingDone {
            guard closing!.poll(&cx).isReady else { return .pending }
            closingDone = true
        }
        return closing.pollDropReady(&cx)  // closes the socket
    }

    /// What the linger needs once the flush is over: the socket, whether to linger, for how long.
    typealias Linger = (fd: Int32, wanted: Bool, timeout: UInt64)
    /// The close, spelled out once.
    typealias Closing = Using<Socket, Then<Timeout<Replies.Flush>, Linger, Either<Ready<Void>, Map<Timeout<Discard>, Void, Void>>>>
    /// Reading and discarding until the client closes.
    typealias Discard = Loop<IOBuffer, Void, Map<RecvOp, Void, LoopStep<IOBuffer, Void>>>

    /// The flush within `flushTimeout`; then, if it sent everything and the client has not closed
    /// its side, FIN after the last reply and a linger of `lingerTimeout` discarding input; the
    /// socket closes when the result is dropped (``using(_:_:)`` drops the body, then the socket).
    static func closing(_ flush: consuming Replies.Flush, _ socket: consuming Socket, peerClosed: Bool,
                        flushTimeout: UInt64, lingerTimeout: UInt64) -> Closing {
        let linger: Linger = (socket.raw, !peerClosed, lingerTimeout)
        return Using(socket, body: timeout(nanoseconds: flushTimeout, flush).then(carrying: linger) { linger, flushed in
            guard case .success(true) = flushed, linger.wanted else { return Either.first(ready(())) }
            shutdown(linger.fd, Int32(SHUT_WR))  // FIN after the last reply
            return .second(timeout(nanoseconds: linger.timeout, discardInput(linger.fd)).map(carrying: ()) { _, _ in })
        })
    }

    /// Receives and discards until the client closes or the receive fails.
    static func discardInput(_ fd: Int32) -> Discard {
        loop(IOBuffer(capacity: 4096)) { [fd] buffer in
            IO.recv(fd, into: buffer).map(carrying: ()) { _, got -> LoopStep<IOBuffer, Void> in
                guard case .success(let n) = got.result, n > 0 else { return .done(()) }
                var buffer = got.buffer
                buffer.clear()
                return .next(buffer)
            }
        }
    }
}
