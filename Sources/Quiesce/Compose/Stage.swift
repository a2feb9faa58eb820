/// One stage of a composed future: polled to completion, then async-dropped, and only then is its
/// output handed on.
///
/// A future that completed may still have asynchronous cleanup (its drop contract holds after
/// `.ready` too), so a combinator never releases a finished stage before its drop is done. The
/// combinators (``Map``, ``Then``, ``Loop``, ``Finally``) keep their stages in this and so drop
/// exactly the live one.
///
/// Where the stage is lives in `phase`, a byte: asking a large noncopyable optional whether it is
/// `nil` copies the whole value to read its case, and a stage is asked on every poll.
@usableFromInline
struct Stage<F: Future & ~Copyable>: AsyncDroppable, ~Copyable {
    /// The future, until its drop is done.
    @usableFromInline var future: Optional<F>
    /// Its output, kept while its drop finishes.
    @usableFromInline var output: Optional<F.Output>
    /// Where the stage is.
    @usableFromInline var phase: StagePhase

    @inlinable
    init(_ future: consuming F) {
        self.future = consume future
        self.output = nil
        self.phase = .running
    }

    /// A stage with no future yet: ready to drop, waiting for ``start(_:)``.
    @inlinable
    init() {
        self.future = nil
        self.output = nil
        self.phase = .finished
    }

    /// Runs `future` in this stage, whose previous future is released (its drop done): the new
    /// future moves once, straight into the stage's storage.
    @inlinable
    mutating func start(_ future: consuming F) {
        assert(phase == .finished, "a stage started while its future is live")
        self.future.setInPlace(future)
        phase = .running
    }

    /// `.ready` with the output once the future has completed *and* its drop is done (the future
    /// is released by then). Call only while the stage still has its future.
    @inlinable
    mutating func poll(_ cx: inout Context) -> Poll<F.Output> {
        if phase == .running {
            guard case .ready(let value) = future!.poll(&cx) else { return .pending }
            output = consume value
            phase = .dropping
        }
        guard partDropReady(&future!, &cx) else { return .pending }
        future.clearInPlace()
        phase = .finished
        return .ready(output.take()!)
    }

    /// Drives the future's drop (whether it completed or not); its output, if it had one, is
    /// released with it. Fused.
    @inlinable
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard phase != .finished else { return .ready(()) }
        guard partDropReady(&future!, &cx) else { return .pending }
        future.clearInPlace()
        output = nil
        phase = .finished
        return .ready(())
    }
}

/// Where a ``Stage`` is.
@usableFromInline
enum StagePhase: UInt8 {
    /// The future has not completed.
    case running
    /// The future completed (its output is kept) and its drop is under way.
    case dropping
    /// The future is released, after its drop.
    case finished
}
