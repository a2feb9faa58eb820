/// `Either` as a future: one of two futures with the same output, chosen when the future is built
/// (the two branches of a ``Future/then(_:)``). Only the active case is polled and dropped.
extension Either: AsyncDroppable where First: AsyncDroppable & ~Copyable, Second: AsyncDroppable & ~Copyable {
    /// Drops the active case.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        switch consume self {
        case .first(var first):
            let ready = first.pollDropReady(&cx)
            self = .first(first)
            return ready
        case .second(var second):
            let ready = second.pollDropReady(&cx)
            self = .second(second)
            return ready
        }
    }
}

extension Either: Future where First: Future & ~Copyable, Second: Future & ~Copyable, First.Output == Second.Output {
    /// Polls the active case.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<First.Output> {
        switch consume self {
        case .first(var first):
            let result = first.poll(&cx)
            self = .first(first)
            return result
        case .second(var second):
            let result = second.poll(&cx)
            self = .second(second)
            return result
        }
    }
}
