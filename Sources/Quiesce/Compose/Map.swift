/// A future whose output is its inner future's, transformed. Built by ``Future/map(_:)``.
///
/// The inner future is async-dropped (after it completed) before `transform` runs; dropping the
/// map drops the inner future if it is still there.
public struct Map<Inner: Future & ~Copyable, Output: ~Copyable>: Future, ~Copyable {
    @usableFromInline var inner: Stage<Inner>
    @usableFromInline let transform: (consuming Inner.Output) -> Output

    /// Transforms `inner`'s output with `transform`.
    @inlinable
    public init(_ inner: consuming Inner, _ transform: @escaping (consuming Inner.Output) -> Output) {
        self.inner = Stage(inner)
        self.transform = transform
    }

    /// The transformed output, once the inner future has completed and been dropped.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Output> {
        guard case .ready(let value) = inner.poll(&cx) else { return .pending }
        return .ready(transform(value))
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
    public consuming func map<U: ~Copyable>(_ transform: @escaping (consuming Output) -> U) -> Map<Self, U> {
        Map(self, transform)
    }
}
