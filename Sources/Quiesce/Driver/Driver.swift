import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The operation table every backend shares: slots with generations, the in-flight accounting, the
/// cancellation protocol, the orphan table and the submission backlog.
///
/// An operation future talks to the driver through its ``OpToken``:
/// ``submit(_:buffer:waker:)`` on first poll, ``poll(_:waker:)`` until the completion
/// arrives, then ``take(_:)`` to get its result and buffer back. Its async drop calls
/// ``cancel(_:waker:)``, which submits IORING_OP_ASYNC_CANCEL and stays pending until the
/// operation's *own* completion arrives. Its synchronous drop calls ``orphan(_:)``: the slot keeps
/// the buffer until the kernel is done with it.
///
/// The state lives at a fixed address this class owns, and the logic in `DriverHandle`, which this
/// class forwards to. Operations keep a `DriverHandle` and call it directly (see `OperationCore`).
public final class Driver {
    /// The driver's logic over its state, which stays at one address for as long as the driver lives.
    let core: DriverHandle

    /// A driver over `backend`.
    public init(backend: any IOBackend) {
        // SAFETY: the state is initialized here and freed only by `deinit`, once nothing can reach
        // it.
        let state = UnsafeMutablePointer<DriverState>.allocate(capacity: 1)
        unsafe state.initialize(to: DriverState(backend: backend))
        core = unsafe DriverHandle(state: state)
    }

    /// Released with an operation in flight, or with a slot an operation still refers to, the driver
    /// keeps its state (slots, buffers, the backend and its ring) forever: the kernel may still write
    /// into those buffers, and operations that outlive it reach the state through a plain pointer.
    deinit {
        // SAFETY: the state is freed only when no operation is in flight and no slot is live, so no
        // operation holds a handle to it any more; otherwise it is kept for the rest of the
        // process.
        if !core.isQuiescent || core.liveSlots > 0 {
            Driver.abandoned.withLock { unsafe $0.append(AbandonedState(state: core.state)) }
            return
        }
        unsafe core.state.deinitialize(count: 1)
        unsafe core.state.deallocate()
    }

    // A process-wide list, so that leak checkers (valgrind, LSan) see memory kept on purpose.
    // SAFETY: it only keeps the pointer, so that leak checkers see the state as reachable; nothing
    // dereferences it or sends it anywhere.
    @safe private struct AbandonedState: @unchecked Sendable { let state: UnsafeMutablePointer<DriverState> }
    private static let abandoned = Mutex<[AbandonedState]>([])

    /// The kernel side: the real ring or the simulation.
    public var backend: any IOBackend { core.backend }
    /// Operations handed to the kernel whose completion has not arrived.
    public var operationsInFlight: Int { core.operationsInFlight }
    /// Cancel requests handed to the kernel whose completion has not arrived.
    public var cancelsInFlight: Int { core.cancelsInFlight }
    /// Operations whose owner was dropped synchronously while they were in flight: their buffers wait
    /// here for the kernel's completion.
    public var orphanCount: Int { core.orphanCount }
    /// Slots in use (submitted, waiting for room, or completed and not yet taken).
    public var liveSlots: Int { core.liveSlots }
    /// Submissions (operations or cancels) waiting for room in a full submission queue.
    public var backlogCount: Int { core.backlogCount }
    /// Completions received whose tag named a slot that had moved on (a later generation).
    public var staleCompletions: Int { core.staleCompletions }
    /// Called with the result of an orphaned accept/open that succeeded after all, just before the
    /// driver closes that descriptor. For demos and tests.
    package var onOrphanedDescriptorClosed: ((Int32) -> Void)? {
        get { core.onOrphanedDescriptorClosed }
        set { core.onOrphanedDescriptorClosed = newValue }
    }
    /// `true` when no operation, cancel or queued submission is outstanding.
    public var isQuiescent: Bool { core.isQuiescent }

    /// Starts an operation of `kind`: takes `buffer` into a slot, has the kind prepare the
    /// submission entry and queues it (or parks it in the backlog when the queue is full).
    public func submit<Kind: OperationKind>(_ kind: Kind, buffer: consuming IOBuffer?, waker: consuming Waker) -> OpToken {
        // SAFETY: the slot takes its own hold inside `submit`, and `waker` lives until then.
        let token = unsafe core.submit(Kind.self, settles: Kind.settlesFromScratch, buffer: buffer, waker: HeldWaker(waker)) {
            entry, buffer, scratch in kind.prepare(&entry, buffer: buffer, scratch: scratch)
        }
        withExtendedLifetime(waker) {}
        return token
    }

    /// `true` once the operation's completion has arrived (then call ``take(_:)``); otherwise
    /// remembers `waker` to be woken when it arrives.
    public func poll(_ token: OpToken, waker: Waker) -> Bool {
        // SAFETY: `waker` lives until `register` returns, so the slot takes its hold on a live
        // target.
        if core.isSettled(token) { return true }
        withExtendedLifetime(waker) { unsafe core.register(token, waker: HeldWaker(waker)) }
        return false
    }

    /// Takes a completed operation's result and buffer back and frees its slot.
    /// Precondition: ``poll(_:waker:)`` or ``cancel(_:waker:)`` answered `true`.
    public func take(_ token: OpToken) -> Completion { core.take(token) }

    /// Asks for the operation to be cancelled and answers `true` once its own completion has arrived
    /// (cancelled, or completed in the race); until then remembers `waker`. Call ``take(_:)`` after.
    ///
    /// An operation still waiting for room in the submission queue never reached the kernel: it
    /// completes at once with -ECANCELED.
    public func cancel(_ token: OpToken, waker: Waker) -> Bool {
        // SAFETY: `waker` lives until `cancel` returns, so the slot takes its hold on a live
        // target.
        withExtendedLifetime(waker) { unsafe core.cancel(token, waker: HeldWaker(waker)) }
    }

    /// The result of the cancel request sent for this operation, when its completion has arrived:
    /// 0 (found and cancelled), -ENOENT (already done), -EALREADY (running; it will complete soon).
    public func cancelResult(_ token: OpToken) -> Int32? { core.cancelResult(token) }

    /// The operation's owner was dropped synchronously. A completed or never-submitted operation is
    /// released now; one in flight moves to the orphan table, a cancel is sent, and its buffer is
    /// freed (and a descriptor it created closed) only when the kernel's completion arrives.
    public func orphan(_ token: OpToken) { core.orphan(token) }

    /// Releases what a completion of `kind` that nobody takes holds (a descriptor an accept or open
    /// created anyway is closed), so it never leaks.
    public func release(_ kind: any OperationKind.Type, result: Int32, flags: UInt32 = 0) {
        core.release(kind, result: result, flags: flags, bufferGroup: 0)
    }

    /// Registers a ring of `count` provided buffers (a power of two) of `size` bytes each, under
    /// the next free buffer group. The ring stays registered for as long as this driver lives.
    ///
    /// Throws an ``IOError`` when the count is not a power of two, when every group is taken, or
    /// when the backend has no provided-buffer rings (Linux 5.19 or newer).
    public func registerBufferRing(count: Int, size: Int) throws(IOError) -> ProvidedBufferRing {
        var group: UInt16 = 0
        while core.bufferRings[group] != nil {
            guard group < UInt16.max else {
                throw IOError(errno: ENOSPC, operation: "register buffer ring", remedy: "every buffer group is in use")
            }
            group += 1
        }
        let ring = try ProvidedBufferRing(group: group, count: count, size: size, backend: backend)
        core.bufferRings[group] = ring
        return ring
    }

    /// Submits what is queued, waits up to `waitNanos` for a completion (`0`: don't wait; `nil`:
    /// no limit), and dispatches every completion that arrived. Returns how many arrived.
    @discardableResult
    public func turn(waitNanos: Int64?) throws(IOError) -> Int { try core.turn(waitNanos: waitNanos) }

    /// The clock of the backend, in nanoseconds.
    public func now() -> UInt64 { core.now() }
}
