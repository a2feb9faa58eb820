/// When the AOF is flushed to stable storage (Redis' `appendfsync`).
public enum FsyncPolicy: String, Sendable, CaseIterable {
    /// After every batch of writes, before their replies are sent (group commit).
    case always
    /// About once a second; a crash may lose the last second of writes.
    case everysec
    /// Left to the kernel (and to shutdown, which always fsyncs).
    case no
}
