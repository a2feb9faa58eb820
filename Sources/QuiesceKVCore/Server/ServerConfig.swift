/// How a ``KVServer`` listens, bounds its clients and persists.
public struct ServerConfig: Sendable {
    /// Numeric address to bind (default 127.0.0.1).
    public var host = "127.0.0.1"
    /// Port to listen on; 0 picks a free one (``KVServer/port`` tells which).
    public var port: UInt16 = 6379
    /// Connections served at once; the next one gets `-ERR max number of clients reached`. Lowered
    /// at start when the descriptor limit leaves room for fewer (``KVServer/maxClients``).
    public var maxClients = 10_000
    /// Seconds without a request before a client is closed (0: never), like Redis' `timeout`.
    public var idleTimeout: Double = 0
    /// The append-only file, or `nil` for no persistence.
    public var aofPath: String?
    /// When the AOF is fsynced.
    public var appendFsync: FsyncPolicy = .everysec
    /// Bounds on requests.
    public var limits = RESPLimits.standard
    /// Replies waiting to be sent beyond which a connection stops reading requests (backpressure).
    /// The memory a connection holds for replies stays near this bound — at most about twice it
    /// plus the largest reply — whether its client never reads, reads slowly, or keeps the queue
    /// busy with pipelined requests while it reads.
    public var maxPendingOutput = 256 * 1024
    /// Longest a closing connection may spend flushing its replies (nanoseconds).
    public var flushTimeout: UInt64 = 2_000_000_000
    /// After flushing, how long a closing connection reads and discards what the client still sends,
    /// so that closing does not reset the connection before the client has read the last reply.
    public var lingerTimeout: UInt64 = 250_000_000
    /// Longest a graceful shutdown waits for connections to finish before the AOF is closed anyway.
    public var shutdownTimeout: UInt64 = 5_000_000_000

    /// The first pause after an accept fails for want of descriptors or memory (nanoseconds); each
    /// further failure in a row doubles it, up to ``acceptRetryMaxDelay``.
    public var acceptRetryDelay: UInt64 = 10_000_000
    /// The longest pause between accepts that keep failing (nanoseconds).
    public var acceptRetryMaxDelay: UInt64 = 1_000_000_000

    /// While the AOF cannot be written (and write commands get `MISCONF`), how often the failed
    /// write is tried again (nanoseconds).
    public var aofRetryInterval: UInt64 = 1_000_000_000

    /// Receive requests through one multishot receive per connection from a buffer ring shared by
    /// every connection (armed once, where a plain receive is armed for each request), instead of a
    /// receive per request into the connection's own buffer. Falls back to the plain receive when
    /// the ring cannot be registered (Linux before 5.19).
    public var multishotReceive = false
    /// The buffers of the shared receive ring (a power of two), with ``multishotReceive``. Each
    /// buffer goes back to the ring as soon as its bytes are in the connection's parser.
    public var recvRingBuffers = 256
    /// The size of each buffer of the shared receive ring, in bytes.
    public var recvRingBufferSize = 16 * 1024

    /// The defaults.
    public init() {}
}
