/// A future that gives the other runnable tasks (and the driver) a turn before it is ready.
///
/// It wakes itself and answers `.pending` once: the task goes to the back of the run queue, and the
/// executor's turn budget guarantees the others and the I/O run first.
public struct Yield: Future {
    private var yielded = false

    /// A yield point.
    public init() {}

    /// `.pending` (after waking itself) the first time, `.ready` the second.
    public mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if yielded { return .ready(()) }
        yielded = true
        cx.wake()  // no waker copy (a retain/release pair)
        return .pending
    }
}

/// A future that lets the other tasks run once before it is ready.
public func yieldNow() -> Yield { Yield() }
