/// What a poll receives: the waker of the task being polled, and the executor running it.
///
/// Futures that start I/O reach the driver through ``executor``; pure futures only need ``waker``.
///
/// A context the executor passes is lent for the length of that one poll (like Rust's
/// `&mut Context`): keep its ``waker`` (a copy is an ordinary, owning waker), never the context.
@safe
public struct Context {
    // SAFETY: `wakeTarget`, `lentTarget` and `executorRef` hold no reference. A context made by a
    // public initializer keeps its target and executor alive itself (`ownedWaker`,
    // `ownedExecutor`); one the executor makes lends a task and the executor for one poll, during
    // which both are alive (the executor owns the task and outlives every poll it runs). This rests
    // on the contract documented above: a future keeps the context's ``waker`` (an owning copy),
    // never the context past its poll.
    /// Whom ``waker`` wakes. Not a reference of its own when the executor builds the context (it lends
    /// the task for the length of one poll, like Rust's `&Waker`): the task is alive throughout.
    @usableFromInline unowned(unsafe) var wakeTarget: WakeTarget
    /// Keeps `wakeTarget` alive when the context was given a waker by its creator (polling by hand).
    @usableFromInline var ownedWaker: Waker?

    /// The waker of the task being polled. Register it (copy it) before answering `.pending`: the
    /// copy is an ordinary waker, safe to keep and wake at any time, even after the task finished.
    public var waker: Waker {
        @inlinable get { unsafe Waker(wakeTarget) }
        set {
            ownedWaker = newValue
            unsafe wakeTarget = newValue.target
            unsafe lentTarget = nil
        }
    }

    #if DEBUG
    /// Set while a debug fusedness check asks a value for its drop readiness a second time, so that
    /// glue nested inside it does not check again (see ``checkFusedAfterReady(_:_:)``).
    @usableFromInline var isCheckingFusedness = false
    #endif

    /// The task the executor lent for this poll (`wakeTarget`), while ``waker`` is still its waker:
    /// driver slots refer to it without a reference (see ``HeldWaker``).
    var lentTarget: Unmanaged<CountedWakeTarget>?

    /// The executor polling this future, or `nil` when a future is polled by hand.
    public var executor: Executor? { unsafe executorRef?.takeUnretainedValue() }
    // Unmanaged: reading an `unowned(unsafe)` optional into a strong reference would retain and
    // release the executor on every submission. The executor outlives every poll it runs; a context
    // made with the public initializer keeps its executor alive through `ownedExecutor`.
    let executorRef: Unmanaged<Executor>?
    /// Keeps `executorRef` alive when the context was made with ``init(waker:executor:)``: such a
    /// context is the caller's to keep, and may outlive every other reference to the executor.
    var ownedExecutor: Executor?

    /// The driver of the polling executor, unretained (the executor keeps it alive), for the
    /// operations' hot path.
    @inline(__always)
    var driverHandle: DriverHandle? { unsafe executorRef?._withUnsafeGuaranteedRef { $0.driverHandle } }

    /// A context for polling a future by hand, outside any executor (tests, custom loops).
    public init(waker: Waker = .noop) {
        unsafe self.wakeTarget = waker.target
        self.ownedWaker = waker
        unsafe self.lentTarget = nil
        unsafe self.executorRef = nil
        self.ownedExecutor = nil
    }

    /// A context for polling on behalf of `executor` (custom combinators that run their own tasks).
    public init(waker: Waker, executor: Executor) {
        unsafe self.wakeTarget = waker.target
        self.ownedWaker = waker
        unsafe self.lentTarget = nil
        unsafe self.executorRef = unsafe Unmanaged.passUnretained(executor)
        self.ownedExecutor = executor
    }

    /// The executor's context for one poll of `task`, which it keeps alive for that poll: no
    /// reference is taken.
    init(borrowing task: RawTask, executor: Executor) {
        // SAFETY: the executor keeps `task` and itself alive for the poll this context is lent to.
        unsafe self.wakeTarget = task
        self.ownedWaker = nil
        unsafe self.lentTarget = unsafe Unmanaged.passUnretained(task as CountedWakeTarget)
        unsafe self.executorRef = unsafe Unmanaged.passUnretained(executor)
        self.ownedExecutor = nil
    }

    /// Wakes the task being polled (to be polled again soon), without copying its waker.
    @inlinable
    public func wake() { unsafe wakeTarget.wake() }

    /// Reports a diagnostic to the executor's handler, or the process-wide one outside an executor.
    public func report(_ diagnostic: Diagnostic) {
        if let executor { executor.report(diagnostic) } else { Diagnostics.report(diagnostic) }
    }
}
