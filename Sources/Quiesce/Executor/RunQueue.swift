/// The FIFO of woken tasks, linked through the tasks themselves: queueing never allocates.
///
/// The links hold no reference (queueing costs no atomic reference-count traffic). That is safe
/// because a queued task is always kept alive by someone else: by the live list while it has not
/// finished, and, when it finishes while queued (woken during its last poll), by one reference the
/// executor takes for the queue (`RawTask.heldByQueue`) and gives back when the task is popped.
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
