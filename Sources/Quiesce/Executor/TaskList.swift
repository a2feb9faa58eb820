/// Every task that has not finished, linked through the tasks: for shutdown and for counting.
struct TaskList {
    private(set) var head: TaskBase?
    private(set) var count = 0

    mutating func insert(_ task: TaskBase) {
        task.nextLive = head
        head?.previousLive = task
        task.previousLive = nil
        head = task
        count += 1
    }

    mutating func remove(_ task: TaskBase) {
        let next = task.nextLive
        if let previous = task.previousLive { previous.nextLive = next } else { head = next }
        next?.previousLive = task.previousLive
        task.nextLive = nil
        task.previousLive = nil
        count -= 1
    }

    /// The tasks, collected first so the list may change while the caller works through them.
    func snapshot() -> [TaskBase] {
        var tasks: [TaskBase] = []
        tasks.reserveCapacity(count)
        var cursor = head
        while let task = cursor { tasks.append(task); cursor = task.nextLive }
        return tasks
    }
}
