/// A set of tasks' join handles that yields their outputs as the tasks complete; its async drop
/// cancels every member and waits until every member's async drop has completed (tokio's
/// `JoinSet`).
///
/// ```swift
/// var set = JoinSet<Int>()
/// for n in 1...3 { set.spawn(compute(n), on: executor) }
/// // in a poll: while case .ready(let next?) = set.pollNext(&cx) { total += try next.get() }
/// ```
///
/// Outputs come in completion order. A member that completed but whose output was never taken
/// has it released once, when the set lets the member go. Handles from elsewhere (a ``ScopeSpawner``'s children,
/// say) join with ``insert(_:)``.
///
/// Members report to the set as they finish (each pushes itself onto the set's completion queue),
/// so a waiting set holds one waker, is woken once however many members finish before it is
/// polled, and takes the next output without looking at the other members.
@safe
public struct JoinSet<Output: ~Copyable>: Stream, ~Copyable {
    // SAFETY: `completions` is allocated and initialized by `init`, and deinitialized and freed by
    // `deinit`, after every member still linked to it has been unlinked (`releaseAll`);
    // noncopyable, the set has one owner. Every member is either unfinished and linked to the
    // queue, or finished and in the queue exactly once (`insert` links it or pushes it, `finish`
    // pushes it, and so does the executor's teardown): so a task the queue pops is a member, alive
    // through `members`' reference, at the index its `setIndex` names.
    @usableFromInline var members = JoinSetMembers()
    /// Where the members push themselves as they finish.
    @usableFromInline let completions: UnsafeMutablePointer<CompletionQueue>
    /// The async drop has begun: every member has been cancelled, and one inserted is at once.
    @usableFromInline var isDropping = false

    /// An empty set.
    @inlinable
    public init() {
        unsafe completions = .allocate(capacity: 1)
        unsafe completions.initialize(to: CompletionQueue())
    }

    deinit {
        members.releaseAll()
        unsafe completions.deinitialize(count: 1)
        unsafe completions.deallocate()
    }

    /// Members whose output has not been taken yet.
    @inlinable
    public var count: Int { members.count }

    /// `true` when the set has no member left.
    @inlinable
    public var isEmpty: Bool { members.count == 0 }

    /// Spawns `future` on `executor` and adds the task.
    @inlinable
    public mutating func spawn<F: Future & ~Copyable>(_ future: consuming F, on executor: Executor, name: String? = nil)
    where F.Output == Output {
        insert(executor.spawn(future, name: name))
    }

    /// Adds a handle's task (the set takes over the handle). A task that has already finished is
    /// yielded by the next ``pollNext(_:)``.
    @inlinable
    public mutating func insert(_ handle: consuming JoinHandle<Output>) {
        guard let task = unsafe handle.intoTask() else { return }  // only a consumed handle has no task
        unsafe task._withUnsafeGuaranteedRef { task in
            unsafe task.enterSet(completions, at: members.count)
            if isDropping { task.requestCancel() }
        }
        unsafe members.append(task)
    }

    /// Cancels every member (their async drops run; ``pollNext(_:)`` then yields `Cancelled` for
    /// each one that had not completed).
    public func cancelAll() {
        for index in 0..<members.count { unsafe members[index]._withUnsafeGuaranteedRef { $0.requestCancel() } }
    }

    /// The output of the member that finished first (its async drop done) among those not taken
    /// yet, removing it; `.ready(nil)` when the set is empty; `.pending` while members run (the
    /// waker is registered with the set, woken by the next member to finish).
    @inlinable
    public mutating func pollNext(_ cx: inout Context) -> Poll<Result<Output, Cancelled>?> {
        if members.count == 0 { return .ready(nil) }
        guard let finished = unsafe completions.pointee.pop() else {
            unsafe completions.pointee.wait(&cx)
            return .pending
        }
        let task = unsafe members.remove(at: finished._withUnsafeGuaranteedRef { unsafe $0.setIndex })
        // SAFETY: the task has finished, and the reference taken from `members` keeps its output
        // slot alive until the output has been moved out of it.
        defer { unsafe task.release() }
        let slot = unsafe task._withUnsafeGuaranteedRef { task -> UnsafeMutablePointer<Output?>? in
            task.claimOutput() ? unsafe task.outputSlot(Output.self) : nil
        }
        guard let slot = unsafe slot, let output = unsafe slot.pointee.take() else { return .ready(.failure(Cancelled())) }
        return .ready(.success(output))
    }

    /// Cancels every member and waits for every member's async drop; a member's output that was
    /// never taken is released as the member leaves the set.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if !isDropping {
            isDropping = true
            cancelAll()
        }
        while let finished = unsafe completions.pointee.pop() {
            let task = unsafe members.remove(at: finished._withUnsafeGuaranteedRef { unsafe $0.setIndex })
            unsafe task._withUnsafeGuaranteedRef { $0.handleGone() }
            unsafe task.release()
        }
        if members.count == 0 { return .ready(()) }
        unsafe completions.pointee.wait(&cx)
        return .pending
    }
}

extension JoinSet where Output: Copyable {
    /// Waits for every member and gives their outputs in completion order (consumes the set).
    public consuming func joinAll() -> JoinAll<Output> { JoinAll(self) }
}

/// The future of ``JoinSet/joinAll()``: every member's result, in completion order.
public struct JoinAll<Output>: Future, ~Copyable {
    @usableFromInline var set: JoinSet<Output>
    @usableFromInline var results: [Result<Output, Cancelled>] = []

    init(_ set: consuming JoinSet<Output>) { self.set = set }

    /// Ready once the set is empty.
    public mutating func poll(_ cx: inout Context) -> Poll<[Result<Output, Cancelled>]> {
        while true {
            switch set.pollNext(&cx) {
            case .pending: return .pending
            case .ready(nil): return .ready(results)
            case .ready(let result?): results.append(result)
            }
        }
    }

    /// Cancels the members left and waits for their drops.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { set.pollDropReady(&cx) }
}
