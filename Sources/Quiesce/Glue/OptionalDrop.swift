/// An optional part: `nil` (never set, or already moved out) is ready at once; otherwise the
/// wrapped value's drop. This is how glue skips a field that was consumed: it is not dropped again.
extension Optional: AsyncDroppable where Wrapped: AsyncDroppable & ~Copyable {
    /// `.ready` for `nil`, else the wrapped value's drop readiness.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        self?.pollDropReady(&cx) ?? .ready(())
    }
}
