/// A waker kept by something that wakes it later: whom a driver slot wakes when its completion
/// arrives, whom a task wakes when it finishes (its join waiter).
///
/// The common case is the task being polled, lent by the executor's context: the holder keeps it as
/// a ``CountedWakeTarget``, counting its hold instead of taking a reference (a plain increment on
/// the executor's thread, where a reference count is an atomic read-modify-write pair), as monoio's
/// thread-local tasks count their wakers. Holders know nothing more of tasks: the target's owner
/// keeps it alive while holds remain (``CountedWakeTarget/keepAliveWhileHeld()``).
///
/// Any other waker (a test's target, a combinator's own) is held by a reference, taken by
/// ``hold()`` and given up by ``letGo()``. The value itself owns nothing, so copying or overwriting
/// one costs nothing.
///
/// Unsafe to use: whoever stores a value must call ``hold()`` once while the target is still alive
/// (the caller's waker keeps it), and ``letGo()`` or ``wakeAndLetGo()`` exactly once when it gives
/// the value up. `DriverHandle` keeps that pairing (a slot takes the hold when it stores its waker
/// and lets it go when it replaces, clears or settles it), and so do `RawTask` for its join waiter and
/// the sets' queues (`CompletionQueue`, `WokenMembers`) for the set's one waiter.
@unsafe
enum HeldWaker {
    case none
    /// A lent target: its hold counted in the target, no reference taken.
    case counted(Unmanaged<CountedWakeTarget>)
    /// Any other waker's target: retained by ``hold()``, released by ``letGo()``.
    case owned(Unmanaged<WakeTarget>)

    /// `waker`'s target, to be held by a slot (the caller keeps `waker` alive until ``hold()``).
    @inline(__always)
    init(_ waker: borrowing Waker) { unsafe self = unsafe .owned(Unmanaged.passUnretained(waker.target)) }

    /// `true` when storing `other` in place of `self` would change nothing.
    @inline(__always)
    func willWake(_ other: HeldWaker) -> Bool {
        switch unsafe (self, other) {
        case (.none, .none): return true
        case (.counted(let a), .counted(let b)): return unsafe a.toOpaque() == b.toOpaque()
        case (.owned(let a), .owned(let b)): return unsafe a.toOpaque() == b.toOpaque()
        default: return false
        }
    }

    /// Takes the hold this value stands for (the caller stores it in a slot).
    @inline(__always)
    func hold() {
        switch unsafe self {
        case .none: break
        case .counted(let target): unsafe target._withUnsafeGuaranteedRef { $0.hold() }
        case .owned(let target): _ = unsafe target.retain()
        }
    }

    /// Gives up the hold.
    @inline(__always)
    func letGo() {
        switch unsafe self {
        case .none: break
        case .counted(let target): unsafe CountedWakeTarget.letGo(target)
        case .owned(let target): unsafe target.release()
        }
    }

    /// Wakes the target and keeps the hold (the holder wakes it again later).
    @inline(__always)
    func wake() {
        switch unsafe self {
        case .none: break
        case .counted(let target): unsafe target._withUnsafeGuaranteedRef { $0.wake() }
        case .owned(let target): unsafe target._withUnsafeGuaranteedRef { $0.wake() }
        }
    }

    /// Wakes the target, then gives up the hold.
    @inline(__always)
    func wakeAndLetGo() {
        switch unsafe self {
        case .none: break
        case .counted(let target):
            unsafe target._withUnsafeGuaranteedRef { $0.wake() }  // a finished task ignores it
            unsafe CountedWakeTarget.letGo(target)
        case .owned(let target):
            unsafe target._withUnsafeGuaranteedRef { $0.wake() }
            unsafe target.release()
        }
    }
}

extension Context {
    /// The waker to store in a driver slot: the lent target itself when the executor is polling a
    /// task, otherwise an owning copy of ``waker``.
    @inline(__always)
    var heldWaker: HeldWaker {
        if let lentTarget = unsafe lentTarget { return unsafe .counted(lentTarget) }
        return unsafe HeldWaker(waker)  // the context keeps its target alive for the poll
    }
}
