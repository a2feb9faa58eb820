import Synchronization
/// A single-threaded executor of `poll` / `pollDropReady` state machines, idling in its I/O driver.
///
/// Only woken tasks are polled. When nothing is runnable the executor sleeps in the driver (the
/// io_uring wait), bounded by the next timer; it never spins. Each turn polls at most the tasks that
/// were runnable when the turn began, then looks at the driver, so a task that keeps waking itself
/// cannot starve the others or the I/O.
///
/// ```swift
/// let executor = try Executor()
/// let answer = try executor.blockOn(MyFuture())
/// ```
///
/// An executor belongs to the thread that created it; other threads reach it through a
/// ``RemoteHandle``.
public final class Executor {
    /// The I/O driver: operations submit through it.
    public let driver: Driver
    /// The driver's logic, for the operations' hot path: a strong reference to the driver would be
    /// retained and released on every submission. This executor keeps the driver alive.
    let driverHandle: DriverHandle

    // SAFETY: `@exclusivity(unchecked)` on the hot stored properties of the executor and its tasks:
    // they are touched only on the executor's thread and never through overlapping inout accesses,
    // so the runtime's dynamic exclusivity check (a swift_beginAccess call on every access) buys
    // nothing here. (The driver's state sits behind a pointer, which has no check.)
    @exclusivity(unchecked) var runQueue = RunQueue()
    @exclusivity(unchecked) var live = TaskList()
    @exclusivity(unchecked) private var timers = TimerQueue()
    @exclusivity(unchecked) var pool = TaskPool()
    @exclusivity(unchecked) private var pollers = TaskPollers()
    @exclusivity(unchecked) private var nextTaskID: UInt64 = 0
    /// Set by `deinit`: finished tasks are released, not pooled.
    private var isTornDown = false
    /// `true` while a task is being polled: `blockOn` there would deadlock, so it is refused.
    @exclusivity(unchecked) public private(set) var isPolling = false
    /// `true` during a turn, polls or not: remote jobs and released outputs run there too, and a
    /// loop started from them would nest inside this one (and could wait forever).
    @exclusivity(unchecked) private var isTurning = false
    private var isShutDown = false

    /// Where diagnostics of this executor go (drop errors, fusedness violations, orphans at a
    /// shutdown deadline). Defaults to the process-wide ``Diagnostics`` handler (standard error).
    public var diagnosticHandler: (Diagnostic) -> Void = { Diagnostics.report($0) }

    /// Counters for tests, demos and benchmarks.
    public struct Statistics: Equatable, Sendable {
        /// Task polls (either entry point).
        public var polls = 0
        /// Times the loop slept in the driver waiting for a completion or a timer.
        public var parks = 0
        /// Loop turns.
        public var turns = 0
        /// Tasks spawned.
        public var spawned = 0
        /// Tasks finished (completed or cancelled, and dropped).
        public var finished = 0
    }

    /// Counters for tests, demos and benchmarks.
    @exclusivity(unchecked) public private(set) var statistics = Statistics()

    /// An executor over an io_uring with `entries` submission entries and the default
    /// ``RingOptions`` (see ``init(options:)``).
    ///
    /// Throws when the ring cannot be set up; the error names the cause and the remedy.
    public convenience init(entries: UInt32 = 256) throws(IOError) {
        try self.init(options: RingOptions(entries: entries))
    }

    /// An executor over an io_uring set up as `options` say: its sizes, `SINGLE_ISSUER |
    /// DEFER_TASKRUN` by default, `SQPOLL` on request.
    ///
    /// Setup flags the kernel refuses are left out, and a ``Diagnostic/Kind/ringSetupFallback``
    /// note says which (to the process-wide ``Diagnostics`` handler: ``diagnosticHandler`` can only
    /// be set once the executor exists); ``UringBackend/setup`` lists the flags in effect. With
    /// `SINGLE_ISSUER` the executor runs only on the thread that created it: elsewhere its ring
    /// answers EEXIST, thrown as ``ExecutorError/driver(_:)`` with an error that says so.
    ///
    /// Throws when the ring cannot be set up; the error names the cause and the remedy.
    public convenience init(options: RingOptions) throws(IOError) {
        let backend = try UringBackend(options: options)
        self.init(backend: backend)
        if let note = backend.setup.fallbackDiagnostic { report(note) }
    }

    /// An executor over any backend (the simulated one in tests).
    public init(backend: any IOBackend) {
        driver = Driver(backend: backend)
        driverHandle = driver.core
        driverHandle.reportOrphan = { [weak self] diagnostic in
            if let self { self.report(diagnostic) } else { Diagnostics.report(diagnostic) }
        }
    }

    deinit {
        // Released with work left: async-drop it first, bounded, as `shutdown` does.
        if unsafe !isShutDown && (live.count > 0 || !driver.isQuiescent) { shutdown(deadline: 1_000_000_000) }
        // Synchronous fallback for what the deadline left: futures are released without their async
        // drop (memory-safe by rule 5 of the drop contract, see `AsyncDroppable`), so their
        // operations become orphans and the driver keeps their buffers until completion. Released
        // explicitly: a task waiting on I/O is also referenced by the driver's slot (its waker), so
        // dropping the list alone would keep it, and its buffers, alive.
        isTornDown = true
        driverHandle.orphansExpected = true  // the synchronous fallback: what is left is orphaned on purpose
        for task in unsafe live.snapshot() {
            let listed = unsafe live.remove(task)
            task.releaseSynchronously()
            unsafe releaseListReference(listed)
        }
        while let task = unsafe runQueue.pop() { unsafe releaseQueueReference(task) }
        unsafe pool.removeAll()
        // Never tear the ring down under the kernel: with operations still in flight, the driver
        // keeps it (and their buffers) forever when it is released (see `Driver.deinit`).
        if driver.isQuiescent { driver.backend.close() }
    }

    // MARK: Tasks

    /// Spawns `future` as a task and returns its handle. The task is polled on the next turn.
    ///
    /// Inlinable so the task is created where `F` is known: the future's layout is then a constant,
    /// and the task's poller is formed there, specialized for `F` (a composed future of generic
    /// combinator types included). Called from generic code, where `F` is not known, the poller
    /// captures `F`'s metadata: one small allocation per spawn.
    @inlinable
    public func spawn<F: Future & ~Copyable>(_ future: consuming F, name: String? = nil) -> JoinHandle<F.Output> {
        JoinHandle(makeTask(future, name: name))
    }

    /// Creates (or recycles), lists and schedules a task (inlinable for the same reason as
    /// ``spawn(_:name:)``).
    @inlinable
    func makeTask<F: Future & ~Copyable>(_ future: consuming F, name: String?) -> RawTask {
        // SAFETY: `obtainTask` returns a block sized and aligned for `F` with nothing live in it;
        // the future and the output slot are initialized here, before anything polls the task.
        // Listed and scheduled before its future is in place: nothing polls it before this returns.
        let task = obtainTask(TaskLayout(F.self), ops: TaskOpsFor<F, F.Output>.self,
                              poller: { task, cx in TaskOpsFor<F, F.Output>.run(task, &cx) }, name: name)
        unsafe task.block.assumingMemoryBound(to: F.self).initialize(to: future)
        unsafe task.outputSlot(F.Output.self).initialize(to: nil)
        return task
    }

    /// A listed and scheduled task with room for a future of `layout`: a pooled one nobody
    /// references any more, or a new one. Its future and output slot are left for the caller to
    /// initialize at once. (One call from the spawn site for all of it.)
    @usableFromInline
    func obtainTask(_ layout: TaskLayout, ops: any TaskOps.Type, poller poll: @escaping (RawTask, inout Context) -> Void,
                    name: String?) -> RawTask {
        unsafe nextTaskID += 1
        let task: RawTask
        if let pooled = unsafe pool.take() {
            // A recycled task of the same future type keeps its poller.
            let poller = unsafe ObjectIdentifier(pooled.ops) == ObjectIdentifier(ops) ? pooled.poller : pollers.poller(for: ops, poll)
            unsafe pooled.reuse(id: nextTaskID, name: name, ops: ops, poller: poller, layout: layout)
            task = pooled
        } else {
            let poller = unsafe pollers.poller(for: ops, poll)
            task = unsafe RawTask(executor: self, id: nextTaskID, name: name, ops: ops, poller: poller, layout: layout)
        }
        unsafe live.insert(task)
        unsafe statistics.spawned &+= 1
        unsafe schedule(Unmanaged.passUnretained(task))
        return task
    }

    /// Takes over the reference the live list (or the run queue) held on a finished task: into the
    /// pool for reuse, or released while the executor is being torn down.
    private func retire(_ task: Unmanaged<RawTask>) {
        // SAFETY: the caller hands over the one reference it held (the live list's, or the
        // queue's), which is released or adopted by the pool exactly once, here.
        unsafe task._withUnsafeGuaranteedRef { $0.keepAliveWhileHeld() }
        guard !isTornDown else { unsafe task.release(); return }
        unsafe task._withUnsafeGuaranteedRef { t in
            // Nobody can take the output (a detached task): release it now, not at reuse.
            if unsafe !t.hasTaker { t.releaseOutput() }
        }
        unsafe pool.put(task)
    }

    func schedule(_ task: Unmanaged<RawTask>) {
        unsafe runQueue.push(task)
    }

    /// Unlists a task that has just finished, inside its last poll. The list's reference is released
    /// by ``poll(_:)`` once that poll has returned (it is what keeps the task alive while it runs),
    /// or by the run queue if the task is queued.
    func taskFinished(_ task: RawTask) {
        _ = unsafe live.remove(task)
        if unsafe task.queued { unsafe task.heldByQueue = true }
        unsafe statistics.finished &+= 1
    }

    /// Gives up the reference the live list held on an unlisted task, or hands it to the run queue
    /// when the task is queued (the queue's links hold none of their own).
    private func releaseListReference(_ task: Unmanaged<RawTask>) {
        // SAFETY: `task` is kept alive by the list reference the caller holds; it is retired once,
        // or passed to the run queue, which retires it when it pops the task.
        let queued = unsafe task._withUnsafeGuaranteedRef { t in
            if unsafe t.queued { unsafe t.heldByQueue = true }
            return unsafe t.queued
        }
        if !queued { unsafe retire(task) }
    }

    /// Gives up the reference a popped task held through the queue, if it had one.
    private func releaseQueueReference(_ task: Unmanaged<RawTask>) {
        // SAFETY: a popped task is alive: the live list or the queue (`heldByQueue`) still holds a
        // reference, which is retired once, here, when it is the queue's.
        let held = unsafe task._withUnsafeGuaranteedRef { t in
            defer { unsafe t.heldByQueue = false }
            return unsafe t.heldByQueue
        }
        if held { unsafe retire(task) }
    }

    /// Tasks that have not finished (running or dropping), not counting the executor's own task
    /// that watches the ``RemoteHandle``'s eventfd.
    public var liveTaskCount: Int { unsafe live.count - (remote?.hasLiveWatch == true ? 1 : 0) }

    /// Reports a diagnostic to ``diagnosticHandler``.
    public func report(_ diagnostic: Diagnostic) { diagnosticHandler(diagnostic) }

    // MARK: Clock and timers

    /// Now, on this executor's clock (the driver's monotonic clock; virtual in the simulation).
    public var now: Deadline { Deadline(nanoseconds: driver.now()) }

    /// The instant `duration` from now, on this executor's clock.
    public func deadline(after duration: Duration) -> Deadline { now.adding(duration) }

    /// Arms a timer that wakes `waker` once `deadline` (nanoseconds on this executor's clock) has
    /// passed, and bounds the loop's sleep in the driver until then. Given the handle of a timer
    /// still armed, keeps it and stores `waker` in it instead. The timer is disarmed when it fires
    /// or by ``cancelTimer(_:)``.
    func armTimer(_ handle: TimerHandle?, deadline: UInt64, waker: Waker) -> TimerHandle {
        if let handle, unsafe timers.isLive(handle.id) {
            unsafe timers.updateWaker(handle.id, waker)
            return handle
        }
        return unsafe TimerHandle(id: timers.insert(deadline: deadline, waker: waker))
    }

    /// Disarms a timer; nothing happens for one that already fired or was cancelled.
    func cancelTimer(_ handle: TimerHandle) { unsafe timers.remove(handle.id) }

    /// Timers armed and not yet fired or cancelled.
    var armedTimerCount: Int { unsafe timers.count }

    // MARK: Running

    /// Runs the loop until `future` is ready and returns its output. Other tasks run meanwhile.
    ///
    /// Throws ``ExecutorError/reentrantBlockOn`` when called while the loop is running (from a poll,
    /// a `deinit`, a remote job; never hangs), and ``ExecutorError/stalled(task:)`` when nothing
    /// could ever wake the future.
    public func blockOn<F: Future & ~Copyable>(_ future: consuming F) throws(ExecutorError) -> F.Output {
        try refuseReentry()
        let task = makeTask(future, name: "blockOn")
        unsafe task.hasTaker = true
        // `task` keeps it alive; the condition, checked at every turn, reads it unretained.
        let unretained = unsafe Unmanaged.passUnretained(task)
        try withExtendedLifetime(task) { () throws(ExecutorError) in
            try run(until: { unsafe unretained._withUnsafeGuaranteedRef { unsafe $0.phase == .finished } }, name: { task.typeName })
        }
        unsafe task.hasTaker = false
        guard let output = task.takeOutput(F.Output.self) else { throw .cancelled }
        return output
    }

    /// Throws (and reports) when the loop is already running on this thread: a second loop inside it
    /// would deadlock the thread.
    private func refuseReentry() throws(ExecutorError) {
        guard unsafe isPolling || isTurning else { return }
        report(Diagnostic(.misuse, ExecutorError.reentrantBlockOn.description))
        throw .reentrantBlockOn
    }

    /// Runs the loop until `condition` holds; throws `stalled` when nothing can make it hold
    /// (naming what waited with `name`, only then evaluated).
    func run(until condition: () -> Bool, name: () -> String) throws(ExecutorError) {
        while !condition() {
            let progressed = try turn(mayBlock: true, unless: condition)
            if !progressed && !condition() { throw .stalled(task: name()) }
        }
    }

    /// Runs every task that is runnable now, fires due timers and reaps completions, without sleeping.
    ///
    /// Throws ``ExecutorError/reentrantBlockOn`` when called while the loop is already running.
    public func runUntilIdle() throws(ExecutorError) {
        try refuseReentry()
        repeat {
            _ = try turn(mayBlock: false)
        } while unsafe !runQueue.isEmpty
    }

    /// One turn: poll the tasks runnable at its start, fire timers, then visit the driver (sleeping
    /// there if nothing is runnable, at most `maxWait` nanoseconds when given). Returns `false` when
    /// nothing at all can happen any more.
    // Inlined into each loop that turns (`run(until:)`, `runUntilIdle()`, `shutdown(deadline:)`):
    // the loop's arguments and its condition fold into the turn, which costs no call of its own.
    @inline(__always)
    func turn(mayBlock: Bool, unless done: () -> Bool = { false }, maxWait: Int64? = nil) throws(ExecutorError) -> Bool {
        let wasTurning = unsafe isTurning
        unsafe isTurning = true
        defer { unsafe isTurning = wasTurning }
        unsafe statistics.turns &+= 1
        var budget = unsafe runQueue.count
        while budget > 0, let task = unsafe runQueue.pop() {
            budget -= 1
            unsafe poll(task)
        }
        // Tasks are runnable and there is nothing else to look at (no timer, nothing in flight, no
        // remote inbox): the rest of the turn would do nothing, so skip it (hand-offs between tasks).
        if unsafe !runQueue.isEmpty && timers.isEmpty && remote == nil && driver.isQuiescent { return true }
        // Remote jobs run here, the one place they run, after the polls (where the eventfd watch
        // empties the counter when it fired) and before the driver's wait: a job that arrives after
        // the counter was read writes the eventfd again, so no job is left waiting behind a sleep.
        drainRemote()
        // What the caller waits for may have happened in these polls: then look at the driver, never sleep.
        let mayBlock = mayBlock && !done()
        // The clock is read only when a timer is set: an executor without timers never pays for it.
        var now: UInt64 = 0
        if unsafe !timers.isEmpty {
            now = driver.now()
            _ = unsafe timers.fire(now: now)
        }
        var wait: Int64?
        if unsafe !runQueue.isEmpty || !mayBlock {
            wait = 0
        } else if let deadline = unsafe timers.nextDeadline() {
            wait = Int64(clamping: deadline > now ? deadline - now : 0)
        } else if driver.isQuiescent && remoteIsIdle {
            return false  // nothing runnable, nothing in flight, no timer: nothing can ever wake anyone
        } else {
            wait = nil
        }
        if let maxWait { wait = min(wait ?? maxWait, maxWait) }
        if wait != 0 { unsafe statistics.parks &+= 1 }
        do { try driver.turn(waitNanos: wait) } catch { throw .driver(error) }
        if unsafe !timers.isEmpty {
            now = driver.now()
            _ = unsafe timers.fire(now: now)
        }
        return true
    }

    /// Polls a popped task. No reference is taken: an unfinished task is kept alive by the live list
    /// (whose reference is released only after the poll returns), a finished one by the queue.
    @inline(__always)
    private func poll(_ task: Unmanaged<RawTask>) {
        // SAFETY: a queued task is alive (see ``RunQueue``); while it is polled the live list's
        // reference keeps it alive, and that reference is retired only after the poll returns. The
        // context lends the task and this executor for that one poll.
        let retire = unsafe task._withUnsafeGuaranteedRef { t -> Bool in
            guard unsafe t.phase != .finished else {
                // Finished while it was queued: the queue held the list's reference until now.
                defer { unsafe t.heldByQueue = false }
                return unsafe t.heldByQueue
            }
            unsafe statistics.polls &+= 1
            unsafe isPolling = true
            var cx = Context(borrowing: t, executor: self)
            t.run(&cx)
            // Only a future that replaced `cx.waker` (or the whole context) leaves a waker or an
            // executor here: emptied explicitly, the context's end is known to release nothing.
            if _slowPath(cx.ownedWaker != nil) { cx.ownedWaker = nil }
            if _slowPath(cx.ownedExecutor != nil) { cx.ownedExecutor = nil }
            unsafe isPolling = false
            // Finished in this poll: `taskFinished` unlisted it; the list's reference goes now,
            // unless the task was queued again and the queue took it over.
            return unsafe t.phase == .finished && !t.heldByQueue
        }
        if retire { unsafe self.retire(task) }
    }

    // MARK: Shutdown

    /// What a shutdown left behind.
    public struct ShutdownReport: Equatable, Sendable {
        /// Tasks whose async drop had not completed at the deadline.
        public var tasksLeft: Int
        /// Operations still in flight at the deadline: orphaned, their buffers kept until the kernel is done.
        public var operationsLeft: Int
        /// `true` when everything was dropped and nothing is in flight.
        public var isClean: Bool { tasksLeft == 0 && operationsLeft == 0 }
    }

    /// Async-drops every live task and returns when they are all dropped and the driver has nothing
    /// in flight, or when `deadline` (nanoseconds, on the driver's clock, from now) passes. Past the
    /// deadline, remaining operations are orphaned safely: their buffers and the ring are kept, never
    /// freed early, and a diagnostic says how many.
    ///
    /// Remote jobs already accepted run first; no job is accepted afterwards. Tasks spawned while the
    /// shutdown runs are dropped too. Called from inside the loop (a poll, a remote job), it reports
    /// a misuse diagnostic and does nothing.
    @discardableResult
    public func shutdown(deadline nanoseconds: UInt64 = 5_000_000_000) -> ShutdownReport {
        guard unsafe !isPolling && !isTurning else {
            report(Diagnostic(.misuse, "shutdown() called while the executor is running (from a poll, a deinit or a remote job): nothing was shut down; call it from outside the loop"))
            return unsafe ShutdownReport(tasksLeft: live.count, operationsLeft: driver.operationsInFlight + driver.cancelsInFlight)
        }
        let deadline = driver.now() &+ nanoseconds
        // First, so that no job is accepted any more; the jobs already accepted run now, and may spawn.
        stopRemote()
        let everythingDropped = { unsafe self.live.count == 0 && self.driver.isQuiescent }
        var cause = "the shutdown deadline passed"
        while !everythingDropped() {
            // Every pass: a task spawned meanwhile (by a remote job, or by a drop) is dropped too.
            for task in unsafe live.snapshot() { task.requestCancel() }
            let now = driver.now()
            if now >= deadline { break }
            do {
                guard try turn(mayBlock: true, unless: everythingDropped, maxWait: Int64(clamping: deadline - now)) else {
                    cause = "nothing can wake the drops left (no task runnable, no timer, nothing in flight)"
                    break
                }
            } catch {
                cause = "\(error)"
                break
            }
        }
        let report = unsafe ShutdownReport(tasksLeft: live.count, operationsLeft: driver.operationsInFlight + driver.cancelsInFlight)
        if !report.isClean {
            self.report(Diagnostic(.orphanedAtShutdown,
                "shutdown stopped early, \(cause), with \(report.tasksLeft) task(s) still dropping and \(report.operationsLeft) operation(s) in flight; their buffers stay with the driver and the ring is kept open"))
        }
        isShutDown = true
        return report
    }

    // MARK: Remote

    var remote: RemoteInbox?
    private var remoteIsIdle: Bool { remote == nil }
    /// The inbox's shared state, unretained: set and cleared with `remote`, which holds it alive.
    var remoteState: Unmanaged<RemoteInboxState>?
    /// Runs the remote jobs waiting, if any: an idle inbox costs the turn one load of its flag, read
    /// with no reference count.
    func drainRemote() {
        // SAFETY: `remoteState` is set only while `remote` holds the inbox and with it the state.
        guard let state = unsafe remoteState, unsafe state._withUnsafeGuaranteedRef({ $0.mayHaveJobs }) else { return }
        remote?.drain(into: self)
    }
    /// Closes the inbox (no job is accepted any more) and runs the jobs it had accepted: each was
    /// promised to run (``RemoteHandle/execute(_:)`` returned `true`).
    func stopRemote() {
        guard let inbox = remote else { return }
        unsafe remoteState = nil
        remote = nil
        inbox.stop()
        let wasTurning = unsafe isTurning
        unsafe isTurning = true  // the jobs run as inside a turn: a loop started from one is refused
        defer { unsafe isTurning = wasTurning }
        inbox.drain(into: self)
    }
}
