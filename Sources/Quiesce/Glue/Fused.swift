/// Adds a drop flag around a part whose `pollDropReady` is not fused, so glue can poll it again
/// and again without effect once it has answered `.ready`.
///
/// Also forwards ``Future/poll(_:)`` when the part is a future.
public struct Fused<Inner: AsyncDroppable & ~Copyable>: AsyncDroppable, ~Copyable {
    /// The wrapped part.
    public var inner: Inner
    /// `true` once the inner drop answered `.ready`.
    public private(set) var isDropped = false

    /// Wraps `inner`.
    public init(_ inner: consuming Inner) { self.inner = inner }

    /// Drives the inner drop until its first `.ready`, then answers `.ready` without calling it again.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if isDropped { return .ready(()) }
        guard inner.pollDropReady(&cx).isReady else { return .pending }
        isDropped = true
        return .ready(())
    }
}

extension Fused: Future where Inner: Future & ~Copyable {
    /// The inner future's output.
    public typealias Output = Inner.Output

    /// Polls the inner future.
    public mutating func poll(_ cx: inout Context) -> Poll<Inner.Output> { inner.poll(&cx) }
}
