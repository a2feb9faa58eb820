/// A future whose output is its inner future's, transformed. Built by ``Future/map(_:)`` and
/// ``Future/map(carrying:_:)``.
///
/// The inner future is async-dropped (after it completed) before `transform` runs; dropping the
/// map drops the inner future if it is still there. `Carried` is a value stored beside the
/// transform and handed to it, so that a transform needs no captures (a closure that captures
/// nothing is never allocated).
public struct Map<Inner: Future & ~Copyable, Carried, Output: ~Copyable>: Future, ~Copyable {
    @usableFromInline var inner: Stage<Inner>
    @usableFromInline let carried: Carried
    @usableFromInline let transform: (Carried, consuming Inner.Output) -> Output

    /// Transforms `inner`'s output with `transform`, which is also handed `carried`.
    @inlinable
    public init(_ inner: consuming Inner, carrying carried: Carried,
                _ transform: @escaping (Carried, consuming Inner.Output) -> Output) {
        self.inner = Stage(inner)
        self.carried = carried
        self.transform = transform
    }

    /// The transformed output, once the inner future has completed and been dropped.
    @inlinable @inline(__always)
    public mutating func poll(_ cx: inout Context) -> Poll<Output> {
        guard case .ready(let value) = inner.poll(&cx) else { return .pending }
        return .ready(transform(carried, value))
    }

    /// Drops the inner future, if it is still there.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { inner.pollDropReady(&cx) }
}

extension Future where Self: ~Copyable {
    /// A future whose output is this one's, transformed by `transform`. Noncopyable outputs (an
    /// operation's buffer) move through.
    ///
    /// ```swift
    /// let length = IO.read(fd, into: IOBuffer(capacity: 64)).map { done in done.buffer.count }
    /// ```
    @inlinable
    public consuming func map<U: ~Copyable>(
        _ transform: @escaping (consuming Output) -> U
    ) -> Map<Self, (consuming Output) -> U, U> {
        Map(self, carrying: transform) { transform, output in transform(output) }
    }

    /// A future whose output is this one's, transformed by `transform`, which is handed `carried`
    /// too: a transform that captures nothing costs no allocation when it is built per message.
    ///
    /// ```swift
    /// let echoed = IO.recv(fd, into: buffer).map(carrying: fd) { fd, done in (fd, done.buffer) }
    /// ```
    @inlinable
    public consuming func map<C, U: ~Copyable>(
        carrying carried: C, _ transform: @escaping (C, consuming Output) -> U
    ) -> Map<Self, C, U> {
        Map(self, carrying: carried, transform)
    }
}
