/// Values produced over time: the poll model's sequence (DESIGN §9).
///
/// ``pollNext(_:)`` answers `.ready(element)`, `.ready(nil)` once the stream has ended, or `.pending`
/// with the context's waker registered. A stream is droppable like every future: its async drop ends
/// what it has in flight before it is released.
///
/// Foundation has a `Stream` class too: where both are imported, write `Quiesce.Stream`.
///
/// ```swift
/// // In a poll: take every output a set of tasks has ready.
/// while case .ready(let next?) = set.pollNext(&cx) { handle(next) }
/// ```
public protocol Stream<Element>: AsyncDroppable, ~Copyable {
    /// What the stream yields.
    associatedtype Element: ~Copyable

    /// The next element, `nil` at the end, or `.pending` (the waker is registered). Not called again
    /// after it answered `.ready(nil)`, nor once ``AsyncDroppable/pollDropReady(_:)`` was called.
    mutating func pollNext(_ cx: inout Context) -> Poll<Element?>
}
