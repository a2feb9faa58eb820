/// The executor's record of one spawned future, without its type.
///
/// A task is polled only when woken; it moves through three phases: running (its `poll` is called),
/// dropping (its `pollDropReady` is driven to `.ready`; `poll` is never called again) and finished
/// (the future has been released; the output, if any, waits for the join handle).
// Stored properties are `@exclusivity(unchecked)`: see Driver (one thread, no overlapping access).
@usableFromInline
class TaskBase: WakeTarget {
    @usableFromInline enum Phase: UInt8 { case running, dropping, finished }

    /// The executor, without a reference (tasks never use it once it is gone). Unmanaged, so that a
    /// call through it costs no retain/release pair (an `unowned(unsafe)` load is retained).
    let executorRef: Unmanaged<Executor>
    var executor: Executor { executorRef.takeUnretainedValue() }
    @usableFromInline @exclusivity(unchecked) var phase: Phase = .running
    @exclusivity(unchecked) var cancelRequested = false
    /// The future completed with an output (as opposed to being cancelled before it did).
    @exclusivity(unchecked) var completed = false
    @exclusivity(unchecked) var queued = false
    /// The task left the live list while queued, and the run queue holds the list's reference
    /// (released when the task is popped): see ``RunQueue``.
    @exclusivity(unchecked) var heldByQueue = false
    @usableFromInline @exclusivity(unchecked) var joinWaker: Waker?
    /// The waker of the scope this task belongs to, if any: woken when the task finishes.
    @exclusivity(unchecked) var scopeWaker: Waker?
    let id: UInt64
    let name: String?

    // Intrusive links: no allocation when a task is queued or listed, and no reference counting
    // (see RunQueue and TaskList for who keeps a linked task alive).
    @exclusivity(unchecked) var nextRunnable: Unmanaged<TaskBase>?
    @exclusivity(unchecked) var nextLive: Unmanaged<TaskBase>?
    @exclusivity(unchecked) var previousLive: Unmanaged<TaskBase>?

    init(executor: Executor, id: UInt64, name: String?) {
        self.executorRef = Unmanaged.passUnretained(executor)
        self.id = id
        self.name = name
    }

    override final func wake() {
        guard phase != .finished, !queued else { return }
        executorRef._withUnsafeGuaranteedRef { $0.schedule(Unmanaged.passUnretained(self)) }
    }

    /// Moves a task that has not finished to dropping. A drop already begun is unaffected.
    final func requestCancel() {
        guard phase == .running else { return }
        cancelRequested = true
        wake()
    }

    /// Polls the task once, in the phase it is in.
    func run(_ cx: inout Context) { fatalError("abstract") }

    /// Releases the future without its async drop (the executor is going away): its operations
    /// become orphans of the driver.
    func releaseSynchronously() { phase = .finished }

    var typeName: String { "task" }
}

/// A task whose output has type `Output`, so a join handle can take it without knowing the future.
// Visible to inlinable code so that JoinHandle.poll is specialized where it is used: unspecialized,
// each poll instantiated `Optional<Output>` and `Result<Output, Cancelled>` metadata (~670
// instructions per join under callgrind).
@usableFromInline
class OutputTask<Output: ~Copyable>: TaskBase {
    @usableFromInline @exclusivity(unchecked) var output: Output?
}

@usableFromInline
final class Task<F: Future & ~Copyable>: OutputTask<F.Output> {
    // The future lives in its own allocation behind a typed pointer. Tasks always run unspecialized
    // (through the vtable), and there every access to an `F?` stored property instantiated
    // `Optional<F>` metadata through the runtime's cache: about 900 instructions per poll under
    // callgrind. Through the pointer only `F`'s metadata, already in hand, is needed.
    private let storage: UnsafeMutablePointer<F>
    @exclusivity(unchecked) private var isLive = true

    @usableFromInline
    init(_ future: consuming F, executor: Executor, id: UInt64, name: String?) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: future)
        super.init(executor: executor, id: id, name: name)
    }

    deinit {
        releaseFuture()
        storage.deallocate()
    }

    /// Runs the future's synchronous destructor, exactly once.
    private func releaseFuture() {
        guard isLive else { return }
        isLive = false
        storage.deinitialize(count: 1)
    }

    override var typeName: String { Quiesce.typeName(F.self) }

    override func releaseSynchronously() {
        releaseFuture()
        phase = .finished
        joinWaker = nil
    }

    override func run(_ cx: inout Context) {
        if phase == .running {
            if cancelRequested {
                phase = .dropping
            } else {
                guard storage.pointee._pollForExecutor(&cx, into: &output) else { return }
                completed = true
                // A finished future is still async-dropped before its output is delivered.
                phase = .dropping
            }
        }
        guard phase == .dropping else { return }
        guard storage.pointee.pollDropReady(&cx).isReady else { return }
        checkFusedAfterReady(&storage.pointee, &cx)
        releaseFuture()  // the synchronous destructor runs here, exactly once
        phase = .finished
        executorRef._withUnsafeGuaranteedRef { $0.taskFinished(self) }
        joinWaker?.wake()
        joinWaker = nil
        scopeWaker?.wake()
        scopeWaker = nil
    }
}
