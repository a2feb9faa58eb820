/// The bounds a client's requests must stay within: they keep one connection's memory bounded
/// whatever it sends.
public struct RESPLimits: Sendable, Equatable {
    /// Longest accepted bulk string (`$<n>`), in bytes. Redis' default is 512 MB.
    public var maxBulkLength: Int
    /// Most arguments in one multibulk request (`*<n>`).
    public var maxMultibulkCount: Int
    /// Longest inline command line, and longest `*`/`$` header line, in bytes.
    public var maxInlineLength: Int
    /// Most bytes of arguments one request may carry in total.
    public var maxRequestBytes: Int

    /// Limits with Redis' defaults unless given.
    public init(maxBulkLength: Int = 512 * 1024 * 1024, maxMultibulkCount: Int = 1024 * 1024,
                maxInlineLength: Int = 64 * 1024, maxRequestBytes: Int = 1024 * 1024 * 1024) {
        self.maxBulkLength = maxBulkLength
        self.maxMultibulkCount = maxMultibulkCount
        self.maxInlineLength = maxInlineLength
        self.maxRequestBytes = maxRequestBytes
    }

    /// Redis' defaults.
    public static let standard = RESPLimits()
}
