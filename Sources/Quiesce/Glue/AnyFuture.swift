/// A type-erased future that keeps its own drop state in its box, so erasure never loses async drop.
///
/// The analogue of a boxed trait object. Noncopyable: the box has exactly one owner.
public struct AnyFuture<Output: ~Copyable>: Future, ~Copyable {
    @usableFromInline
    let box: AnyFutureBox<Output>

    /// Erases `future`.
    public init<F: Future & ~Copyable>(_ future: consuming F) where F.Output == Output {
        box = FutureBox(future)
    }

    /// Polls the erased future.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Output> { box.poll(&cx) }

    /// Drives the erased future's drop; the box remembers completion, so this stays fused even when
    /// the erased type is not.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { box.pollDropReady(&cx) }

    /// `true` once the erased future's drop has completed.
    public var isDropped: Bool { box.isDropped }
}

@usableFromInline
class AnyFutureBox<Output: ~Copyable> {
    @usableFromInline var isDropped = false
    @usableFromInline func poll(_ cx: inout Context) -> Poll<Output> { fatalError("abstract") }
    @usableFromInline func pollDropReady(_ cx: inout Context) -> Poll<Void> { fatalError("abstract") }
}

final class FutureBox<F: Future & ~Copyable>: AnyFutureBox<F.Output> {
    var future: F?

    init(_ future: consuming F) { self.future = consume future }

    override func poll(_ cx: inout Context) -> Poll<F.Output> {
        precondition(!isDropped && future != nil, "AnyFuture polled after its drop began")
        return future!.poll(&cx)
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if isDropped { return .ready(()) }
        guard future!.pollDropReady(&cx).isReady else { return .pending }
        isDropped = true
        future = nil  // released as soon as its drop is done
        return .ready(())
    }
}
