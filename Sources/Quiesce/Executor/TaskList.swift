/// Every task that has not finished, linked through the tasks: for shutdown and for counting.
///
/// The list owns one reference to each listed task, taken by `insert` and handed back to the caller
/// by `remove`, so the executor decides when it is released (see "Who owns a task" in ``RawTask``).
struct TaskList {
    private(set) var head: Unmanaged<RawTask>?
    private(set) var count = 0

    /// Lists `task`, taking one reference to it.
    @inline(__always)
    mutating func insert(_ task: RawTask) {
        let new = Unmanaged.passRetained(task)
        task.nextLive = head
        task.previousLive = nil
        head?._withUnsafeGuaranteedRef { $0.previousLive = new }
        head = new
        count += 1
    }

    /// Unlists `task` and returns the list's reference to it, which the caller must release.
    @inline(__always)
    mutating func remove(_ task: RawTask) -> Unmanaged<RawTask> {
        let next = task.nextLive
        let previous = task.previousLive
        if let previous { previous._withUnsafeGuaranteedRef { $0.nextLive = next } } else { head = next }
        next?._withUnsafeGuaranteedRef { $0.previousLive = previous }
        task.nextLive = nil
        task.previousLive = nil
        count -= 1
        return Unmanaged.passUnretained(task)
    }

    /// The tasks, collected first so the list may change while the caller works through them.
    func snapshot() -> [RawTask] {
        var tasks: [RawTask] = []
        tasks.reserveCapacity(count)
        var cursor = head
        while let task = cursor?.takeUnretainedValue() { tasks.append(task); cursor = task.nextLive }
        return tasks
    }
}
