/// Finished tasks kept for reuse, so that spawning allocates nothing in steady state.
///
/// The pool holds one reference to each pooled task (the live list's, handed over when the task
/// finished) and reuses a task only when that is the *only* reference left, so recycling it is
/// invisible: a waker of the old task can never wake the new one (see "Who owns a task" in
/// ``RawTask``).
///
/// A task still referenced when its turn comes (its handle not yet joined, say) goes to the back for
/// a second chance; still referenced at that one, it is let go (freed when its last owner lets go).
/// So a spawn checks at most two tasks, and tasks referenced for long do not clog the pool.
///
/// Bounded by ``limit`` tasks and ``blockBudget`` bytes of blocks (the memory their futures lived
/// in, kept with them): beyond either, a finished task is freed instead of pooled.
struct TaskPool {
    /// Enough for bursts of a thousand short tasks; a pooled task takes about 200 bytes plus its block.
    static let limit = 1024
    /// At most 1 MiB of future memory kept idle (a thousand futures of up to 1 KiB).
    static let blockBudget = 1 << 20

    // A FIFO linked through `nextLive` (a pooled task is not listed).
    private var head: Unmanaged<RawTask>?
    private var tail: Unmanaged<RawTask>?
    private(set) var count = 0
    /// Bytes of the pooled tasks' blocks.
    private(set) var blockBytes = 0

    /// Adopts the caller's reference to a finished, unqueued task, or releases it when full.
    @inline(__always)
    mutating func put(_ task: Unmanaged<RawTask>) {
        let capacity = task._withUnsafeGuaranteedRef { $0.blockCapacity }
        guard count < TaskPool.limit, blockBytes + capacity <= TaskPool.blockBudget else {
            task.release()
            return
        }
        task._withUnsafeGuaranteedRef { t in
            if t.name != nil { t.name = nil }
            t.secondChance = false
        }
        append(task)
    }

    /// A pooled task nobody else references, with the pool's reference; `nil` when there is none.
    @inline(__always)
    mutating func take() -> RawTask? {
        for _ in 0..<min(2, count) {  // never the same task twice
            guard let top = head else { return nil }
            head = top._withUnsafeGuaranteedRef { t in
                defer { t.nextLive = nil }
                return t.nextLive
            }
            if head == nil { tail = nil }
            count -= 1
            var task = top.takeRetainedValue()
            blockBytes -= task.blockCapacity
            if isKnownUniquelyReferenced(&task) { return task }
            if !task.secondChance {
                task.secondChance = true
                append(Unmanaged.passRetained(task))
            }
            // Otherwise released here (the pool's reference): referenced elsewhere for too long.
        }
        return nil
    }

    private mutating func append(_ task: Unmanaged<RawTask>) {
        if let tail { tail._withUnsafeGuaranteedRef { $0.nextLive = task } } else { head = task }
        tail = task
        count += 1
        blockBytes += task._withUnsafeGuaranteedRef { $0.blockCapacity }
    }

    /// Releases every pooled task (the executor is going away).
    mutating func removeAll() {
        while let top = head {
            head = top._withUnsafeGuaranteedRef { t in
                defer { t.nextLive = nil }
                return t.nextLive
            }
            top.release()
        }
        tail = nil
        count = 0
        blockBytes = 0
    }
}
