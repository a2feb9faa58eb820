/// What one iteration of a ``Loop`` decides: go on with a new state, or finish with a value.
public enum LoopStep<State: ~Copyable, Value: ~Copyable>: ~Copyable {
    /// Run the body again with this state.
    case next(State)
    /// The loop is done with this value.
    case done(Value)
}

/// A loop of futures: each iteration is a future built from the state, answering
/// ``LoopStep/next(_:)`` with the next state or ``LoopStep/done(_:)`` with the loop's value
/// (futures 0.1's `loop_fn`). Built by ``loop(_:_:)``.
///
/// The state lives inside the running iteration (the body consumes it and hands it back), so it
/// survives iterations with no copy, and dropping the loop drops the live iteration, state included.
/// Iterations that complete at once are run back to back, at most ``iterationsPerPoll`` per poll;
/// then the loop yields to the other tasks (it wakes itself), so it can never hog the executor.
public struct Loop<State: ~Copyable, Value: ~Copyable, Body: Future & ~Copyable>: Future, ~Copyable
where Body.Output == LoopStep<State, Value> {
    @usableFromInline var body: Stage<Body>
    @usableFromInline let makeBody: (consuming State) -> Body

    /// Iterations run within one poll before the loop yields.
    public static var iterationsPerPoll: Int { 64 }

    /// Starts the loop: its first iteration is built from `initial` at once.
    @inlinable
    public init(_ initial: consuming State, _ makeBody: @escaping (consuming State) -> Body) {
        self.body = Stage(makeBody(initial))
        self.makeBody = makeBody
    }

    /// Runs iterations until one is pending or the loop is done.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Value> {
        for _ in 0..<Self.iterationsPerPoll {
            // The iteration is released before the next is built, its storage reused at once.
            guard case .ready(let step) = body.pollVacating(&cx) else { return .pending }
            switch consume step {
            case .next(let state): body.start(building: makeBody, state)
            case .done(let value):
                body.settle()
                return .ready(value)
            }
        }
        cx.wake()
        return .pending
    }

    /// Drops the live iteration (and the state inside it).
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { body.pollDropReady(&cx) }
}

/// A loop of futures from `initial`: `body` builds each iteration from the state, and the
/// iteration's output says whether to go on (`.next(state)`) or stop (`.done(value)`).
///
/// ```swift
/// // Echo until the peer closes: the buffer is the loop's state.
/// let echo = loop(IOBuffer(capacity: 4096)) { buffer in
///     IO.recv(fd, into: buffer).then { done in
///         done.result == .success(0) ? Either.first(ready(LoopStep.done(())))
///                                    : Either.second(IO.send(fd, done.buffer).map { .next($0.buffer) })
///     }
/// }
/// ```
@inlinable
public func loop<State: ~Copyable, Value: ~Copyable, Body: Future & ~Copyable>(
    _ initial: consuming State, _ body: @escaping (consuming State) -> Body
) -> Loop<State, Value, Body> where Body.Output == LoopStep<State, Value> {
    Loop(initial, body)
}
