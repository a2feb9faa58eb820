/// One of two values: which side of a ``Select`` won.
public enum Either<First: ~Copyable, Second: ~Copyable>: ~Copyable {
    /// The first future was ready first.
    case first(First)
    /// The second future was ready first.
    case second(Second)
}

/// Races two futures: the first to be ready wins, and the loser is *async-dropped* (its I/O cancelled
/// and completed) before the select itself is ready. Polls the first future first (biased).
public struct Select<A: Future & ~Copyable, B: Future & ~Copyable>: Future, ~Copyable {
    private enum Phase { case racing, droppingFirst, droppingSecond, done }

    private var a: A
    private var b: B
    private var phase = Phase.racing
    private var winner: Either<A.Output, B.Output>?

    /// Races `a` against `b`.
    public init(_ a: consuming A, _ b: consuming B) {
        self.a = a
        self.b = b
    }

    /// Ready with the winner's output once the loser's drop has completed.
    public mutating func poll(_ cx: inout Context) -> Poll<Either<A.Output, B.Output>> {
        if phase == .racing {
            switch a.poll(&cx) {
            case .ready(let output):
                winner = .first(output)
                phase = .droppingSecond
            case .pending:
                switch b.poll(&cx) {
                case .ready(let output):
                    winner = .second(output)
                    phase = .droppingFirst
                case .pending:
                    return .pending
                }
            }
        }
        switch phase {
        case .droppingFirst:
            guard partDropReady(&a, &cx) else { return .pending }
        case .droppingSecond:
            guard partDropReady(&b, &cx) else { return .pending }
        case .racing, .done:
            break
        }
        phase = .done
        return .ready(winner.take()!)
    }

    /// Drops both futures at once (the winner's drop after its completion is allowed and usually instant).
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &a, &b)
    }
}

/// Races `a` against `b`; the loser is async-dropped before the result is delivered.
public func select<A: Future & ~Copyable, B: Future & ~Copyable>(_ a: consuming A, _ b: consuming B) -> Select<A, B> {
    Select(a, b)
}
