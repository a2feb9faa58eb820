/// Two futures one after the other: the second is built from the first's output. Built by
/// ``Future/then(_:)`` and ``Future/then(carrying:_:)``.
///
/// Exactly one stage is live at a time: the first future is async-dropped (after it completed)
/// before the second is built, and dropping the chain drops whichever stage is live. `Carried` is
/// a value stored beside `makeNext` and handed to it, so that it needs no captures.
public struct Then<First: Future & ~Copyable, Carried, Next: Future & ~Copyable>: Future, ~Copyable {
    @usableFromInline var first: Stage<First>
    /// Empty until the first stage's output builds its future.
    @usableFromInline var next: Stage<Next>
    /// `true` while `first` is the live stage.
    @usableFromInline var onFirst: Bool
    @usableFromInline let carried: Carried
    @usableFromInline let makeNext: (Carried, consuming First.Output) -> Next

    /// Runs `first`, then the future `makeNext` builds from its output (and `carried`).
    @inlinable
    public init(_ first: consuming First, carrying carried: Carried,
                _ makeNext: @escaping (Carried, consuming First.Output) -> Next) {
        self.first = Stage(first)
        self.next = Stage()
        self.onFirst = true
        self.carried = carried
        self.makeNext = makeNext
    }

    /// The second future's output.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Next.Output> {
        if onFirst {
            guard case .ready(let value) = first.poll(&cx) else { return .pending }
            onFirst = false
            next.start(makeNext(carried, value))
        }
        return next.poll(&cx)
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
    ) -> Then<Self, (consuming Output) -> Next, Next> {
        Then(self, carrying: next) { next, output in next(output) }
    }

    /// This future, then the future `next` builds from its output and `carried`: a `next` that
    /// captures nothing costs no allocation when the chain is built per message.
    ///
    /// ```swift
    /// let echo = IO.recv(fd, into: buffer).then(carrying: fd) { fd, done in IO.send(fd, done.buffer) }
    /// ```
    @inlinable
    public consuming func then<C, Next: Future & ~Copyable>(
        carrying carried: C, _ next: @escaping (C, consuming Output) -> Next
    ) -> Then<Self, C, Next> {
        Then(self, carrying: carried, next)
    }
}
