/// What running a command means for the connection beyond its reply.
public enum CommandEffect: Equatable, Sendable {
    /// Nothing: the reply can be sent at once.
    case none
    /// The command changed the keyspace and was appended to the AOF as record `seq`; its reply must
    /// wait until the AOF acknowledges that record (after its fsync with `appendfsync always`).
    case logged(seq: UInt64)
    /// Send the reply, then close the connection (QUIT).
    case close
}
