/// Whom a driver slot wakes when its completion arrives.
///
/// The common case is the task that polled the operation, lent by the executor's context: the
/// slot refers to it without a reference of its own, because counting a reference is an atomic
/// read-modify-write pair (about 18 ns on this project's 2-core machine, a tenth of a NOP's
/// cost). Tasks never leave their executor's thread, so the slot counts its hold in the task's
/// plain `slotHolds` instead, as monoio's thread-local tasks count their wakers. A task is alive
/// while it is listed (unfinished); when the executor gives up the list's reference and slots
/// still hold the task, the task keeps itself alive until they let go
/// (``RawTask/keepAliveForSlots()``).
///
/// Any other waker (a test's target, a combinator's own) is held by a reference, taken by
/// ``hold()`` and given up by ``letGo()``. The value itself owns nothing, so copying or
/// overwriting one costs nothing (an enum with a strong payload paid an outlined copy and destroy
/// per submission).
enum SlotWaker {
    case none
    /// The polling task, lent: counted in its `slotHolds`, not retained.
    case task(Unmanaged<RawTask>)
    /// Any other waker's target: retained by ``hold()``, released by ``letGo()``.
    case owned(Unmanaged<WakeTarget>)

    /// `waker`'s target, to be held by a slot (the caller keeps `waker` alive until ``hold()``).
    @inline(__always)
    init(_ waker: borrowing Waker) { self = .owned(Unmanaged.passUnretained(waker.target)) }

    /// `true` when storing `other` in place of `self` would change nothing.
    @inline(__always)
    func willWake(_ other: SlotWaker) -> Bool {
        switch (self, other) {
        case (.none, .none): return true
        case (.task(let a), .task(let b)): return a.toOpaque() == b.toOpaque()
        case (.owned(let a), .owned(let b)): return a.toOpaque() == b.toOpaque()
        default: return false
        }
    }

    /// Takes the hold this value stands for (the caller stores it in a slot).
    @inline(__always)
    func hold() {
        switch self {
        case .none: break
        case .task(let task): task._withUnsafeGuaranteedRef { $0.slotHolds &+= 1 }
        case .owned(let target): _ = target.retain()
        }
    }

    /// Gives up the hold.
    @inline(__always)
    func letGo() {
        switch self {
        case .none: break
        case .task(let task): RawTask.slotLetGo(task)
        case .owned(let target): target.release()
        }
    }

    /// Wakes the target, then gives up the hold.
    @inline(__always)
    func wakeAndLetGo() {
        switch self {
        case .none: break
        case .task(let task):
            task._withUnsafeGuaranteedRef { $0.wake() }  // a finished task ignores it
            RawTask.slotLetGo(task)
        case .owned(let target):
            target._withUnsafeGuaranteedRef { $0.wake() }
            target.release()
        }
    }
}

extension Context {
    /// The waker to store in a driver slot: the lent task itself when the executor is polling it,
    /// otherwise an owning copy of ``waker``.
    @inline(__always)
    var slotWaker: SlotWaker {
        if let lentTask { return .task(lentTask) }
        return SlotWaker(waker)  // the context keeps its target alive for the poll
    }
}
