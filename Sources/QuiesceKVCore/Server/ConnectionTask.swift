import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// One client, as one task: receive requests, run them (pipelined: every complete request in the
/// buffer), queue replies, send them. It completes when the client closes, sends a malformed
/// request, says QUIT, stays idle too long, or the server shuts down; the executor then async-drops
/// it: the receive and timer are cancelled, then the ``ClientConnection`` flushes and closes.
///
/// When the server shuts down, the connection first takes what has already reached its socket: the
/// receive armed before the shutdown is cancelled (keeping what it received in the race), then it
/// reads while the socket has bytes waiting (`FIONREAD`), at most ``shutdownReadLimit`` bytes, and
/// runs every complete request among them. Bytes that arrive after the socket was found empty, and
/// an incomplete last request, are not read.
struct ConnectionTask: Future, ~Copyable {
    /// The most bytes a connection reads once the shutdown has begun.
    static let shutdownReadLimit = 1 << 20
    let server: KVServer
    private var recvOp: RecvOp?
    /// The multishot receive, when the server receives from a buffer ring (``KVServer/recvRing``).
    private var receives: RecvMultishotOp?
    private var idleTimer: Sleep?
    private var connection: ClientConnection
    private var recvBuffer: IOBuffer?
    private var parser: RESPParser
    private var session: ClientSession
    private var scratch: [UInt8] = []
    private var lastActivity: UInt64 = 0
    private var closeAfterReply = false
    // The receive in flight was armed after the shutdown began, for bytes known to be waiting.
    private var recvIsShutdownRead = false
    private var shutdownReadBudget = ConnectionTask.shutdownReadLimit
    private var registered = false
    private var unregistered = false

    init(server: KVServer, socket: consuming Socket, session: ClientSession) {
        self.server = server
        let config = server.config
        connection = ClientConnection(socket: socket, aof: server.aof, flushTimeout: config.flushTimeout,
                                      lingerTimeout: config.lingerTimeout, maxPendingOutput: config.maxPendingOutput)
        parser = RESPParser(limits: config.limits)
        self.session = session
        server.connectionOpened()
    }

    deinit {
        if !unregistered { server.connectionClosed(id: session.id) }
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if !registered {
            registered = true
            lastActivity = cx.executor?.driver.now() ?? 0
            server.register(session.id, cx.waker)
        }
        let maxPending = server.config.maxPendingOutput
        while true {
            var progressed = false
            var drained = false
            // Run every complete request already received, unless replies are backing up.
            while !closeAfterReply && connection.replies.pendingBytes < maxPending {
                switch parser.step() {
                case .incomplete:
                    drained = true
                case .protocolError(let message):
                    scratch.removeAll(keepingCapacity: true)
                    RESPEncoder.error("ERR Protocol error: \(message)", into: &scratch)
                    connection.replies.enqueue(scratch, dependsOn: 0)
                    closeAfterReply = true
                    continue
                case .command:
                    scratch.removeAll(keepingCapacity: true)
                    let effect = server.engine.execute(parser.arguments, session: &session, reply: &scratch)
                    switch effect {
                    case .none: connection.replies.enqueue(scratch, dependsOn: 0)
                    case .logged(let seq): connection.replies.enqueue(scratch, dependsOn: seq)
                    case .close:
                        connection.replies.enqueue(scratch, dependsOn: 0)
                        closeAfterReply = true
                    }
                    continue
                }
                break
            }
            if closeAfterReply { return .ready(()) }
            // A client that half-closes after pipelining still gets every reply: finish its requests.
            if connection.peerClosed && drained { return .ready(()) }
            // Replies held for the AOF go out once it acknowledges them (this also registers the wake).
            _ = connection.replies.releaseHeld(&cx)
            if case .failed = connection.replies.pumpSend(&cx) { return .ready(()) }
            // Sending made room while requests are still waiting in the parser: run them now.
            if !drained && connection.replies.pendingBytes < maxPending { continue }
            let stopping = server.isShuttingDown
            if receives != nil {
                let reading = !stopping && !connection.peerClosed && connection.replies.pendingBytes < maxPending
                switch pollReceives(&cx, reading: reading) {
                case .received: continue
                case .reset: return .ready(())
                case .idle: break
                }
            } else if let ring = server.recvRing, !stopping, !connection.peerClosed,
                      connection.replies.pendingBytes < maxPending {
                // Every complete request received so far has run (`drained`): arm it.
                receives = IO.recvMultishot(connection.fd, from: ring)
                continue
            }
            if stopping && recvOp != nil && !recvIsShutdownRead {
                // Armed before the shutdown, it may never complete: cancel it, keeping what it
                // received in the race.
                guard case .ready(let done) = recvOp!.cancel(&cx) else { return .pending }
                recvOp = nil
                guard take(done, &cx) else { return .ready(()) }
                continue
            }
            if recvOp == nil && receives == nil && (server.recvRing == nil || stopping) && !connection.peerClosed
                && connection.replies.pendingBytes < maxPending {
                // Every complete request received so far has run (`drained`).
                if stopping {
                    // Only what is already in the socket, within the budget; then the task is done
                    // and its drop flushes the replies.
                    guard shutdownReadBudget > 0 && readableBytes() > 0 else { return .ready(()) }
                    recvIsShutdownRead = true
                }
                var buffer = recvBuffer.take() ?? IOBuffer(capacity: 16 * 1024)
                buffer.clear()
                recvOp = IO.recv(connection.fd, into: buffer)
            }
            if recvOp != nil, case .ready(let done) = recvOp!.poll(&cx) {
                recvOp = nil
                recvIsShutdownRead = false
                progressed = true
                guard take(done, &cx) else { return .ready(()) }
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

    // Feeds a finished receive to the parser; `false` when the connection was reset (nothing more
    // can be read or delivered). A cancelled receive read nothing.
    private mutating func take(_ done: consuming BufferResult, _ cx: inout Context) -> Bool {
        let result = done.result
        let buffer = done.buffer
        switch result {
        case .failure(let error):
            guard error.isCancellation else { return false }
        case .success(0):
            connection.peerClosed = true
        case .success(let count):
            buffer.withUnsafeBytes { parser.feed($0) }
            noteFed(count, &cx)
        }
        recvBuffer = consume buffer
        return true
    }

    // Accounts for `count` received bytes just fed to the parser (by either kind of receive).
    private mutating func noteFed(_ count: Int, _ cx: inout Context) {
        server.noteBufferedInput(parser.bufferedCount)
        if server.isShuttingDown { shutdownReadBudget -= count }
        // Only the idle timeout reads the time of the last activity.
        if server.config.idleTimeout > 0 { lastActivity = cx.executor?.driver.now() ?? lastActivity }
    }

    /// What ``pollReceives(_:reading:)`` did.
    private enum ReceiveStep { case received, reset, idle }

    // Takes the next buffer of the multishot receive into the parser: `.received` after one,
    // `.reset` when the connection failed, `.idle` when nothing is waiting (the wake is registered).
    // Not `reading`, it cancels the receive and keeps taking what it delivered until its final
    // completion; then it lets go of it (`receives` is nil), to be armed again when reading.
    private mutating func pollReceives(_ cx: inout Context, reading: Bool) -> ReceiveStep {
        if !reading {
            // Not in flight: every completion it had was taken (it ended, or waits for buffers).
            guard let token = receives!.core.token else {
                receives = nil
                return .idle
            }
            // Asked again after each step: a receive the kernel ended meanwhile may have re-armed.
            if let driver = cx.executor?.driver { _ = driver.cancel(token, waker: cx.waker) }
        }
        guard case .ready(let next) = receives!.pollNext(&cx) else { return .idle }
        guard let next else {
            receives = nil
            connection.peerClosed = true
            return .received
        }
        switch consume next {
        case .success(let lease):
            unsafe lease.withUnsafeBytes { unsafe parser.feed($0) }
            noteFed(lease.count, &cx)
            return .received
        case .failure(let error):
            guard error.isCancellation else { return .reset }
            receives = nil
            return .received
        }
    }

    // Bytes waiting in the socket's receive queue (0 when that cannot be told).
    private func readableBytes() -> Int {
        var count: Int32 = 0
        guard ioctl(connection.fd, UInt(FIONREAD), &count) == 0 else { return 0 }
        return Int(count)
    }

    /// Own cleanup first (cancel the receives — buffers the multishot one delivered meanwhile go
    /// back to the ring — and the idle timer), then the connection's flush and
    /// close; then the server stops counting this client.
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard DropGlue.sequence(&cx, &recvOp, &receives, &idleTimer, &connection).isReady else { return .pending }
        if !unregistered {
            unregistered = true
            server.connectionClosed(id: session.id)
        }
        return .ready(())
    }
}
