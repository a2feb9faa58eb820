/// A future that is ready at once with a value (noncopyable values too). Built by ``ready(_:)``.
public struct Ready<Output: ~Copyable>: Future, ~Copyable {
    @usableFromInline var value: Optional<Output>

    /// A future ready with `value`.
    @inlinable
    public init(_ value: consuming Output) { self.value = consume value }

    /// `.ready` with the value, the first time.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Output> {
        guard let value = value.take() else { preconditionFailure("Ready polled after it was ready") }
        return .ready(value)
    }
}

/// A future ready at once with `value`: the "nothing to wait for" branch of a ``Future/then(_:)``
/// or an ``Either``.
@inlinable
public func ready<T: ~Copyable>(_ value: consuming T) -> Ready<T> { Ready(value) }
