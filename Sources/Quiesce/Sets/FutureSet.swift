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
///
/// Every member has a waker of its own (a ``MemberWaker``): a member is polled once when it is
/// inserted and then only when it was woken, in the order members were woken, so a set of many
/// members that waits for one of them polls that one alone. One ``pollNext(_:)`` polls at most as
/// many members as the set has; if members are still woken then, the set wakes its own task to
/// come back, so a member that wakes itself at every poll cannot hold the others up.
@safe
public struct FutureSet<Member: Future & ~Copyable>: Stream, ~Copyable {
    // SAFETY: `woken` is allocated and initialized by `init`, and deinitialized and freed by
    // `deinit`, after every waker pointing at it has been detached; noncopyable, the set has one
    // owner. `wakers[i]` is the waker of `members[i]` for every member (its `index` is `i`), and
    // the wakers past `members.count` are spares; the set keeps them all until its `deinit`.
    @usableFromInline var members = DropArray<Stage<Member>>()
    /// One waker per member, at the member's index, then the spares.
    @usableFromInline var wakers: [MemberWaker] = []
    /// The members woken and not polled since.
    @usableFromInline let woken: UnsafeMutablePointer<WokenMembers>

    /// An empty set.
    @inlinable
    public init() {
        unsafe woken = .allocate(capacity: 1)
        unsafe woken.initialize(to: WokenMembers())
    }

    deinit {
        for waker in wakers { waker.leaveSet() }
        unsafe woken.deinitialize(count: 1)
        unsafe woken.deallocate()
    }

    /// Members that have not yielded their output yet.
    @inlinable
    public var count: Int { members.count }

    /// `true` when the set has no member left.
    @inlinable
    public var isEmpty: Bool { members.isEmpty }

    /// Adds a future; it is first polled by the next ``pollNext(_:)``.
    @inlinable
    public mutating func insert(_ future: consuming Member) {
        let index = members.count
        members.append(Stage(future))
        if index == wakers.count { unsafe wakers.append(MemberWaker(woken)) }
        unsafe woken.pointee.admit(wakers[index], at: index)
    }

    /// The output of a member that completed (and was dropped), removing it; `.ready(nil)` when the
    /// set is empty; `.pending` while members run. Polls only the members woken since they were
    /// last polled.
    @inlinable
    public mutating func pollNext(_ cx: inout Context) -> Poll<Member.Output?> {
        if members.isEmpty { return .ready(nil) }
        var budget = members.count
        while budget > 0, let waker = unsafe woken.pointee.popUnretained() {
            budget -= 1
            // SAFETY: the set keeps every waker until its deinit (see `wakers`).
            let index = unsafe waker._withUnsafeGuaranteedRef { unsafe $0.index }
            let lent = unsafe cx.lend(waker)
            let polled = members[index].poll(&cx)
            cx.restore(lent)
            if case .ready(let output) = consume polled {
                _ = members.swapRemove(at: index)
                memberLeft(at: index)
                return .ready(output)
            }
        }
        unsafe woken.pointee.wait(&cx)
        if unsafe !woken.pointee.isEmpty { cx.wake() }  // members are still woken: come back for them
        return .pending
    }

    /// The member at `index` left (the last one took its place, as in `members`): its waker becomes
    /// a spare, past the members.
    @inlinable
    mutating func memberLeft(at index: Int) {
        let last = members.count
        unsafe wakers[index].isMember = false
        if index != last {
            wakers.swapAt(index, last)
            unsafe wakers[index].index = index
        }
    }

    /// Drops every member at once.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { members.pollDropReady(&cx) }
}
