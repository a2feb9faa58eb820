/// Two futures one after the other: the second is built from the first's output. Built by
/// ``Future/then(_:)`` and ``Future/then(carrying:_:)``.
///
/// Exactly one stage is live at a time: the first future is async-dropped (after it completed)
/// before the second is built, and dropping the chain drops whichever stage is live. `Carried` is
/// a value stored beside `makeNext` and handed to it, so that it needs no captures.
public struct Then<First: Future & ~Copyable, Carried, Next: Future & ~Copyable>: Future, ~Copyable {
    @usableFromInline typealias Stages = Either<Stage<First>, Stage<Next>>
    /// The live stage: the first future's, then the next one's. One storage holds either: the first
    /// is released before the next is built, which takes its place.
    @usableFromInline var stages: Stages
    /// `true` while the first stage is the live one (the case of `stages`, read without decoding it).
    @usableFromInline var onFirst: Bool
    @usableFromInline let carried: Carried
    @usableFromInline let makeNext: (Carried, consuming First.Output) -> Next

    /// Runs `first`, then the future `makeNext` builds from its output (and `carried`).
    @inlinable
    public init(_ first: consuming First, carrying carried: Carried,
                _ makeNext: @escaping (Carried, consuming First.Output) -> Next) {
        self.stages = .first(Stage(first))
        self.onFirst = true
        self.carried = carried
        self.makeNext = makeNext
    }

    /// The second future's output.
    @inlinable @inline(__always)
    public mutating func poll(_ cx: inout Context) -> Poll<Next.Output> {
        if onFirst {
            if Stages.payloadsMutateInPlace {
                guard case .ready(let value) = stages.withActivePayload({ $0.pollVacating(&cx) }, { _ in Self.notFirst() })
                else { return .pending }
                onFirst = false
                // SAFETY: the first stage is vacated: its future destroyed, its output taken, its
                // phase a byte, so nothing of it is left to destroy. The payload area (at the start
                // of `stages`) is initialized with the next stage, part by part, and the tag byte
                // after it set to `second`, the layout `payloadsMutateInPlace` checked.
                unsafe Stage<Next>.initializeRunning(&stages, building: makeNext, carried, value)
                unsafe markSecond(&stages)
                assert(!stages.isFirst, "Either's case is not where its layout puts it")
            } else {
                guard case .ready(let value) = stages.withActivePayload({ $0.poll(&cx) }, { _ in Self.notFirst() })
                else { return .pending }
                onFirst = false
                stages = .second(Stage(makeNext(carried, value)))
            }
        }
        return stages.withActivePayload({ _ in Self.notSecond() }, { $0.poll(&cx) })
    }

    /// Drops the live stage.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        stages.withActivePayload({ $0.pollDropReady(&cx) }, { $0.pollDropReady(&cx) })
    }

    @inlinable
    static func notFirst<R: ~Copyable>() -> R { preconditionFailure("Then: the first stage is not the live one") }

    @inlinable
    static func notSecond<R: ~Copyable>() -> R { preconditionFailure("Then: the second stage is not the live one") }
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

/// Sets the case of `storage`, an `Either` whose payload area holds an initialized second payload
/// (built there in place of a spent first one), to `second`: the tag byte after the payload area.
/// Valid only when `Either<A, B>.payloadsMutateInPlace`.
@inlinable @inline(__always)
@unsafe
func markSecond<A: ~Copyable, B: ~Copyable>(_ storage: UnsafeMutablePointer<Either<A, B>>) {
    unsafe UnsafeMutableRawPointer(storage).storeBytes(of: 1, toByteOffset: Either<A, B>.payloadAreaSize, as: UInt8.self)
}
