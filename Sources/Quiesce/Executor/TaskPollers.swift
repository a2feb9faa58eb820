/// A task's poll function for one future type (``TaskOpsFor/run(_:_:)`` for that type), in an
/// object of its own so that a call through it borrows the function instead of copying it.
///
/// A task refers to its poller without a reference (``RawTask/poller``): the executor's
/// ``TaskPollers`` table keeps every poller it handed out. Read as a `let` of an object the caller
/// keeps alive, the function is called with no retain and release of its context around the call,
/// which a function stored in a task's `var` (reassigned when the task is recycled) would cost on
/// every poll.
@usableFromInline
final class TaskPoller {
    /// Polls a task of this future type once.
    let poll: (RawTask, inout Context) -> Void

    init(_ poll: @escaping (RawTask, inout Context) -> Void) { self.poll = poll }
}

/// The pollers of the future types an executor has run, one per type, kept for the executor's life.
///
/// One allocation per future type, the first time a task of that type is made: spawning a task of
/// a type seen before allocates nothing (a recycled task of the same type keeps its poller and
/// skips the lookup).
struct TaskPollers {
    private var byType: [ObjectIdentifier: TaskPoller] = [:]

    /// The poller of the future type `ops` stands for, made from `poll` the first time.
    mutating func poller(for ops: any TaskOps.Type, _ poll: @escaping (RawTask, inout Context) -> Void) -> Unmanaged<TaskPoller> {
        let type = ObjectIdentifier(ops)
        if let known = byType[type] { return unsafe Unmanaged.passUnretained(known) }
        let made = TaskPoller(poll)
        byType[type] = made
        return unsafe Unmanaged.passUnretained(made)
    }
}
