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
@safe
struct TaskPool {
    // SAFETY: The pool owns one reference to each pooled task (adopted by `put`), so every task
    // reachable from `head` through the `nextLive` links is alive until the pool releases it or
    // hands it out.
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
        let capacity = unsafe task._withUnsafeGuaranteedRef { unsafe $0.blockCapacity }
        guard count < TaskPool.limit, blockBytes + capacity <= TaskPool.blockBudget else {
            unsafe task.release()
            return
        }
        unsafe task._withUnsafeGuaranteedRef { t in
            if unsafe t.name != nil { unsafe t.name = nil }
            unsafe t.secondChance = false
        }
        unsafe append(task)
    }

    /// A pooled task nobody else references, with the pool's reference; `nil` when there is none.
    @inline(__always)
    mutating func take() -> RawTask? {
        for _ in 0..<min(2, count) {  // never the same task twice
            guard let top = unsafe head else { return nil }
            unsafe head = unsafe top._withUnsafeGuaranteedRef { t in
                defer { unsafe t.nextLive = nil }
                return unsafe t.nextLive
            }
            if unsafe head == nil { unsafe tail = nil }
            count -= 1
            var task = unsafe top.takeRetainedValue()
            unsafe blockBytes -= task.blockCapacity
            if isKnownUniquelyReferenced(&task) { return task }
            if unsafe !task.secondChance {
                unsafe task.secondChance = true
                unsafe append(Unmanaged.passRetained(task))
            }
            // Otherwise released here (the pool's reference): referenced elsewhere for too long.
        }
        return nil
    }

    private mutating func append(_ task: Unmanaged<RawTask>) {
        if let tail = unsafe tail { unsafe tail._withUnsafeGuaranteedRef { unsafe $0.nextLive = unsafe task } } else { unsafe head = unsafe task }
        unsafe tail = unsafe task
        count += 1
        unsafe blockBytes += task._withUnsafeGuaranteedRef { unsafe $0.blockCapacity }
    }

    /// Releases every pooled task (the executor is going away).
    mutating func removeAll() {
        while let top = unsafe head {
            unsafe head = unsafe top._withUnsafeGuaranteedRef { t in
                defer { unsafe t.nextLive = nil }
                return unsafe t.nextLive
            }
            unsafe top.release()
        }
        unsafe tail = nil
        count = 0
        blockBytes = 0
    }
}
