/// Where the members of a ``JoinSet`` report that they finished: the finished tasks, in the order
/// they finished, and the one waker of whoever waits on the set.
///
/// A member points at the queue (``RawTask/completionQueue``) and pushes itself once, as it
/// finishes, waking the waiter; the set pops it and takes its output. So a waiting set is woken
/// once, however many members finish before it is polled, and finds the next finished member
/// without looking at the others.
///
/// The set allocates the queue (it needs a fixed address; the set itself moves) and frees it in
/// its `deinit`, after unlinking every member that has not finished (see ``RawTask/leaveSet()``):
/// no task ever reaches a queue that is gone, and no task keeps a set alive.
@usableFromInline
@safe
struct CompletionQueue: ~Copyable {
    // SAFETY: the links hold no reference: a queued task is a member whose handle the set still
    // holds, so it is alive until the set pops it or releases it (and the queue with it).
    // `waiter` carries one hold, taken by `wait(_:)` and let go exactly once: when it is replaced,
    // when `push` wakes it, or by `deinit`. Touched on the executor's thread only.
    /// The first finished task not taken yet.
    @usableFromInline var head: Unmanaged<RawTask>?
    /// The last one (its ``RawTask/nextCompleted`` is `nil`).
    @usableFromInline var tail: Unmanaged<RawTask>?
    /// Whom the next finished task wakes: held until then.
    var waiter: HeldWaker = unsafe .none

    @usableFromInline init() {}

    deinit { unsafe waiter.letGo() }

    /// Appends a task that has just finished and wakes the waiter, if any (which is then let go: the
    /// set registers again when it next waits).
    @usableFromInline @inline(__always)
    mutating func push(_ task: RawTask) {
        append(task)
        let waiter = unsafe waiter
        if case .none = unsafe waiter { return }
        unsafe self.waiter = .none
        unsafe waiter.wakeAndLetGo()
    }

    /// Appends a task that has finished, waking nobody.
    @inline(__always)
    mutating func append(_ task: RawTask) {
        let link = unsafe Unmanaged.passUnretained(task)
        unsafe task.nextCompleted = nil
        if let tail = unsafe tail {
            unsafe tail._withUnsafeGuaranteedRef { unsafe $0.nextCompleted = link }
        } else {
            unsafe head = link
        }
        unsafe tail = link
    }

    /// The task that finished first among those not taken yet, unlinked; `nil` when none is.
    @inlinable
    mutating func pop() -> Unmanaged<RawTask>? {
        guard let first = unsafe head else { return nil }
        unsafe head = unsafe first._withUnsafeGuaranteedRef { unsafe $0.nextCompleted }
        if unsafe head == nil { unsafe tail = nil }
        return unsafe first
    }

    /// Makes the context's task (or waker) the one the next finished task wakes.
    @usableFromInline
    mutating func wait(_ cx: inout Context) { unsafe RawTask.replace(&waiter, with: cx.heldWaker) }
}
