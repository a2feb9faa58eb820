/// Two futures one after the other: the second is built from the first's output. Built by
/// ``Future/then(_:)``.
///
/// Exactly one stage is live at a time: the first future is async-dropped (after it completed)
/// before the second is built, and dropping the chain drops whichever stage is live.
public struct Then<First: Future & ~Copyable, Next: Future & ~Copyable>: Future, ~Copyable {
    @usableFromInline var first: Stage<First>?
    @usableFromInline var next: Stage<Next>?
    @usableFromInline let makeNext: (consuming First.Output) -> Next

    /// Runs `first`, then the future `makeNext` builds from its output.
    @inlinable
    public init(_ first: consuming First, _ makeNext: @escaping (consuming First.Output) -> Next) {
        self.first = Stage(first)
        self.next = nil
        self.makeNext = makeNext
    }

    /// The second future's output.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Next.Output> {
        if first != nil {
            guard case .ready(let value) = first!.poll(&cx) else { return .pending }
            first = nil
            next = Stage(makeNext(value))
        }
        return next!.poll(&cx)
    }

    /// Drops the live stage.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.sequence(&cx, &first, &next)
    }
}

extension Future where Self: ~Copyable {
    /// This future, then the future `next` builds from its output (futures 0.1's `and_then`).
    ///
    /// ```swift
    /// let echo = IO.recv(fd, into: buffer).then { done in IO.send(fd, done.buffer) }
    /// ```
    @inlinable
    public consuming func then<Next: Future & ~Copyable>(
        _ next: @escaping (consuming Output) -> Next
    ) -> Then<Self, Next> {
        Then(self, next)
    }
}
