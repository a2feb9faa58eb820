/// The server's state that commands act on: the keyspace, the AOF they log to, and the settings
/// `CONFIG GET` reports. Single-threaded: it lives on the executor's thread.
public final class KVEngine {
    /// The keyspace.
    public let store: KeyValueStore
    /// Where write commands are logged (`nil`: no persistence, or while replaying the AOF).
    // SAFETY (unchecked exclusivity): the engine is confined to the executor's thread, and the
    // reference is only read or assigned whole, never held in an access across a call.
    @exclusivity(unchecked) public var aof: AppendOnlyFile?
    /// Name/value pairs that `CONFIG GET` reports (redis-benchmark asks for `save` and `appendonly`).
    public var settings: [(name: String, value: String)]
    /// Clients connected now (INFO).
    public var connectedClients = 0
    /// Commands run since start (INFO).
    // SAFETY (unchecked exclusivity): the engine is confined to the executor's thread and the
    // count is only read or incremented in place, never across a call.
    @exclusivity(unchecked) public private(set) var commandsProcessed = 0
    private var nextClientID: UInt64 = 0

    /// An engine over `store`.
    public init(store: KeyValueStore = KeyValueStore(), settings: [(name: String, value: String)] = []) {
        self.store = store
        self.settings = settings
    }

    /// A new client's session with the next id.
    public func newSession(peer: String = "?", local: String = "?", fd: Int32 = -1) -> ClientSession {
        nextClientID += 1
        return ClientSession(id: nextClientID, peer: peer, local: local, fd: fd, connectedAt: store.clock())
    }

    /// Runs one request and appends its reply to `reply`.
    public func execute(_ args: RESPArguments, session: inout ClientSession, reply: inout [UInt8]) -> CommandEffect {
        commandsProcessed += 1
        return CommandTable.execute(args, engine: self, session: &session, reply: &reply)
    }

    /// Runs one request given as byte arrays and appends its reply to `reply`.
    public func execute(_ args: [[UInt8]], session: inout ClientSession, reply: inout [UInt8]) -> CommandEffect {
        execute(RESPArguments(args), session: &session, reply: &reply)
    }

    /// Logs a write to the AOF (as the idempotent record `args`) and says what the reply waits for.
    func log(_ args: [[UInt8]]) -> CommandEffect {
        guard let aof else { return .none }
        return .logged(seq: aof.append(args))
    }

    /// Logs `SET key value [PXAT expiresAt]` to the AOF, encoded straight into its pending bytes,
    /// and says what the reply waits for.
    func logSet(_ key: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, expiresAt: Int64?) -> CommandEffect {
        guard let aof else { return .none }
        return .logged(seq: aof.appendSet(key, value, expiresAt: expiresAt))
    }
}
