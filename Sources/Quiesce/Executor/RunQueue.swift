/// The FIFO of woken tasks, linked through the tasks themselves: queueing never allocates.
struct RunQueue {
    private var head: TaskBase?
    private unowned(unsafe) var tail: TaskBase?
    private(set) var count = 0

    var isEmpty: Bool { head == nil }

    mutating func push(_ task: TaskBase) {
        task.queued = true
        task.nextRunnable = nil
        if let tail { tail.nextRunnable = task } else { head = task }
        tail = task
        count += 1
    }

    mutating func pop() -> TaskBase? {
        guard let task = head else { return nil }
        head = task.nextRunnable
        if head == nil { tail = nil }
        task.nextRunnable = nil
        task.queued = false
        count -= 1
        return task
    }
}
