/// The members of a ``FutureSet`` waiting to be polled, in the order they were woken (or
/// inserted), and the one waker of whoever waits on the set.
///
/// The set allocates it (it needs a fixed address; the set itself moves) and frees it in its
/// `deinit`, after it has detached every ``MemberWaker``.
@usableFromInline
@safe
struct WokenMembers: ~Copyable {
    // SAFETY: the links hold no reference: every queued waker is one the set keeps (a member's or
    // a spare) until its `deinit`, which frees this queue too. `waiter` carries one hold, taken by
    // `wait(_:)` and let go exactly once: when it is replaced, when `push` wakes it, or by
    // `deinit`. Touched on the executor's thread only.
    var head: Unmanaged<MemberWaker>?
    var tail: Unmanaged<MemberWaker>?
    /// Whom the next woken member wakes: held until then.
    var waiter: HeldWaker = unsafe .none

    @usableFromInline init() {}

    deinit { unsafe waiter.letGo() }

    /// `true` when no member waits to be polled.
    @usableFromInline var isEmpty: Bool { unsafe head == nil }

    /// Makes `waker` the waker of the member at `index`, queued for its first poll (it may still be
    /// queued from its last member: then it stays where it is).
    @usableFromInline
    mutating func admit(_ waker: MemberWaker, at index: Int) {
        unsafe waker.index = index
        unsafe waker.isMember = true
        if unsafe !waker.isQueued { append(waker) }
    }

    /// Queues a woken member and wakes the waiter, if any (which is then let go: the set registers
    /// again when it next waits).
    mutating func push(_ waker: MemberWaker) {
        append(waker)
        let waiter = unsafe waiter
        if case .none = unsafe waiter { return }
        unsafe self.waiter = .none
        unsafe waiter.wakeAndLetGo()
    }

    private mutating func append(_ waker: MemberWaker) {
        let link = unsafe Unmanaged.passUnretained(waker)
        unsafe waker.isQueued = true
        unsafe waker.next = nil
        if let tail = unsafe tail {
            unsafe tail._withUnsafeGuaranteedRef { unsafe $0.next = link }
        } else {
            unsafe head = link
        }
        unsafe tail = link
    }

    /// The waker of the member woken first among those not polled since, unqueued; spares (whose
    /// member left while queued) are skipped. `nil` when no member is woken. Unretained: the set
    /// keeps every waker (a member's or a spare) until its `deinit`.
    @usableFromInline
    mutating func popUnretained() -> Unmanaged<MemberWaker>? {
        while let first = unsafe head {
            let isMember = unsafe first._withUnsafeGuaranteedRef { waker in
                unsafe head = unsafe waker.next
                unsafe waker.isQueued = false
                return unsafe waker.isMember
            }
            if unsafe head == nil { unsafe tail = nil }
            if isMember { return unsafe first }
        }
        return nil
    }

    /// Makes the context's task (or waker) the one the next woken member wakes.
    @usableFromInline
    mutating func wait(_ cx: inout Context) { unsafe RawTask.replace(&waiter, with: cx.heldWaker) }
}
