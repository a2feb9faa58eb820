/// The executor's record of one spawned future, without its type.
///
/// A task is polled only when woken; it moves through three phases: running (its `poll` is called),
/// dropping (its `pollDropReady` is driven to `.ready`; `poll` is never called again) and finished
/// (the future has been released; the output, if any, waits for the join handle).
///
/// One final class for every future type: the future and its output live in a block of raw memory
/// (`block`) the task owns, and the code that knows their types is reached through `ops`. So a
/// finished task can be recycled for a future of any type (see ``TaskPool``): spawning allocates
/// nothing once the executor has warmed up.
///
/// # Who owns a task
///
/// These are the task's ownership rules, in one place; the run queue, the live list, the pool and
/// the driver's slots each follow the part that concerns them.
///
/// - **The live list** (``TaskList``) owns one reference from spawn until the task finishes. It is
///   what keeps a task alive while it runs: an unfinished task is never freed.
/// - **The run queue** (``RunQueue``) links tasks without references: a queued unfinished task is
///   kept by the live list. A task that finishes while queued (woken in its last poll) hands the
///   list's reference to the queue (`heldByQueue`), given up when it is popped.
/// - **Join handles** own one reference each (``JoinHandle``), and so does every copy of a
///   ``Waker``: a finished task ignores wakes, so a late waker is harmless.
/// - **A scope** owns a reference to each child it spawned until the child finished.
/// - **A ``JoinSet``** owns one reference to each member, the one its join handle held
///   (``JoinSetMembers``); a member points at the set's ``CompletionQueue`` (memory the set
///   allocates, no object), and the queue links finished members without references.
/// - **Driver slots** hold the task as a ``CountedWakeTarget``: a count in `holds`, no reference.
///   When the executor gives up the list's reference while holds remain (an operation the task
///   polled was moved elsewhere and is still in flight), the task keeps one reference on itself
///   until the last hold is let go (``CountedWakeTarget/keepAliveWhileHeld()``).
/// - **The pool** (``TaskPool``) takes over the list's reference of a finished task, and reuses the
///   task only when that is the last reference left: no handle, waker, scope or slot can observe
///   the recycling.
/// - **The executor itself** is referenced by no task (`executorRef` is unretained): it outlives
///   every task it runs, and releases the ones left, synchronously, when it is torn down.
// Stored properties are `@exclusivity(unchecked)`: see Executor (one thread, no overlapping access).
@usableFromInline
@safe
final class RawTask: CountedWakeTarget {
    // SAFETY: `executorRef` holds no reference: the executor outlives every task it runs and
    // releases the ones left when it is torn down. `block` holds the future (initialized while
    // `futureIsLive`) and its output slot (read only while `hasOutput`), laid out by `ops` for the
    // future's type. `joinWaiter` carries one hold on its target, taken by `setJoinWaiter` and let
    // go exactly once: when it is replaced, when `finish` wakes it, or by `releaseSynchronously`.
    // `completionQueue` points at a queue its set allocated: the set holds a reference to this
    // task, and clears the field (`leaveSet`) before it frees the queue; `finish` clears it as it pushes the
    // task, so a finished task never reaches a queue again.
    // The `@exclusivity(unchecked)` fields are touched only on the executor's thread, never by
    // overlapping accesses.
    @usableFromInline enum Phase: UInt8 { case running, dropping, finished }

    /// The executor, without a reference (tasks never use it once it is gone). Unmanaged, so that a
    /// call through it costs no retain/release pair (an `unowned(unsafe)` load is retained).
    let executorRef: Unmanaged<Executor>
    var executor: Executor { unsafe executorRef.takeUnretainedValue() }
    @usableFromInline @exclusivity(unchecked) var phase: Phase = .running
    @usableFromInline @exclusivity(unchecked) var cancelRequested = false
    /// The future completed with an output (as opposed to being cancelled before it did).
    @usableFromInline @exclusivity(unchecked) var completed = false
    @exclusivity(unchecked) var queued = false
    /// The task left the live list while queued, and the run queue holds the list's reference
    /// (given up when the task is popped): see ``RunQueue``.
    @exclusivity(unchecked) var heldByQueue = false
    /// Pooled and found still referenced once already (see ``TaskPool``).
    @exclusivity(unchecked) var secondChance = false
    /// The future in `block` is initialized (not yet released).
    @usableFromInline @exclusivity(unchecked) var futureIsLive = false
    /// The output slot holds an output nobody has taken yet. Otherwise the slot is never read: it
    /// holds `nil`, or nothing once an untaken output was released.
    @usableFromInline @exclusivity(unchecked) var hasOutput = false
    /// A join handle (or `blockOn`) may still take the output; without one, an output is released
    /// as soon as the task finishes.
    @usableFromInline @exclusivity(unchecked) var hasTaker = false
    /// Who waits for this task to finish (its join handle's poller): held as a
    /// driver slot holds a waker, so an executor's task waiting here is counted, not retained.
    @exclusivity(unchecked) var joinWaiter: HeldWaker = unsafe .none
    /// The waker of the scope this task belongs to, if any: woken when the task finishes.
    @exclusivity(unchecked) var scopeWaker: Waker?
    /// The completion queue of the ``JoinSet`` this task is a member of, until the task finishes
    /// and pushes itself there. The set unlinks its unfinished members before it frees the queue.
    @usableFromInline @exclusivity(unchecked) var completionQueue: UnsafeMutablePointer<CompletionQueue>?
    /// The next task in the completion queue this task is in (``CompletionQueue``'s link).
    @usableFromInline @exclusivity(unchecked) var nextCompleted: Unmanaged<RawTask>?
    /// Where the task is among its ``JoinSet``'s members (``JoinSetMembers``).
    @usableFromInline @exclusivity(unchecked) var setIndex = 0
    @exclusivity(unchecked) var id: UInt64
    @exclusivity(unchecked) var name: String?

    /// Polls the task once: ``TaskOpsFor/run(_:_:)`` for the future's type, formed where the first
    /// task of that type was spawned, so that where the type is known (the usual case) the whole
    /// poll is specialized for it, generic combinator types included; through ``ops`` it would be
    /// the generic code. Shared by the executor's tasks of that type (see ``TaskPollers``).
    // SAFETY: unretained: the executor's ``TaskPollers`` table keeps every poller for the
    // executor's life, and a task is polled only by its executor.
    @exclusivity(unchecked) var poller: Unmanaged<TaskPoller>
    /// The operations of the future's type: dropping, destroying, naming.
    @exclusivity(unchecked) var ops: any TaskOps.Type
    /// The future (at offset 0) and its output slot, an `Output?` at `layout.outputOffset`.
    @usableFromInline @exclusivity(unchecked) var block: UnsafeMutableRawPointer
    /// Where things are in `block`.
    @usableFromInline @exclusivity(unchecked) var layout: TaskLayout
    /// The size and alignment `block` was allocated with (at least `layout`'s).
    @exclusivity(unchecked) var blockCapacity: Int
    @exclusivity(unchecked) var blockAlignment: Int

    // Intrusive links: no allocation when a task is queued, listed or pooled, and no reference
    // counting (see RunQueue, TaskList and TaskPool for who keeps a linked task alive).
    @exclusivity(unchecked) var nextRunnable: Unmanaged<RawTask>?
    @exclusivity(unchecked) var nextLive: Unmanaged<RawTask>?
    @exclusivity(unchecked) var previousLive: Unmanaged<RawTask>?

    /// A task with room for a future of `layout`; the caller initializes the future and the output
    /// slot at once (see ``Executor/makeTask(_:name:)``).
    init(executor: Executor, id: UInt64, name: String?, ops: any TaskOps.Type, poller: Unmanaged<TaskPoller>, layout: TaskLayout) {
        // SAFETY: the block is sized and aligned for `layout`; the caller initializes the future
        // and the output slot before the task runs.
        unsafe self.executorRef = unsafe Unmanaged.passUnretained(executor)
        unsafe self.id = id
        unsafe self.name = name
        unsafe self.ops = ops
        unsafe self.poller = poller
        unsafe self.layout = layout
        unsafe (blockCapacity, blockAlignment) = RawTask.blockSize(for: layout)
        unsafe block = unsafe .allocate(byteCount: blockCapacity, alignment: blockAlignment)
        unsafe futureIsLive = true
    }

    deinit {
        unsafe assert(holds == 0, "a task was freed while a driver slot still held it")
        releaseFuture()
        releaseOutput()
        unsafe block.deallocate()
    }

    /// Blocks are rounded up (to 64 bytes, aligned to at least 16) so that a recycled task fits
    /// futures of other sizes too.
    private static func blockSize(for layout: TaskLayout) -> (Int, Int) {
        ((layout.size + 63) & ~63, max(layout.alignment, 16))
    }

    /// Makes a finished, unreferenced task (see ``TaskPool``) a new one, with room for `layout`.
    func reuse(id: UInt64, name: String?, ops: any TaskOps.Type, poller: Unmanaged<TaskPoller>, layout: TaskLayout) {
        // SAFETY: a pooled task has released its future and output, so the block holds nothing live
        // when it is reallocated or reused; it is sized and aligned for the new `layout`.
        releaseOutput()
        if unsafe layout.size > blockCapacity || layout.alignment > blockAlignment {
            unsafe block.deallocate()
            unsafe (blockCapacity, blockAlignment) = RawTask.blockSize(for: layout)
            unsafe block = unsafe .allocate(byteCount: blockCapacity, alignment: blockAlignment)
        }
        unsafe self.id = id
        if unsafe name != nil || self.name != nil { unsafe self.name = name }  // usually both nil: no release call
        unsafe self.ops = ops
        unsafe self.poller = poller
        unsafe self.layout = layout
        unsafe assert(completionQueue == nil, "a task was recycled while a set still counted it as a member")
        unsafe phase = .running
        unsafe hasTaker = false
        unsafe cancelRequested = false
        unsafe completed = false
        unsafe futureIsLive = true
    }

    /// The output slot, typed by whoever knows the future's `Output`.
    @inlinable @inline(__always)
    func outputSlot<Output: ~Copyable>(_: Output.Type) -> UnsafeMutablePointer<Output?> {
        // SAFETY: the block holds an `Output?` at `layout.outputOffset`; callers name the `Output`
        // of the future type the task was made for.
        unsafe UnsafeMutablePointer(OpaquePointer(block + layout.outputOffset))
    }

    /// Takes the output, once (`nil` when the task was cancelled before completing).
    @inlinable
    func takeOutput<Output: ~Copyable>(_: Output.Type) -> Output? {
        guard claimOutput() else { return nil }
        return unsafe outputSlot(Output.self).pointee.take()
    }

    /// `true`, once, when there is an output to take; the caller takes it from ``outputSlot(_:)``.
    @inlinable
    func claimOutput() -> Bool {
        guard unsafe hasOutput else { return false }
        unsafe hasOutput = false
        return true
    }

    override func wake() {
        guard unsafe phase != .finished, unsafe !queued else { return }
        unsafe executorRef._withUnsafeGuaranteedRef { unsafe $0.schedule(Unmanaged.passUnretained(self)) }
    }

    /// The join handle went away without detaching: cancels the task, or releases an output nobody
    /// can take any more.
    @inline(__always)
    func handleGone() {
        unsafe hasTaker = false
        if unsafe phase != .finished { requestCancel() } else { releaseOutput() }
    }

    /// The join handle was detached: the task runs on; its output will have no taker.
    func detached() {
        unsafe hasTaker = false
        if unsafe phase == .finished { releaseOutput() }
    }

    /// Moves a task that has not finished to dropping. A drop already begun is unaffected.
    @usableFromInline
    func requestCancel() {
        guard unsafe phase == .running else { return }
        unsafe cancelRequested = true
        wake()
    }

    /// Polls the task once, in the phase it is in.
    func run(_ cx: inout Context) {
        // SAFETY: the poller is alive: the executor polling this task keeps it (see ``poller``).
        unsafe poller._withUnsafeGuaranteedRef { $0.poll(self, &cx) }
    }

    /// The end of the task's last poll, after its future was released: unlists it, reports to its
    /// set, if any, and wakes whoever waits for it.
    @usableFromInline
    func finish() {
        unsafe phase = .finished
        unsafe executorRef._withUnsafeGuaranteedRef { $0.taskFinished(self) }
        if let queue = unsafe completionQueue {
            unsafe completionQueue = nil
            unsafe queue.pointee.push(self)
        }
        let waiter = unsafe joinWaiter
        if case .none = unsafe waiter {} else {
            unsafe joinWaiter = .none
            unsafe waiter.wakeAndLetGo()
        }
        if let waker = unsafe scopeWaker {
            unsafe scopeWaker = nil
            waker.wake()
        }
    }

    /// Runs the future's synchronous destructor, exactly once.
    func releaseFuture() {
        guard unsafe futureIsLive else { return }
        unsafe futureIsLive = false
        if unsafe !layout.futureIsTrivial { unsafe ops.destroyFuture(block) }
    }

    /// Destroys an output nobody will take (the slot is left uninitialized; a reused task
    /// initializes it again).
    func releaseOutput() {
        guard unsafe hasOutput else { return }
        unsafe hasOutput = false
        if unsafe !layout.outputIsTrivial { unsafe ops.destroyOutput(block + layout.outputOffset) }
    }

    /// Releases the future without its async drop (the executor is going away): its operations
    /// become orphans of the driver.
    func releaseSynchronously() {
        releaseFuture()
        unsafe phase = .finished
        if let queue = unsafe completionQueue {
            // Its set finds it finished (and yields it as cancelled), but nobody is woken: the
            // executor is going away.
            unsafe completionQueue = nil
            unsafe queue.pointee.append(self)
        }
        let waiter = unsafe joinWaiter
        unsafe joinWaiter = .none
        unsafe waiter.letGo()
    }

    /// Makes the context's task (or waker) the one woken when this task finishes, replacing the
    /// one before (let go). Out of line: it is the only place a join handle touches ``HeldWaker``.
    @usableFromInline
    func setJoinWaiter(_ cx: inout Context) { unsafe RawTask.replace(&joinWaiter, with: cx.heldWaker) }

    /// Stores `waiter` in `slot`, taking its hold, and lets the one there go; nothing changes when
    /// both wake the same target. The caller's context keeps `waiter`'s target alive until here.
    static func replace(_ slot: inout HeldWaker, with waiter: HeldWaker) {
        if unsafe slot.willWake(waiter) { return }
        unsafe waiter.hold()
        let old = unsafe slot
        unsafe slot = waiter
        unsafe old.letGo()
    }

    /// Makes this task a member of the ``JoinSet`` whose completion queue is `queue`, at `index`
    /// among its members: it pushes itself there when it finishes, or at once if it has.
    @inlinable
    func enterSet(_ queue: UnsafeMutablePointer<CompletionQueue>, at index: Int) {
        unsafe setIndex = index
        if unsafe phase == .finished {
            unsafe queue.pointee.push(self)
        } else {
            unsafe completionQueue = queue
        }
    }

    /// The task's set is going away: the task reports to no queue when it finishes.
    @usableFromInline
    func leaveSet() { unsafe completionQueue = nil }

    var typeName: String { unsafe ops.typeName }
}

/// Where a future of a given type and its output go in a task's block.
@usableFromInline
struct TaskLayout {
    /// Bytes needed: the future, then the `Output?` slot.
    @usableFromInline let size: Int
    @usableFromInline let alignment: Int
    @usableFromInline let outputOffset: Int
    /// Releasing the future is a no-op (plain data, no deinit): the call is skipped.
    @usableFromInline let futureIsTrivial: Bool
    /// Releasing an output is a no-op.
    @usableFromInline let outputIsTrivial: Bool

    /// Computed where `F` is known (inlined into the spawn site), so every figure is a constant.
    @inlinable
    init<F: Future & ~Copyable>(_: F.Type) {
        let outputAlignment = MemoryLayout<F.Output?>.alignment
        outputOffset = (MemoryLayout<F>.size + outputAlignment - 1) & ~(outputAlignment - 1)
        size = outputOffset + MemoryLayout<F.Output?>.size
        alignment = max(MemoryLayout<F>.alignment, outputAlignment)
        futureIsTrivial = _isPOD(F.self)
        outputIsTrivial = _isPOD(F.Output.self)
    }
}
