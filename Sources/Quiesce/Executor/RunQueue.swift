/// The FIFO of woken tasks, linked through the tasks themselves: queueing never allocates.
///
/// The links hold no reference: a queued task is kept alive by the live list, or by the reference
/// the list handed to the queue (`heldByQueue`) when it finished while queued (see "Who owns a
/// task" in ``RawTask``).
@safe
struct RunQueue {
    // SAFETY: Every linked task is alive while it is queued: the live list holds a reference to it,
    // or the queue holds the list's reference (`heldByQueue`). `pop` clears the links of the task
    // it returns, so no link outlives its task's place in the queue.
    private var head: Unmanaged<RawTask>?
    private var tail: Unmanaged<RawTask>?
    private(set) var count = 0

    var isEmpty: Bool { unsafe head == nil }

    mutating func push(_ task: Unmanaged<RawTask>) {
        unsafe task._withUnsafeGuaranteedRef { t in
            unsafe t.queued = true
            unsafe t.nextRunnable = nil
        }
        if let tail = unsafe tail { unsafe tail._withUnsafeGuaranteedRef { unsafe $0.nextRunnable = unsafe task } } else { unsafe head = unsafe task }
        unsafe tail = unsafe task
        count &+= 1
    }

    /// The next task; the caller releases the queue's reference when `heldByQueue` was set.
    mutating func pop() -> Unmanaged<RawTask>? {
        guard let task = unsafe head else { return nil }
        unsafe task._withUnsafeGuaranteedRef { t in
            unsafe head = unsafe t.nextRunnable
            unsafe t.nextRunnable = nil
            unsafe t.queued = false
        }
        if unsafe head == nil { unsafe tail = nil }
        count &-= 1
        return unsafe task
    }
}
