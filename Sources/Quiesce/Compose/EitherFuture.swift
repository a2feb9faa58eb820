/// `Either` as a future: one of two futures with the same output, chosen when the future is built
/// (the two branches of a ``Future/then(_:)``). Only the active case is polled and dropped, where it lies.
extension Either: AsyncDroppable where First: AsyncDroppable & ~Copyable, Second: AsyncDroppable & ~Copyable {
    /// Drops the active case.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        withActivePayload({ $0.pollDropReady(&cx) }, { $0.pollDropReady(&cx) })
    }
}

extension Either: Future where First: Future & ~Copyable, Second: Future & ~Copyable, First.Output == Second.Output {
    /// Polls the active case.
    @inlinable @inline(__always)
    public mutating func poll(_ cx: inout Context) -> Poll<First.Output> {
        withActivePayload({ $0.poll(&cx) }, { $0.poll(&cx) })
    }
}
