/// Why a join handle has no output: the task was cancelled before it produced one.
public struct Cancelled: Error, Equatable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    /// "task cancelled".
    public var description: String { "task cancelled" }
}

/// The handle to a spawned task, and itself a future of the task's outcome.
///
/// Its `pollDropReady` cancels the task and waits until the task's async drop has completed: dropping
/// a handle asynchronously leaves nothing running. A handle released synchronously cancels the task
/// and the executor finishes the task's async drop in the background. To let a task run on without
/// its handle, ``detach()`` it explicitly.
@safe
public struct JoinHandle<Output: ~Copyable>: Future, ~Copyable {
    // SAFETY: `task` holds the one reference this handle owns, taken by `init` and released exactly
    // once (by `deinit`, or by `detach`, which clears it); noncopyable, the handle has one owner.
    // While the reference is held, the task is alive, so every `_withUnsafeGuaranteedRef` on it is
    // valid.
    /// The task, with one reference owned by this handle (released by `deinit` or `detach`). Managed
    /// by hand: a strong optional would be retained and released around every use.
    @usableFromInline var task: Unmanaged<RawTask>?

    /// Adopts a new task; takes a reference and marks the task as having a taker of its output.
    @usableFromInline init(_ task: RawTask) {
        unsafe task.hasTaker = true
        unsafe self.task = unsafe Unmanaged.passRetained(task)
    }

    deinit {
        guard let task = unsafe task else { return }
        unsafe task._withUnsafeGuaranteedRef { $0.handleGone() }
        unsafe task.release()
    }

    /// Waits for the task: its output once it has completed *and* its async drop has finished, or
    /// `Cancelled` when it was cancelled before completing.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Result<Output, Cancelled>> {
        guard let task = unsafe task else { return .ready(.failure(Cancelled())) }
        // The closure only answers where the output is: a noncopyable result cannot leave it.
        let slot = unsafe task._withUnsafeGuaranteedRef { task -> UnsafeMutablePointer<Output?>? in
            guard unsafe task.phase == .finished else {
                task.setJoinWaiter(&cx)
                return nil
            }
            return unsafe task.outputSlot(Output.self)
        }
        guard let slot = unsafe slot else { return .pending }
        if unsafe task._withUnsafeGuaranteedRef({ $0.claimOutput() }), let output = unsafe slot.pointee.take() {
            return .ready(.success(output))
        }
        return .ready(.failure(Cancelled()))
    }

    /// Cancels the task and waits for its async drop to complete.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard let task = unsafe task else { return .ready(()) }
        return unsafe task._withUnsafeGuaranteedRef { task in
            guard unsafe task.phase == .finished else {
                task.requestCancel()
                task.setJoinWaiter(&cx)
                return .pending
            }
            return .ready(())
        }
    }

    /// Cancels the task: its `poll` is never called again, the executor drives its async drop to
    /// completion, then this handle resolves as `Cancelled` (or with the output, if the task had
    /// already completed). Cancelling a task that is already dropping has no further effect.
    public func cancel() {
        unsafe task?._withUnsafeGuaranteedRef { $0.requestCancel() }
    }

    /// Hands the handle's reference to its task to the caller, who takes over the handle's part
    /// (a ``JoinSet`` keeps its members so): the task is neither cancelled nor released here.
    @usableFromInline
    consuming func intoTask() -> Unmanaged<RawTask>? {
        let task = unsafe self.task
        discard self
        return unsafe task
    }

    /// Lets the task run on without a handle. Nothing will observe its output.
    public consuming func detach() {
        guard let task = unsafe task else { return }
        unsafe self.task = nil
        unsafe task._withUnsafeGuaranteedRef { $0.detached() }
        unsafe task.release()
    }

    /// `true` once the task has completed or been cancelled, and its async drop is done.
    public var isFinished: Bool { unsafe task.map { unsafe $0._withUnsafeGuaranteedRef { unsafe $0.phase == .finished } } ?? true }

    /// `true` once the task has been asked to cancel or is dropping.
    public var isCancelling: Bool {
        unsafe task.map { unsafe $0._withUnsafeGuaranteedRef { unsafe $0.cancelRequested || $0.phase != .running } } ?? false
    }
}
