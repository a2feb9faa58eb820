/// A value with asynchronous cleanup: its drop is driven by ``pollDropReady(_:)`` until `.ready`,
/// and only then is the value released (its `deinit`, the synchronous destructor, runs exactly once).
///
/// The contract of ``pollDropReady(_:)``:
/// 1. It may be called at any time after the value exists: before the first `poll`, between polls,
///    after `poll` returned `.ready`.
/// 2. Once it has been called, `poll` (for a ``Future``) is never called again: cancellation has begun.
/// 3. It is *fused*: once it returns `.ready`, every later call returns `.ready` at once, with no effect.
/// 4. It never blocks the thread. `.pending` means the waker from the context was registered.
/// 5. It is an optimization of *when* cleanup finishes, not of safety: a value released without it
///    (its `deinit` runs first) must still be memory-safe.
public protocol AsyncDroppable: ~Copyable {
    /// Drives the value's asynchronous cleanup. `.ready` when nothing it started is still in flight.
    /// The default answers `.ready` at once: a value with no asynchronous cleanup.
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void>
}

extension AsyncDroppable where Self: ~Copyable {
    /// No asynchronous cleanup: ready at once.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { .ready(()) }
}

/// An explicit state machine with two entry points: ``poll(_:)`` to make progress and
/// ``AsyncDroppable/pollDropReady(_:)`` to finish its cleanup asynchronously before it is released.
///
/// Noncopyable types adopt it too, and ``Output`` may be noncopyable (an I/O operation hands its
/// buffer back with its result).
public protocol Future<Output>: AsyncDroppable, ~Copyable {
    /// The value the future produces.
    associatedtype Output: ~Copyable

    /// Makes progress. Returns `.ready` once, with the output. Never called again after that, nor
    /// after ``AsyncDroppable/pollDropReady(_:)`` has been called.
    mutating func poll(_ cx: inout Context) -> Poll<Output>

    /// The executor's entry point; do not implement it. Polls once and stores a ready output in
    /// `output`; returns whether it was ready. Tasks run unspecialized (through the vtable), where
    /// calling ``poll(_:)`` directly instantiates `Poll<Output>` (and storing the output
    /// `Optional<Output>`) metadata at every poll; this requirement's default implementation is
    /// specialized in the conforming module instead.
    mutating func _pollForExecutor(_ cx: inout Context, into output: inout Output?) -> Bool
}

extension Future where Self: ~Copyable {
    /// Polls once; a ready output is stored in `output`.
    @inlinable
    public mutating func _pollForExecutor(_ cx: inout Context, into output: inout Output?) -> Bool {
        switch poll(&cx) {
        case .pending: return false
        case .ready(let value):
            output = .some(value)
            return true
        }
    }
}
