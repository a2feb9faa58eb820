import Quiesce

/// How a graceful shutdown ended for the AOF: clean when every write the server executed is in the
/// file and fsynced; otherwise why not. A server that ends unclean exits non-zero.
public struct ShutdownReport: Sendable, Equatable, CustomStringConvertible {
    /// The AOF error still unresolved at the end (`nil`: none, or no AOF).
    public var aofFailure: IOError?
    /// Executed writes that are not durable in the AOF (not written, or not fsynced).
    public var recordsNotDurable: UInt64

    /// `true` when every executed write is durable (always, without an AOF).
    public var isClean: Bool { aofFailure == nil && recordsNotDurable == 0 }

    /// `shut down cleanly`, or what could not be kept.
    public var description: String {
        if isClean { return "shut down cleanly" }
        var text = "shut down uncleanly, the AOF does not hold every executed write: "
        if let aofFailure { text += "it failed (\(aofFailure)), and " }
        text += "\(recordsNotDurable) executed write(s) are not durable in it"
        return text
    }
}
