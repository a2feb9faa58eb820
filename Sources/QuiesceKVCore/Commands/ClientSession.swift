/// What the server knows about one connected client (CLIENT ID / SETNAME / GETNAME / INFO).
public struct ClientSession: Sendable {
    /// The client's unique id, increasing from 1.
    public let id: UInt64
    /// The peer's address, `host:port`.
    public var peer: String
    /// The server's side of the connection, `host:port`.
    public var local: String
    /// The connection's descriptor (reported by CLIENT INFO).
    public var fd: Int32
    /// The name set by CLIENT SETNAME (empty: none).
    public var name: String = ""
    /// When the client connected, Unix ms.
    public var connectedAt: Int64
    /// The last command run, lowercased (CLIENT INFO's `cmd=`).
    public var lastCommand: String = "NULL"

    /// A session for a new client.
    public init(id: UInt64, peer: String = "?", local: String = "?", fd: Int32 = -1, connectedAt: Int64 = 0) {
        self.id = id
        self.peer = peer
        self.local = local
        self.fd = fd
        self.connectedAt = connectedAt
    }
}
