import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Why the server could not start.
public struct ServerError: Error, CustomStringConvertible {
    /// A readable account.
    public var description: String
}

/// The RESP key-value server: an accept-loop task, one task per connection, an AOF writer task,
/// all on one ``Executor``.
///
/// ```swift
/// let server = try KVServer(config: config)   // replays the AOF, binds the port
/// try server.run(on: try Executor())          // returns after a graceful shutdown
/// ```
///
/// ``requestShutdown()`` (on the executor's thread; from elsewhere through a ``RemoteHandle``)
/// stops accepting, lets each connection finish the requests it has received (those already in its
/// socket included) and flush their replies, then writes and fsyncs the AOF; ``run(on:)`` then says
/// whether the AOF holds every executed write. Confined to the executor's thread.
public final class KVServer {
    /// The configuration.
    public let config: ServerConfig
    /// The keyspace and commands.
    public let engine: KVEngine
    /// The AOF, when persistence is on.
    public let aof: AppendOnlyFile?
    /// The listening socket.
    public let listenFD: Int32
    /// The port actually bound.
    public let port: UInt16
    /// What the AOF replay at start found.
    public let replayed: AOFReplay.Outcome
    /// Connections served at once: ``ServerConfig/maxClients``, lowered when the descriptor limit
    /// leaves room for fewer (see ``ClientLimit``).
    public let maxClients: Int
    /// What the start adjusted, for the log (e.g. a lowered client limit).
    public let notices: [String]
    /// `true` once a shutdown has been requested.
    // SAFETY (unchecked exclusivity, this flag and `peakBufferedInput`): the server is confined to
    // the executor's thread, and each is only read or assigned whole, never across a call.
    @exclusivity(unchecked) public private(set) var isShuttingDown = false
    /// Connections served now.
    public private(set) var clientCount = 0
    /// Connections refused for the client limit, since start.
    public private(set) var refusedCount = 0
    /// The most request bytes any one connection has held unparsed (a bound the limits enforce).
    @exclusivity(unchecked) public private(set) var peakBufferedInput = 0
    /// Where the server's own events go (an AOF write that failed, and its recovery): one line
    /// each, without a trailing newline. Standard error by default.
    public var logHandler: (String) -> Void = KVServer.printToStandardError
    /// Pauses the accept loop has taken after a failed accept, since start.
    public private(set) var acceptPauses = 0
    /// The ring every connection receives from, with ``ServerConfig/multishotReceive`` once the
    /// server runs and the ring could be registered; `nil` otherwise (plain receives).
    public private(set) var recvRing: ProvidedBufferRing?
    /// Test seam: asked before each accept is submitted; an errno it returns fails that accept with
    /// that error, as the kernel would, and nothing is submitted.
    var acceptErrorInjection: (() -> Int32?)?
    private var wakers: [UInt64: Waker] = [:]
    private var listenerClosed = false
    var mainWaker: Waker?

    /// Replays the AOF (if configured), opens it for appending, and listens.
    public init(config: ServerConfig) throws(ServerError) {
        self.config = config
        let fit = try ClientLimit.fit(requested: config.maxClients)
        maxClients = fit.maxClients
        notices = fit.notice.map { [$0] } ?? []
        let store = KeyValueStore()
        engine = KVEngine(store: store)
        if let path = config.aofPath {
            do {
                replayed = try AOFReplay.replay(path: path, into: engine)
                let fd = try AOFReplay.openForAppend(path: path)
                aof = AppendOnlyFile(fd: fd, policy: config.appendFsync)
            } catch { throw ServerError(description: error.description) }
        } else {
            replayed = AOFReplay.Outcome(records: 0, truncatedBytes: 0)
            aof = nil
        }
        engine.aof = aof
        guard let address = SocketAddress(host: config.host, port: config.port) else {
            throw ServerError(description: "--bind \(config.host) is not a numeric IPv4 or IPv6 address")
        }
        do {
            listenFD = try Sockets.listen(on: address, backlog: 511)
            port = try Sockets.localAddress(listenFD).port
        } catch { throw ServerError(description: "cannot listen on \(address): \(error)") }
        engine.settings = [
            ("appendonly", aof == nil ? "no" : "yes"), ("appendfsync", config.appendFsync.rawValue),
            ("bind", config.host), ("databases", "1"), ("maxclients", String(maxClients)),
            ("port", String(port)), ("proto-max-bulk-len", String(config.limits.maxBulkLength)),
            ("save", ""), ("timeout", String(Int(config.idleTimeout))),
        ]
    }

    deinit {
        if !listenerClosed { Glibc.close(listenFD) }
        if let aof { Glibc.close(aof.fd) }
    }

    /// Serves until a shutdown completes. Then shuts the executor down (bounded by a deadline) and
    /// says whether every executed write is durable in the AOF.
    @discardableResult
    public func run(on executor: Executor) throws(ExecutorError) -> ShutdownReport {
        try executor.blockOn(serve())
        executor.shutdown(deadline: config.flushTimeout + config.lingerTimeout)
        return shutdownReport
    }

    /// Whether the AOF holds every write executed so far, fsynced (what a shutdown reports).
    public var shutdownReport: ShutdownReport {
        guard let aof else { return ShutdownReport(aofFailure: nil, recordsNotDurable: 0) }
        return ShutdownReport(aofFailure: aof.failure, recordsNotDurable: aof.appendedSeq - aof.durableSeq)
    }

    /// The server as a future: ready once a requested shutdown has completed.
    public func serve() -> ServeFuture { ServeFuture(server: self) }

    /// Begins a graceful shutdown. Call on the executor's thread.
    public func requestShutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        mainWaker?.wake()
        for waker in wakers.values { waker.wake() }
    }

    /// Closes the listening socket once the accept loop has stopped: new clients are refused by
    /// the kernel rather than left waiting in the backlog.
    func closeListener() {
        guard !listenerClosed else { return }
        listenerClosed = true
        Glibc.close(listenFD)
    }

    // MARK: Connections

    func admit(_ fd: Int32, on executor: Executor) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let socket = Socket(adopting: fd)
        if clientCount >= maxClients {
            refusedCount += 1
            // The refusal is its only reply: the connection's drop flushes it, then closes.
            var refused = ClientConnection(socket: socket, aof: nil, flushTimeout: config.flushTimeout,
                                           lingerTimeout: config.lingerTimeout)
            refused.replies.enqueue(Self.refusal, dependsOn: 0)
            executor.spawn(asyncDrop(refused), name: "kv-refused").detach()
            return
        }
        let local = (try? Sockets.localAddress(fd).description) ?? "?"
        let session = engine.newSession(peer: Self.peerAddress(fd) ?? "?", local: local, fd: fd)
        executor.spawn(ConnectionTask(server: self, socket: socket, session: session), name: "kv-client").detach()
    }

    /// The peer of connected socket `fd` (`host:port`), or `nil`: a multishot accept does not ask
    /// the kernel for it.
    static func peerAddress(_ fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        return withUnsafeBytes(of: &storage) {
            SocketAddress(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<Int(min(Int(length), $0.count))])).description
        }
    }

    private static let refusal: [UInt8] = {
        var reply: [UInt8] = []
        RESPEncoder.error("ERR max number of clients reached", into: &reply)
        return reply
    }()

    func noteAcceptPause() { acceptPauses += 1 }

    /// Registers the shared receive ring with `executor`'s driver when the configuration asks for
    /// multishot receives; when that fails, says so in the log and keeps the plain receives.
    func registerRecvRing(on executor: Executor) {
        guard config.multishotReceive, recvRing == nil else { return }
        do {
            recvRing = try executor.driver.registerBufferRing(count: config.recvRingBuffers, size: config.recvRingBufferSize)
        } catch {
            logHandler("multishot receive unavailable, using plain receives: \(error)")
        }
    }

    /// `QuiesceKV: <line>` on standard error, unbuffered.
    public static func printToStandardError(_ line: String) {
        writeUnbuffered("QuiesceKV: \(line)\n", to: 2)
    }

    /// Writes `text` straight to `fd` (retrying interrupted and short writes; a failed write ends
    /// it): unbuffered, so a parent reading the output sees each line at once.
    public static func writeUnbuffered(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    func noteBufferedInput(_ count: Int) {
        if count > peakBufferedInput { peakBufferedInput = count }
    }

    func connectionOpened() {
        clientCount += 1
        engine.connectedClients = clientCount
    }

    func register(_ id: UInt64, _ waker: Waker) {
        wakers[id] = waker
        if isShuttingDown { waker.wake() }
    }

    func connectionClosed(id: UInt64) {
        clientCount -= 1
        engine.connectedClients = clientCount
        wakers.removeValue(forKey: id)
        if isShuttingDown { mainWaker?.wake() }
    }
}

/// The server's lifetime as a future: starts the AOF writer and the accept loop, sweeps expired keys,
/// and on shutdown stops accepting, waits for the connections to finish (bounded by
/// ``ServerConfig/shutdownTimeout``), then lets the AOF writer write and fsync everything.
public struct ServeFuture: Future, ~Copyable {
    enum Phase { case start, running, stoppingAccept, draining, syncing, done }
    let server: KVServer
    private var phase = Phase.start
    private var acceptor: JoinHandle<Void>?
    private var writer: JoinHandle<Void>?
    private var sweep: Sleep?
    private var drainDeadline: Sleep?
    private var drainExpired = false

    init(server: KVServer) { self.server = server }

    /// Runs the phases; `.ready` when the shutdown is complete.
    public mutating func poll(_ cx: inout Context) -> Poll<Void> {
        server.mainWaker = cx.waker
        while true {
            switch phase {
            case .start:
                guard let executor = cx.executor else { return .ready(()) }
                server.registerRecvRing(on: executor)
                if let aof = server.aof {
                    let server = server
                    writer = executor.spawn(AOFWriter(aof, retryInterval: server.config.aofRetryInterval,
                                                      report: { server.logHandler($0) }), name: "kv-aof")
                }
                acceptor = executor.spawn(AcceptLoop(server: server), name: "kv-accept")
                phase = .running
            case .running:
                if server.isShuttingDown {
                    phase = .stoppingAccept
                    continue
                }
                if sweep == nil { sweep = Sleep(nanoseconds: 100_000_000) }
                guard case .ready = sweep!.poll(&cx) else { return .pending }
                sweep = nil
                server.engine.store.sweepExpired(now: server.engine.store.clock(), limit: 1000)
            case .stoppingAccept:
                guard DropGlue.join(&cx, &acceptor, &sweep).isReady else { return .pending }
                acceptor = nil
                sweep = nil
                server.closeListener()
                phase = .draining
                drainDeadline = Sleep(nanoseconds: server.config.shutdownTimeout)
            case .draining:
                if !drainExpired, case .ready = drainDeadline!.poll(&cx) { drainExpired = true }
                guard server.clientCount == 0 || drainExpired else { return .pending }
                guard drainDeadline.pollDropReady(&cx).isReady else { return .pending }
                drainDeadline = nil
                server.aof?.finish()
                phase = .syncing
            case .syncing:
                if writer != nil {
                    guard case .ready = writer!.poll(&cx) else { return .pending }
                    writer = nil
                }
                phase = .done
                return .ready(())
            case .done:
                return .ready(())
            }
        }
    }

    /// Cancels the accept loop, the AOF writer and the timers, and waits for their drops.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &acceptor, &writer, &sweep, &drainDeadline)
    }
}
