/// The outputs of two futures run together by ``Join``.
@frozen
public struct Both<First: ~Copyable, Second: ~Copyable>: ~Copyable {
    /// The first future's output.
    public var first: First
    /// The second future's output.
    public var second: Second
}

/// Runs two futures concurrently; ready with both outputs once both are ready. A future that is
/// ready is not polled again. Dropping the join drops both (at once).
public struct Join<A: Future & ~Copyable, B: Future & ~Copyable>: Future, ~Copyable {
    private var a: A
    private var b: B
    private var firstOutput: A.Output?
    private var secondOutput: B.Output?
    private var firstDone = false
    private var secondDone = false

    /// Runs `a` and `b` together.
    public init(_ a: consuming A, _ b: consuming B) {
        self.a = a
        self.b = b
    }

    /// Polls whichever is not ready yet; ready when both are.
    public mutating func poll(_ cx: inout Context) -> Poll<Both<A.Output, B.Output>> {
        if !firstDone, case .ready(let output) = a.poll(&cx) {
            firstOutput = consume output
            firstDone = true
        }
        if !secondDone, case .ready(let output) = b.poll(&cx) {
            secondOutput = consume output
            secondDone = true
        }
        guard firstDone && secondDone else { return .pending }
        return .ready(Both(first: firstOutput.take()!, second: secondOutput.take()!))
    }

    /// Drops both futures at once.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &a, &b)
    }
}

/// Runs `a` and `b` concurrently and delivers both outputs.
public func join<A: Future & ~Copyable, B: Future & ~Copyable>(_ a: consuming A, _ b: consuming B) -> Join<A, B> {
    Join(a, b)
}
