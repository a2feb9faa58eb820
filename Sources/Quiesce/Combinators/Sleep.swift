/// A future that is ready once a deadline on the executor's clock has passed.
///
/// The deadline lives in the executor's timer queue, which bounds how long the loop sleeps in the
/// driver. Dropping a sleep (either way) removes its timer at once: nothing stays in flight.
public struct Sleep: Future, ~Copyable {
    private let duration: UInt64
    private var deadline: UInt64?
    private var timer: TimerHandle?
    // Weak: a sleeping task must not keep its executor alive (task → sleep → executor would be a cycle).
    private weak var executor: Executor?

    /// Sleeps for `nanoseconds` from the first poll.
    public init(nanoseconds: UInt64) { duration = nanoseconds }

    /// Sleeps for `duration` from the first poll (negative durations are zero).
    public init(for duration: Duration) { self.duration = duration.nanoseconds }

    /// Sleeps until `deadline` on the executor's clock (ready at once if it has passed).
    public init(until deadline: Deadline) {
        duration = 0
        self.deadline = deadline.nanoseconds
    }

    deinit {
        if let timer, let executor { executor.cancelTimer(timer) }
    }

    /// Ready once the deadline has passed.
    public mutating func poll(_ cx: inout Context) -> Poll<Void> {
        guard let executor = executor ?? cx.executor else {
            preconditionFailure("Sleep polled outside an executor: it needs the executor's clock and timers")
        }
        let now = executor.driver.now()
        self.executor = executor
        if deadline == nil { deadline = now &+ duration }
        if now >= deadline! {
            cancelTimer()
            return .ready(())
        }
        timer = executor.armTimer(timer, deadline: deadline!, waker: cx.waker)
        return .pending
    }

    /// Removes the timer; nothing is in flight after that.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        cancelTimer()
        return .ready(())
    }

    private mutating func cancelTimer() {
        if let timer, let executor { executor.cancelTimer(timer) }
        timer = nil
    }
}

/// A future ready after `nanoseconds`.
public func sleep(nanoseconds: UInt64) -> Sleep { Sleep(nanoseconds: nanoseconds) }

/// A future ready after `duration`.
public func sleep(for duration: Duration) -> Sleep { Sleep(for: duration) }

/// A future ready once `deadline` has passed (at once if it already has).
public func sleep(until deadline: Deadline) -> Sleep { Sleep(until: deadline) }

extension Duration {
    /// The duration in whole nanoseconds, clamped to zero and to `UInt64.max`. Package-wide, not
    /// public: a library adds no members to a standard-library type its users see.
    package var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (scaled, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return scaled &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
    }
}
