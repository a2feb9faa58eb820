/// The error of a ``Timeout`` whose deadline passed first.
public struct TimedOut: Error, Equatable, Sendable, CustomStringConvertible {
    /// The error.
    public init() {}
    /// "timed out".
    public var description: String { "timed out" }
}

/// Runs a future against a deadline. On expiry the inner future is async-dropped — its I/O cancelled
/// and *completed* — before the timeout reports ``TimedOut``: when it does, nothing the inner future
/// started is still in flight.
public struct Timeout<Inner: Future & ~Copyable>: Future, ~Copyable {
    private enum Phase { case running, droppingInner, done }

    private var inner: Inner
    private var timer: Sleep
    private var phase = Phase.running

    /// Runs `inner` for at most `nanoseconds` from the first poll.
    public init(nanoseconds: UInt64, _ inner: consuming Inner) {
        self.inner = inner
        self.timer = Sleep(nanoseconds: nanoseconds)
    }

    /// Runs `inner` until `deadline` on the executor's clock.
    public init(until deadline: Deadline, _ inner: consuming Inner) {
        self.inner = inner
        self.timer = Sleep(until: deadline)
    }

    /// The inner output, or `TimedOut` once the inner future has been dropped after the deadline.
    public mutating func poll(_ cx: inout Context) -> Poll<Result<Inner.Output, TimedOut>> {
        if phase == .running {
            if case .ready(let output) = inner.poll(&cx) {
                phase = .done
                return .ready(.success(output))
            }
            guard timer.poll(&cx).isReady else { return .pending }
            phase = .droppingInner
        }
        guard partDropReady(&inner, &cx) else { return .pending }
        phase = .done
        return .ready(.failure(TimedOut()))
    }

    /// Drops the inner future and the timer at once.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &inner, &timer)
    }
}

/// Runs `future` for at most `nanoseconds`; on expiry it is async-dropped before `TimedOut` is reported.
public func timeout<F: Future & ~Copyable>(nanoseconds: UInt64, _ future: consuming F) -> Timeout<F> {
    Timeout(nanoseconds: nanoseconds, future)
}

/// Runs `future` for at most `duration`; on expiry it is async-dropped before `TimedOut` is reported.
public func timeout<F: Future & ~Copyable>(_ duration: Duration, _ future: consuming F) -> Timeout<F> {
    Timeout(nanoseconds: duration.nanoseconds, future)
}

/// Runs `future` until `deadline`; if the deadline passes first, `future` is async-dropped before
/// `TimedOut` is reported.
public func timeout<F: Future & ~Copyable>(until deadline: Deadline, _ future: consuming F) -> Timeout<F> {
    Timeout(until: deadline, future)
}
