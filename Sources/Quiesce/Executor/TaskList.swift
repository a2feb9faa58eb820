/// Every task that has not finished, linked through the tasks: for shutdown and for counting.
///
/// The list owns one reference to each listed task, taken by `insert` and handed back to the caller
/// by `remove`, so the executor decides when it is released (see "Who owns a task" in ``RawTask``).
@safe
struct TaskList {
    // SAFETY: The list owns one reference to each listed task (taken by `insert`, handed back by
    // `remove`), so every task reachable from `head` through the `nextLive`/`previousLive` links is
    // alive.
    private(set) var head: Unmanaged<RawTask>?
    private(set) var count = 0

    /// Lists `task`, taking one reference to it.
    @inline(__always)
    mutating func insert(_ task: RawTask) {
        let new = unsafe Unmanaged.passRetained(task)
        unsafe task.nextLive = unsafe head
        unsafe task.previousLive = nil
        unsafe head?._withUnsafeGuaranteedRef { unsafe $0.previousLive = unsafe new }
        unsafe head = unsafe new
        count += 1
    }

    /// Unlists `task` and returns the list's reference to it, which the caller must release.
    @inline(__always)
    mutating func remove(_ task: RawTask) -> Unmanaged<RawTask> {
        let next = unsafe task.nextLive
        let previous = unsafe task.previousLive
        if let previous = unsafe previous { unsafe previous._withUnsafeGuaranteedRef { unsafe $0.nextLive = unsafe next } } else { unsafe head = unsafe next }
        unsafe next?._withUnsafeGuaranteedRef { unsafe $0.previousLive = unsafe previous }
        unsafe task.nextLive = nil
        unsafe task.previousLive = nil
        count -= 1
        return unsafe Unmanaged.passUnretained(task)
    }

    /// The tasks, collected first so the list may change while the caller works through them.
    func snapshot() -> [RawTask] {
        var tasks: [RawTask] = []
        tasks.reserveCapacity(count)
        var cursor = unsafe head
        while let task = unsafe cursor?.takeUnretainedValue() { tasks.append(task); unsafe cursor = unsafe task.nextLive }
        return tasks
    }
}
