/// An instant on an executor's clock (the driver's monotonic clock; virtual in the simulation).
///
/// A deadline lets several steps share one limit: `timeout(until: deadline, …)` for each request of
/// a connection, rather than a fresh duration per step.
public struct Deadline: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds on the executor's clock.
    public let nanoseconds: UInt64

    /// The instant `nanoseconds` on the executor's clock.
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// This instant plus `duration` (negative durations are zero; saturates instead of overflowing).
    public func adding(_ duration: Duration) -> Deadline {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(duration.nanoseconds)
        return Deadline(nanoseconds: overflow ? .max : sum)
    }

    /// Orders instants.
    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// `<n> ns`.
    public var description: String { "\(nanoseconds) ns" }
}
