/// The answer of one poll: the value is ready, or the caller will be woken when progress is possible.
///
/// `Poll` may carry a noncopyable value (an operation hands its buffer back inside its result).
@frozen
public enum Poll<T: ~Copyable>: ~Copyable {
    /// The work is done and here is its value.
    case ready(T)
    /// Not done yet; the waker from the `Context` has been registered and will be woken.
    case pending
}

extension Poll: Copyable where T: Copyable {}

extension Poll where T: ~Copyable {
    /// `true` when this is `.ready`.
    @inlinable
    public var isReady: Bool {
        switch self {
        case .ready: return true
        case .pending: return false
        }
    }
}

extension Poll where T == Void {
    /// `.ready(())`.
    @available(*, deprecated, message: "write .ready(())")
    public static var done: Poll<Void> { .ready(()) }
}
