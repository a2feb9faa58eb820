/// The FIFO of woken tasks, linked through the tasks themselves: queueing never allocates.
///
/// The links hold no reference: a queued task is kept alive by the live list, or by the reference
/// the list handed to the queue (`heldByQueue`) when it finished while queued (see "Who owns a
/// task" in ``RawTask``).
struct RunQueue {
    private var head: Unmanaged<RawTask>?
    private var tail: Unmanaged<RawTask>?
    private(set) var count = 0

    var isEmpty: Bool { head == nil }

    mutating func push(_ task: Unmanaged<RawTask>) {
        task._withUnsafeGuaranteedRef { t in
            t.queued = true
            t.nextRunnable = nil
        }
        if let tail { tail._withUnsafeGuaranteedRef { $0.nextRunnable = task } } else { head = task }
        tail = task
        count += 1
    }

    /// The next task; the caller releases the queue's reference when `heldByQueue` was set.
    mutating func pop() -> Unmanaged<RawTask>? {
        guard let task = head else { return nil }
        task._withUnsafeGuaranteedRef { t in
            head = t.nextRunnable
            t.nextRunnable = nil
            t.queued = false
        }
        if head == nil { tail = nil }
        count -= 1
        return task
    }
}
