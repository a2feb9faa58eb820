/// A set of futures of one type, run concurrently inside one task, that yields their outputs as
/// they complete; its async drop drops every member at once (futures-rs' `FuturesUnordered`).
///
/// Each member is polled until it completes, then async-dropped, and only then is its output
/// yielded; so a yielded output's future has nothing left in flight.
///
/// ```swift
/// var reads = FutureSet<ReadOp>()
/// for fd in fds { reads.insert(IO.read(fd, into: IOBuffer(capacity: 512))) }
/// // in a poll: while case .ready(let done?) = reads.pollNext(&cx) { … }
/// ```
public struct FutureSet<Member: Future & ~Copyable>: Stream, ~Copyable {
    @usableFromInline var members = DropArray<Stage<Member>>()

    /// An empty set.
    @inlinable
    public init() {}

    /// Members that have not yielded their output yet.
    @inlinable
    public var count: Int { members.count }

    /// `true` when the set has no member left.
    @inlinable
    public var isEmpty: Bool { members.isEmpty }

    /// Adds a future; it is first polled by the next ``pollNext(_:)``.
    @inlinable
    public mutating func insert(_ future: consuming Member) { members.append(Stage(future)) }

    /// The output of a member that completed (and was dropped), removing it; `.ready(nil)` when the
    /// set is empty; `.pending` while members run.
    @inlinable
    public mutating func pollNext(_ cx: inout Context) -> Poll<Member.Output?> {
        if members.isEmpty { return .ready(nil) }
        var index = 0
        while index < members.count {
            if case .ready(let output) = members[index].poll(&cx) {
                _ = members.swapRemove(at: index)
                return .ready(output)
            }
            index += 1
        }
        return .pending
    }

    /// Drops every member at once.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { members.pollDropReady(&cx) }
}
