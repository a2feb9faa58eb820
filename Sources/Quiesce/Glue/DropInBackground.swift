/// An explicit, opt-in synchronous-drop policy: if this wrapper is released *without* its async drop
/// having completed, it spawns a task on `executor` that finishes the value's async drop.
///
/// Quiesce never spawns implicitly; this is the "spawn from drop" workaround (a synchronous drop
/// that starts a task to finish the cleanup), available only when asked for by name. Without it, a
/// synchronous drop stays memory-safe (in-flight operations become orphans) but any remaining
/// cleanup, such as a flush, is skipped.
///
/// The wrapper holds its executor weakly: released after the executor is gone, it cannot hand the
/// drop off, so it releases the value synchronously (its `deinit` runs, once, and rule 5 of the
/// ``AsyncDroppable`` contract keeps that memory-safe) and reports a
/// ``Diagnostic/Kind/droppedSynchronously`` diagnostic that names the value's type.
///
/// ```swift
/// let connection = DropInBackground(FlushingConnection(fd), on: executor)
/// // Released synchronously from a non-async context: the flush finishes in a background task.
/// ```
public struct DropInBackground<Value: AsyncDroppable & ~Copyable>: AsyncDroppable, ~Copyable {
    // A box, because a deinit may not mutate `self` but must move the value out to hand it off.
    private final class Box { var value: Value?; init(_ value: consuming Value) { self.value = consume value } }
    private let box: Box
    /// Weak: a wrapper may outlive its executor, and must then not touch it.
    private weak var executor: Executor?

    /// Wraps `value`; a synchronous release hands its async drop to a new task on `executor`.
    public init(_ value: consuming Value, on executor: Executor) {
        self.box = Box(value)
        self.executor = executor
    }

    /// Calls `body` with the wrapped value (`nil` once its drop has completed).
    public func withValue<R>(_ body: (inout Value?) -> R) -> R { body(&box.value) }

    /// Drives the value's drop here, in the owner's task; once it is ready, nothing is left to hand off.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard box.value != nil else { return .ready(()) }
        guard partDropReady(&box.value!, &cx) else { return .pending }
        box.value = nil
        return .ready(())
    }

    deinit {
        guard let rest = box.value.take() else { return }
        guard let executor else {
            Diagnostics.report(Diagnostic(.droppedSynchronously,
                "DropInBackground<\(typeName(Value.self))> was released after its executor was gone: the value is released synchronously, without its async drop"))
            _ = consume rest
            return
        }
        executor.spawn(AsyncDrop(rest), name: "drop-in-background").detach()
    }
}
