/// Why ``Executor/blockOn(_:)`` could not return the future's output.
public enum ExecutorError: Error, Equatable, CustomStringConvertible {
    /// `blockOn` (or `runUntilIdle`) was called while the executor's loop was already running: from a
    /// poll, a `deinit` run inside a turn, or a remote job. Waiting there would deadlock the single
    /// thread, so it is refused.
    case reentrantBlockOn
    /// Nothing can ever wake the future: no task is runnable, no I/O is in flight, no timer is set.
    case stalled(task: String)
    /// The future was cancelled (by ``Executor/shutdown(deadline:)``) before it completed.
    case cancelled
    /// The driver failed in a way the loop cannot continue from.
    case driver(IOError)

    /// A sentence saying what went wrong and what to do.
    public var description: String {
        switch self {
        case .reentrantBlockOn:
            return "blockOn called while the executor's loop is running (from a poll, a deinit or a remote job): this would deadlock the executor's thread. Spawn the work, or finish it through pollDropReady, instead."
        case .stalled(let task):
            return "blockOn(\(task)) can never complete: no task is runnable, no I/O is in flight and no timer is set, so nothing can wake it."
        case .cancelled:
            return "the future was cancelled by a shutdown before it completed"
        case .driver(let error):
            return "the I/O driver failed: \(error)"
        }
    }
}
