/// What a poll receives: the waker of the task being polled, and the executor running it.
///
/// Futures that start I/O reach the driver through ``executor``; pure futures only need ``waker``.
public struct Context {
    /// The waker of the task being polled. Register it (copy it) before answering `.pending`.
    public var waker: Waker

    /// The executor polling this future, or `nil` when a future is polled by hand.
    public unowned(unsafe) let executor: Executor?

    /// A context for polling a future by hand, outside any executor (tests, custom loops).
    public init(waker: Waker = .noop) {
        self.waker = waker
        self.executor = nil
    }

    /// A context for polling on behalf of `executor` (custom combinators that run their own tasks).
    public init(waker: Waker, executor: Executor) {
        self.waker = waker
        self.executor = executor
    }

    /// Reports a diagnostic to the executor's handler, or the process-wide one outside an executor.
    public func report(_ diagnostic: Diagnostic) {
        if let executor { executor.report(diagnostic) } else { Diagnostics.report(diagnostic) }
    }
}
