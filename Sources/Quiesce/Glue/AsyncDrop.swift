/// A future that consumes a value, drives its drop readiness to `.ready`, then releases it (its
/// `deinit` runs exactly once, at that moment).
///
/// Its own drop does the same: once begun, an async drop runs to completion.
public struct AsyncDrop<Value: AsyncDroppable & ~Copyable>: Future, ~Copyable {
    @usableFromInline
    var value: Value?

    /// Takes ownership of `value`.
    @inlinable
    public init(_ value: consuming Value) { self.value = consume value }

    /// Drives the drop; releases the value when it is ready.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Void> { drive(&cx) }

    /// Same as ``poll(_:)``: a drop already begun is finished, not abandoned.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { drive(&cx) }

    @inlinable
    mutating func drive(_ cx: inout Context) -> Poll<Void> {
        guard value != nil else { return .ready(()) }
        guard partDropReady(&value!, &cx) else { return .pending }
        value = nil  // the synchronous destructor runs here, once
        return .ready(())
    }
}

/// A future that async-drops `value`: drives its drop readiness, then releases it.
@inlinable
public func asyncDrop<Value: AsyncDroppable & ~Copyable>(_ value: consuming Value) -> AsyncDrop<Value> {
    AsyncDrop(value)
}
