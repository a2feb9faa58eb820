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
/// has it released once, with its handle. Handles from elsewhere (a ``ScopeSpawner``'s children,
/// say) join with ``insert(_:)``.
public struct JoinSet<Output: ~Copyable>: Stream, ~Copyable {
    @usableFromInline var members = DropArray<JoinHandle<Output>>()

    /// An empty set.
    @inlinable
    public init() {}

    /// Members whose output has not been taken yet.
    @inlinable
    public var count: Int { members.count }

    /// `true` when the set has no member left.
    @inlinable
    public var isEmpty: Bool { members.isEmpty }

    /// Spawns `future` on `executor` and adds its handle.
    @inlinable
    public mutating func spawn<F: Future & ~Copyable>(_ future: consuming F, on executor: Executor, name: String? = nil)
    where F.Output == Output {
        members.append(executor.spawn(future, name: name))
    }

    /// Adds a handle.
    @inlinable
    public mutating func insert(_ handle: consuming JoinHandle<Output>) { members.append(handle) }

    /// Cancels every member (their async drops run; ``pollNext(_:)`` then yields `Cancelled` for
    /// each one that had not completed).
    @inlinable
    public func cancelAll() {
        for index in members.indices { members[index].cancel() }
    }

    /// The output of a member that has finished (its async drop done), removing it; `.ready(nil)`
    /// when the set is empty; `.pending` while members run (the waker is registered with each).
    @inlinable
    public mutating func pollNext(_ cx: inout Context) -> Poll<Result<Output, Cancelled>?> {
        if members.isEmpty { return .ready(nil) }
        var index = 0
        while index < members.count {
            if members[index].isFinished {
                var handle = members.swapRemove(at: index)
                guard case .ready(let result) = handle.poll(&cx) else { preconditionFailure("a finished task's handle is ready") }
                return .ready(result)
            }
            index += 1
        }
        for index in members.indices { _ = members[index].registerJoinWaiter(&cx) }
        return .pending
    }

    /// Cancels every member and waits for every member's async drop.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { members.pollDropReady(&cx) }
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
