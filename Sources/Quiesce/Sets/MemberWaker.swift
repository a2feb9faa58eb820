/// The waker of one member of a ``FutureSet``: waking it queues the member to be polled (once,
/// however often it is woken before that poll) and wakes whoever waits on the set.
///
/// The set keeps one per member, at the member's index, and keeps those of members that left as
/// spares for the next members. A copy kept elsewhere (in a driver slot, a timer) may outlive its
/// member: woken late, it does nothing while it is a spare, makes the member that reuses it be
/// polled once more (futures allow spurious polls), and does nothing once the set is gone.
@usableFromInline
@safe
final class MemberWaker: WakeTarget {
    // SAFETY: `woken` points at its set's queue while the set lives: the set clears it (`leaveSet`)
    // before it frees the queue. The `@exclusivity(unchecked)` fields are touched on the executor's
    // thread only, never by overlapping accesses.
    /// The member's index in the set, while ``isMember``.
    @usableFromInline @exclusivity(unchecked) var index = 0
    /// The waker belongs to a member (it is not a spare).
    @usableFromInline @exclusivity(unchecked) var isMember = false
    /// In the set's queue of woken members.
    @usableFromInline @exclusivity(unchecked) var isQueued = false
    /// The next waker in that queue.
    @usableFromInline @exclusivity(unchecked) var next: Unmanaged<MemberWaker>?
    /// The set's queue of woken members; `nil` once the set is gone.
    @exclusivity(unchecked) var woken: UnsafeMutablePointer<WokenMembers>?

    @usableFromInline
    init(_ woken: UnsafeMutablePointer<WokenMembers>) { unsafe self.woken = woken }

    override func wake() {
        guard unsafe isMember, unsafe !isQueued, let woken = unsafe woken else { return }
        unsafe woken.pointee.push(self)
    }

    /// The set is going away: the waker wakes nothing any more.
    func leaveSet() {
        unsafe woken = nil
        unsafe isMember = false
    }
}

extension Context {
    /// Makes `waker` this context's waker (lent, like a task's) for one poll of a set's member,
    /// which the set keeps alive through the poll; ``restore(_:)`` puts the context back as it was.
    /// The context is lent where it lies: a copy of it would retain and release its references.
    /// The member's poll sees no waker the context was given by hand, and whatever it sets as the
    /// context's waker is let go by ``restore(_:)``.
    @usableFromInline
    mutating func lend(_ waker: Unmanaged<MemberWaker>) -> LentMemberWaker {
        var saved = unsafe LentMemberWaker(target: wakeTarget, lent: lentTarget)
        swap(&saved.owned, &ownedWaker)
        // SAFETY: the set keeps every waker until its deinit, so the member's waker outlives the poll.
        unsafe waker._withUnsafeGuaranteedRef { unsafe wakeTarget = $0 }
        unsafe lentTarget = nil  // a driver slot that keeps the waker takes a reference to it
        return saved
    }

    /// Puts back what ``lend(_:)`` saved, after the member's poll.
    @usableFromInline
    mutating func restore(_ saved: consuming LentMemberWaker) {
        unsafe wakeTarget = saved.target
        unsafe lentTarget = saved.lent
        swap(&saved.owned, &ownedWaker)
    }
}

/// What a context held before ``Context/lend(_:)`` lent it a member's waker.
@usableFromInline
@safe
struct LentMemberWaker: ~Copyable {
    // SAFETY: `target` is the context's own waker target, alive while the context is (see
    // `Context.wakeTarget`); it is only put back.
    unowned(unsafe) let target: WakeTarget
    let lent: Unmanaged<CountedWakeTarget>?
    var owned: Waker? = nil

    init(target: WakeTarget, lent: Unmanaged<CountedWakeTarget>?) {
        unsafe self.target = target
        unsafe self.lent = lent
    }
}
