/// One stage of a composed future: polled to completion, then async-dropped, and only then is its
/// output handed on.
///
/// A future that completed may still have asynchronous cleanup (its drop contract holds after
/// `.ready` too), so a combinator never releases a finished stage before its drop is done. The
/// combinators (``Map``, ``Then``, ``Loop``, ``Finally``) keep their stages in this and so drop
/// exactly the live one.
@usableFromInline
struct Stage<F: Future & ~Copyable>: AsyncDroppable, ~Copyable {
    /// The future, until its drop is done.
    @usableFromInline var future: F?
    /// Its output, kept while its drop finishes.
    @usableFromInline var output: F.Output?

    @inlinable
    init(_ future: consuming F) {
        self.future = consume future
        self.output = nil
    }

    /// `.ready` with the output once the future has completed *and* its drop is done (the future
    /// is released by then). Call only while the stage still has its future.
    @inlinable
    mutating func poll(_ cx: inout Context) -> Poll<F.Output> {
        if output == nil {
            guard case .ready(let value) = future!.poll(&cx) else { return .pending }
            output = consume value
        }
        guard partDropReady(&future!, &cx) else { return .pending }
        future = nil
        return .ready(output.take()!)
    }

    /// Drives the future's drop (whether it completed or not); its output, if it had one, is
    /// released with it. Fused.
    @inlinable
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard future != nil else { return .ready(()) }
        guard partDropReady(&future!, &cx) else { return .pending }
        future = nil
        output = nil
        return .ready(())
    }
}
