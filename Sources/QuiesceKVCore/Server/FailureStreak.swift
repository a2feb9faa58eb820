/// Consecutive failures of one repeated attempt (an accept, an AOF write): how long to pause before
/// the next attempt, and which failures are worth reporting.
///
/// The pause starts at `firstDelay` and doubles with each failure in a row, up to `maxDelay`, so a
/// failure that persists is retried at a bounded rate and never in a spin. Reports thin out the
/// same way: the 1st, 10th and 100th failure of a streak, then every 1000th, so a persistent
/// failure is reported a bounded number of times however often it is retried.
struct FailureStreak {
    /// The pause after the first failure of a streak (nanoseconds).
    let firstDelay: UInt64
    /// The longest pause (nanoseconds).
    let maxDelay: UInt64
    /// Failures in the current streak.
    private(set) var count = 0
    private var delay: UInt64 = 0

    init(firstDelay: UInt64, maxDelay: UInt64) {
        self.firstDelay = Swift.max(firstDelay, 1)
        self.maxDelay = Swift.max(maxDelay, self.firstDelay)
    }

    /// Counts a failure: the pause before the next attempt, and whether to report this failure.
    mutating func fail() -> (delay: UInt64, report: Bool) {
        count += 1
        delay = count == 1 ? firstDelay : (delay >= maxDelay / 2 ? maxDelay : delay * 2)
        return (delay, Self.isReported(count))
    }

    /// Ends the streak; returns how many failures it held (0: there was none).
    mutating func succeed() -> Int {
        defer { count = 0; delay = 0 }
        return count
    }

    /// `true` for the failures of a streak that are reported: 1, 10, 100, then every 1000th.
    static func isReported(_ n: Int) -> Bool { n == 1 || n == 10 || n == 100 || n % 1000 == 0 }
}
