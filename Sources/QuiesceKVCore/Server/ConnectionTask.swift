import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// One client, as one task: receive requests, run them (pipelined: every complete request in the
/// buffer), queue replies, send them. It completes when the client closes, sends a malformed
/// request, says QUIT, stays idle too long, or the server shuts down; the executor then async-drops
/// it: the receive and timer are cancelled, then the ``ClientConnection`` flushes and closes.
struct ConnectionTask: Future, ~Copyable {
    let server: KVServer
    private var recvOp: BufferOp?
    private var idleTimer: Sleep?
    private var connection: ClientConnection
    private var recvBuffer: IOBuffer?
    private var parser: RESPParser
    private var session: ClientSession
    private var scratch: [UInt8] = []
    private var lastActivity: UInt64 = 0
    private var closeAfterReply = false
    private var registered = false
    private var unregistered = false

    init(server: KVServer, fd: Int32, session: ClientSession) {
        self.server = server
        let config = server.config
        connection = ClientConnection(fd: fd, aof: server.aof, flushTimeout: config.flushTimeout,
                                      lingerTimeout: config.lingerTimeout)
        parser = RESPParser(limits: config.limits)
        self.session = session
        server.connectionOpened()
    }

    deinit {
        if !unregistered { server.connectionClosed(id: session.id) }
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        let now = cx.executor?.driver.now() ?? 0
        if !registered {
            registered = true
            lastActivity = now
            server.register(session.id, cx.waker)
        }
        let maxPending = server.config.maxPendingOutput
        while true {
            var progressed = false
            var drained = false
            // Run every complete request already received, unless replies are backing up.
            while !closeAfterReply && connection.pendingBytes < maxPending {
                switch parser.next() {
                case .incomplete:
                    drained = true
                case .protocolError(let message):
                    scratch.removeAll(keepingCapacity: true)
                    RESPEncoder.error("ERR Protocol error: \(message)", into: &scratch)
                    connection.enqueue(scratch, dependsOn: 0)
                    closeAfterReply = true
                    continue
                case .command(let args):
                    scratch.removeAll(keepingCapacity: true)
                    let effect = server.engine.execute(args, session: &session, reply: &scratch)
                    switch effect {
                    case .none: connection.enqueue(scratch, dependsOn: 0)
                    case .logged(let seq): connection.enqueue(scratch, dependsOn: seq)
                    case .close:
                        connection.enqueue(scratch, dependsOn: 0)
                        closeAfterReply = true
                    }
                    continue
                }
                break
            }
            if closeAfterReply || server.isShuttingDown { return .ready(()) }
            // A client that half-closes after pipelining still gets every reply: finish its requests.
            if connection.peerClosed && drained { return .ready(()) }
            // Replies held for the AOF go out once it acknowledges them (this also registers the wake).
            _ = connection.releaseHeld(&cx)
            if case .failed = connection.pumpSend(&cx) { return .ready(()) }
            // Sending made room while requests are still waiting in the parser: run them now.
            if !drained && connection.pendingBytes < maxPending { continue }
            if recvOp == nil && !connection.peerClosed && connection.pendingBytes < maxPending {
                var buffer = recvBuffer.take() ?? IOBuffer(capacity: 16 * 1024)
                buffer.clear()
                recvOp = IO.recv(connection.fd, into: buffer)
            }
            if recvOp != nil, case .ready(let done) = recvOp!.poll(&cx) {
                recvOp = nil
                progressed = true
                let result = done.result
                switch result {
                case .failure:
                    return .ready(())  // reset by the peer: nothing more to read or deliver
                case .success(0):
                    connection.peerClosed = true
                    continue
                case .success:
                    done.buffer.withUnsafeBytes { parser.feed($0) }
                    server.noteBufferedInput(parser.bufferedCount)
                    recvBuffer = consume done.buffer
                    lastActivity = cx.executor?.driver.now() ?? lastActivity
                }
            }
            if server.config.idleTimeout > 0 {
                if idleTimer == nil {
                    let limit = UInt64(Swift.min(server.config.idleTimeout, 1e9) * 1_000_000_000)
                    let idleFor = (cx.executor?.driver.now() ?? 0) &- lastActivity
                    if idleFor >= limit { return .ready(()) }  // idle: closed through the async drop
                    idleTimer = Sleep(nanoseconds: limit - idleFor)
                }
                if case .ready = idleTimer!.poll(&cx) {
                    idleTimer = nil
                    progressed = true
                }
            }
            if !progressed { return .pending }
        }
    }

    /// Own cleanup first (cancel the receive and the idle timer), then the connection's flush and
    /// close; then the server stops counting this client.
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard DropGlue.sequence(&cx, &recvOp, &idleTimer, &connection).isReady else { return .pending }
        if !unregistered {
            unregistered = true
            server.connectionClosed(id: session.id)
        }
        return .ready(())
    }
}

/// A connection over the client limit: its only reply is the refusal; its drop flushes and closes.
struct RefusedConnection: Future, ~Copyable {
    var connection: ClientConnection

    init(fd: Int32, config: ServerConfig) {
        connection = ClientConnection(fd: fd, aof: nil, flushTimeout: config.flushTimeout,
                                      lingerTimeout: config.lingerTimeout)
        var reply: [UInt8] = []
        RESPEncoder.error("ERR max number of clients reached", into: &reply)
        connection.enqueue(reply, dependsOn: 0)
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> { .ready(()) }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { connection.pollDropReady(&cx) }
}
