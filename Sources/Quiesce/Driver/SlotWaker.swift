/// Whom a driver slot wakes when its completion arrives.
///
/// The common case is the task that polled the operation, lent by the executor's context: the
/// slot refers to it without a reference of its own, because counting a reference is an atomic
/// read-modify-write pair (about 18 ns on this project's 2-core machine, a tenth of a NOP's
/// cost). Tasks never leave their executor's thread, so the slot counts its hold in the task's
/// plain `slotHolds` instead, as monoio's thread-local tasks count their wakers. A task is alive
/// while it is listed (unfinished); when the executor gives up the list's reference and slots
/// still hold the task, the task keeps itself alive until they let go
/// (``TaskBase/keepAliveForSlots()``).
///
/// Any other waker (a test's target, a combinator's own) is held as an ordinary, owning ``Waker``.
enum SlotWaker {
    case none
    /// The polling task, lent: counted in its `slotHolds`, not retained.
    case task(Unmanaged<TaskBase>)
    /// An owning waker.
    case owned(Waker)

    /// `true` when storing `other` in place of `self` would change nothing.
    @inline(__always)
    func willWake(_ other: SlotWaker) -> Bool {
        switch (self, other) {
        case (.none, .none): return true
        case (.task(let a), .task(let b)): return a.toOpaque() == b.toOpaque()
        case (.owned(let a), .owned(let b)): return a.willWake(b)
        default: return false
        }
    }

    /// Takes the hold this value stands for (the caller stores it in a slot).
    @inline(__always)
    func hold() {
        if case .task(let task) = self { task._withUnsafeGuaranteedRef { $0.slotHolds += 1 } }
    }

    /// Gives up the hold (an owned waker is released when the value goes).
    @inline(__always)
    func letGo() {
        if case .task(let task) = self { TaskBase.slotLetGo(task) }
    }

    /// Wakes the target, then gives up the hold.
    @inline(__always)
    func wakeAndLetGo() {
        switch self {
        case .none: break
        case .task(let task):
            task._withUnsafeGuaranteedRef { $0.wake() }  // a finished task ignores it
            TaskBase.slotLetGo(task)
        case .owned(let waker):
            waker.wake()
        }
    }
}

extension Context {
    /// The waker to store in a driver slot: the lent task itself when the executor is polling it,
    /// otherwise an owning copy of ``waker``.
    @inline(__always)
    var slotWaker: SlotWaker {
        if let lentTask { return .task(lentTask) }
        return .owned(waker)
    }
}
