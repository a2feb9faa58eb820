/// Something a `Waker` can wake: a task of an executor, or a test's counting target.
///
/// Subclass and override ``wake()``. The executor's tasks are wake targets, so copying a waker is a
/// reference-count increment and never an allocation.
open class WakeTarget {
    /// Creates a wake target.
    public init() {}

    /// Schedules whatever this target stands for to be polled again. Called on the executor's thread.
    open func wake() {}
}

/// Schedules its task to be polled again.
///
/// Cheap to copy. A waker is tied to its executor's thread and is deliberately not `Sendable`: the
/// only way in from another thread is the executor's ``RemoteHandle``.
public struct Waker {
    @usableFromInline
    let target: WakeTarget

    /// A waker that wakes `target`.
    @inlinable
    public init(_ target: WakeTarget) { self.target = target }

    /// Schedules the task to be polled again. Waking a task that is already scheduled does nothing.
    @inlinable
    public func wake() { target.wake() }

    /// `true` when both wakers wake the same task, so storing `other` in place of `self` changes nothing.
    @inlinable
    public func willWake(_ other: Waker) -> Bool { target === other.target }

    /// A waker that does nothing when woken: for polling a future by hand where no one needs waking.
    // SAFETY: immutable and stateless, so sharing it across threads is safe (wakers in general are
    // not `Sendable`); `@safe` lets callers use it without an `unsafe` marker.
    @safe public nonisolated(unsafe) static let noop = Waker(NoopWakeTarget())
}

final class NoopWakeTarget: WakeTarget {}

@available(*, unavailable, message: "a Waker is tied to its executor's thread; use Executor.remoteHandle() from other threads")
extension Waker: Sendable {}
