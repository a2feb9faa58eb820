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
public final class Driver {
    /// The kernel side: the real ring or the simulation.
    public let backend: any IOBackend
    /// The same backend when it is the real ring: the per-operation calls go to it directly, so
    /// they inline (through the existential, each was an indirect call).
    /// Unretained (``backend`` holds it) and used through `_withUnsafeGuaranteedRef`, which spares a
    /// retain and a release per call.
    private let uring: Unmanaged<UringBackend>?

    // `@exclusivity(unchecked)` on the hot stored properties of the driver, executor and tasks: they are
    // touched only on the executor's thread and never through overlapping inout accesses, so the
    // runtime's dynamic exclusivity check (swift_beginAccess, ~18% of a NOP's instructions under
    // callgrind) buys nothing here.
    // Chunk tables, grown by hand: an Array here cost a bounds check and a retain of its buffer on
    // every slot access.
    @exclusivity(unchecked) private var slots = UnsafeMutablePointer<UnsafeMutablePointer<Slot>>.allocate(capacity: 1)
    @exclusivity(unchecked) private var storages = UnsafeMutablePointer<UnsafeMutablePointer<OpStorage>>.allocate(capacity: 1)
    @exclusivity(unchecked) private var chunkCount = 0
    @exclusivity(unchecked) private var chunkCapacity = 1
    @exclusivity(unchecked) private var freeHead: UInt32 = Slot.none
    @exclusivity(unchecked) private var slotCount: UInt32 = 0
    @exclusivity(unchecked) private var backlog = RingBuffer<UInt64>(capacity: 64)

    /// Operations handed to the kernel whose completion has not arrived.
    @exclusivity(unchecked) public private(set) var operationsInFlight = 0
    /// Cancel requests handed to the kernel whose completion has not arrived.
    @exclusivity(unchecked) public private(set) var cancelsInFlight = 0
    /// Operations whose owner was dropped synchronously while they were in flight: their buffers wait
    /// here for the kernel's completion.
    @exclusivity(unchecked) public private(set) var orphanCount = 0
    /// Slots in use (submitted, waiting for room, or completed and not yet taken).
    @exclusivity(unchecked) public private(set) var liveSlots = 0
    /// Submissions (operations or cancels) waiting for room in a full submission queue.
    public var backlogCount: Int { backlog.count }
    /// Completions received whose tag named a slot that had moved on (a later generation).
    @exclusivity(unchecked) public private(set) var staleCompletions = 0
    /// Called with the result of an orphaned accept/open that succeeded after all, just before the
    /// driver closes that descriptor. For demos and tests.
    @exclusivity(unchecked) public var onOrphanedDescriptorClosed: ((Int32) -> Void)?

    static let chunkShift: UInt32 = 8
    static let chunkSize: UInt32 = 1 << chunkShift

    /// A driver over `backend`.
    public init(backend: any IOBackend) {
        self.backend = backend
        self.uring = (backend as? UringBackend).map { Unmanaged.passUnretained($0) }
    }

    deinit {
        for i in 0..<chunkCount {
            slots[i].deinitialize(count: Int(Driver.chunkSize))
            slots[i].deallocate()
            storages[i].deallocate()
        }
        slots.deallocate()
        storages.deallocate()
    }

    /// `true` when no operation, cancel or queued submission is outstanding.
    public var isQuiescent: Bool { operationsInFlight == 0 && cancelsInFlight == 0 && backlog.isEmpty }

    // MARK: Slots

    @inline(__always)
    private func slot(_ index: UInt32) -> UnsafeMutablePointer<Slot> {
        slots[Int(index >> Driver.chunkShift)] + Int(index & (Driver.chunkSize - 1))
    }

    @inline(__always)
    private func storage(_ index: UInt32) -> UnsafeMutablePointer<OpStorage> {
        storages[Int(index >> Driver.chunkShift)] + Int(index & (Driver.chunkSize - 1))
    }

    @inline(__always)
    private func allocateSlot() -> UInt32 {
        if freeHead == Slot.none { addChunk() }
        let index = freeHead
        freeHead = slot(index).pointee.nextFree
        liveSlots += 1
        return index
    }

    // Slots live in fixed chunks that never move, so addresses handed to the kernel stay valid.
    @inline(never)
    private func addChunk() {
        let chunk = UnsafeMutablePointer<Slot>.allocate(capacity: Int(Driver.chunkSize))
        let store = UnsafeMutablePointer<OpStorage>.allocate(capacity: Int(Driver.chunkSize))
        store.initialize(repeating: OpStorage(), count: Int(Driver.chunkSize))
        let first = slotCount
        for i in 0..<Driver.chunkSize {
            let next = i + 1 < Driver.chunkSize ? first + i + 1 : Slot.none
            (chunk + Int(i)).initialize(to: Slot(nextFree: next))
        }
        if chunkCount == chunkCapacity {
            let newCapacity = chunkCapacity * 2
            let newSlots = UnsafeMutablePointer<UnsafeMutablePointer<Slot>>.allocate(capacity: newCapacity)
            let newStorages = UnsafeMutablePointer<UnsafeMutablePointer<OpStorage>>.allocate(capacity: newCapacity)
            newSlots.moveInitialize(from: slots, count: chunkCount)
            newStorages.moveInitialize(from: storages, count: chunkCount)
            slots.deallocate()
            storages.deallocate()
            slots = newSlots
            storages = newStorages
            chunkCapacity = newCapacity
        }
        (slots + chunkCount).initialize(to: chunk)
        (storages + chunkCount).initialize(to: store)
        chunkCount += 1
        slotCount += Driver.chunkSize
        freeHead = first
    }

    @inline(__always)
    private func releaseSlot(_ index: UInt32) {
        let s = slot(index)
        s.pointee.generation = (s.pointee.generation &+ 1) & 0x7FFF_FFFF
        s.pointee.state = .free
        s.pointee.buffer = nil
        clearWaker(s)
        s.pointee.orphaned = false
        s.pointee.cancel = .none
        s.pointee.nextFree = freeHead
        freeHead = index
        liveSlots -= 1
    }

    @inline(__always)
    private func lookup(_ token: OpToken) -> UnsafeMutablePointer<Slot>? {
        guard token.index < slotCount else { return nil }  // a token from another driver
        let s = slot(token.index)
        guard s.pointee.generation == token.generation, s.pointee.state != .free else { return nil }
        return s
    }

    // MARK: Operation lifecycle

    /// Starts an operation: takes `buffer` into a slot and queues the submission (or parks it in the
    /// backlog when the queue is full).
    public func submit(_ request: OpRequest, buffer: consuming IOBuffer?, waker: consuming Waker) -> OpToken {
        submit(request, buffer: buffer, waker: .owned(waker))
    }

    /// ``submit(_:buffer:waker:)`` with the slot's kind of waker (the lent task, from an operation's poll).
    @inline(__always)
    func submit(_ request: OpRequest, buffer: consuming IOBuffer?, waker: consuming SlotWaker) -> OpToken {
        let index = allocateSlot()
        let s = slot(index)
        s.pointee.request = request
        s.pointee.buffer = buffer
        waker.hold()
        s.pointee.waker = consume waker  // a free slot's waker is `.none`: nothing to let go
        s.pointee.result = 0
        s.pointee.flags = 0
        let token = OpToken(index: index, generation: s.pointee.generation)
        if backlog.isEmpty, push(token, s) {
            s.pointee.state = .inFlight
            operationsInFlight += 1
        } else {
            park(token, s)
        }
        return token
    }

    /// No room in the submission queue (or others already wait): the submission waits in the backlog.
    @inline(never)
    private func park(_ token: OpToken, _ s: UnsafeMutablePointer<Slot>) {
        s.pointee.state = .backlog
        backlog.pushBack(token.userData)
    }

    @inline(__always)
    private func push(_ token: OpToken, _ s: UnsafeMutablePointer<Slot>) -> Bool {
        let region: UnsafeMutableRawBufferPointer?
        switch s.pointee.request {
        case _ where s.pointee.request.readsIntoBuffer: region = s.pointee.buffer?.spareRegion
        case .write(_, _, let from), .send(_, _, let from): region = s.pointee.buffer?.validRegion(from: from)
        case .openat, .connect: region = s.pointee.buffer?.validRegion(from: 0)  // a path, an address
        default: region = nil
        }
        let request = s.pointee.request, store = storage(token.index)
        if let uring {
            return uring._withUnsafeGuaranteedRef { $0.prepare(request, userData: token.userData, region: region, storage: store) }
        }
        return backend.prepare(request, userData: token.userData, region: region, storage: store)
    }

    /// `true` once the operation's completion has arrived (then call ``take(_:)``); otherwise
    /// remembers `waker` to be woken when it arrives.
    public func poll(_ token: OpToken, waker: Waker) -> Bool {
        if isSettled(token) { return true }
        register(token, waker: .owned(waker))
        return false
    }

    /// `true` once the operation's completion has arrived (and the cancel's, if one was sent).
    /// Apart from ``poll(_:waker:)`` so that the common case, a poll after the wake-up, copies no waker.
    @inline(__always)
    func isSettled(_ token: OpToken) -> Bool {
        guard let s = lookup(token) else { return true }
        return s.pointee.state == .completed && s.pointee.cancel != .submitted
    }

    /// Remembers `waker` to be woken when the operation's completion arrives.
    func register(_ token: OpToken, waker: consuming SlotWaker) {
        guard let s = lookup(token) else { return }
        replaceWaker(s, with: waker)
    }

    /// Stores `waker` in the slot (unless it wakes the same target already there), letting the old one go.
    @inline(__always)
    private func replaceWaker(_ s: UnsafeMutablePointer<Slot>, with waker: consuming SlotWaker) {
        if s.pointee.waker.willWake(waker) { return }
        waker.hold()
        let old = s.pointee.waker
        s.pointee.waker = consume waker
        old.letGo()
    }

    /// Lets the slot's waker go (usually there is none: settle took it).
    @inline(__always)
    private func clearWaker(_ s: UnsafeMutablePointer<Slot>) { replaceWaker(s, with: .none) }

    /// Takes a completed operation's result and buffer back and frees its slot.
    /// Precondition: ``poll(_:waker:)`` or ``cancel(_:waker:)`` answered `true`.
    @inline(__always)
    public func take(_ token: OpToken) -> Completion {
        guard let s = lookup(token), s.pointee.state == .completed, s.pointee.cancel != .submitted else {
            preconditionFailure("Driver.take(\(token)) before its completion arrived")
        }
        var buffer = s.pointee.buffer.take()
        let result = s.pointee.result
        if result > 0 && s.pointee.request.readsIntoBuffer { buffer?.commitAppended(Int(result)) }
        // An accept hands the peer's address back in a buffer: completions stay small, and the
        // others never carry (or destroy) an address.
        if case .accept = s.pointee.request, result >= 0 {
            let store = storage(token.index)
            buffer = SocketAddress(storage: store.pointee.address, length: store.pointee.addressLength).bytes
        }
        let completion = Completion(result: result, flags: s.pointee.flags, buffer: buffer)
        releaseSlot(token.index)
        return completion
    }

    /// Asks for the operation to be cancelled and answers `true` once its own completion has arrived
    /// (cancelled, or completed in the race); until then remembers `waker`. Call ``take(_:)`` after.
    ///
    /// An operation still waiting for room in the submission queue never reached the kernel: it
    /// completes at once with -ECANCELED.
    public func cancel(_ token: OpToken, waker: Waker) -> Bool {
        cancel(token, waker: .owned(waker))
    }

    /// ``cancel(_:waker:)`` with the slot's kind of waker.
    func cancel(_ token: OpToken, waker: consuming SlotWaker) -> Bool {
        guard let s = lookup(token) else { return true }
        switch s.pointee.state {
        case .free:
            return true
        case .completed:
            // Settled only when the cancel request we sent, if any, has completed too.
            if s.pointee.cancel == .submitted { replaceWaker(s, with: waker); return false }
            return true
        case .backlog:
            s.pointee.state = .completed
            s.pointee.result = -ECANCELED
            return true
        case .inFlight:
            replaceWaker(s, with: waker)
            if s.pointee.cancel == .none { requestCancel(token) }
            return false
        }
    }

    /// The result of the cancel request sent for this operation, when its completion has arrived:
    /// 0 (found and cancelled), -ENOENT (already done), -EALREADY (running; it will complete soon).
    public func cancelResult(_ token: OpToken) -> Int32? {
        guard let s = lookup(token), s.pointee.cancel == .done else { return nil }
        return s.pointee.cancelResult
    }

    /// The operation's owner was dropped synchronously. A completed or never-submitted operation is
    /// released now; one in flight moves to the orphan table, a cancel is sent, and its buffer is
    /// freed (and a descriptor it created closed) only when the kernel's completion arrives.
    public func orphan(_ token: OpToken) {
        guard let s = lookup(token) else { return }
        switch s.pointee.state {
        case .completed where s.pointee.cancel == .submitted:
            // Our cancel request is still in flight: release when it completes.
            s.pointee.orphaned = true
            clearWaker(s)
            orphanCount += 1
        case .completed, .backlog, .free:
            if s.pointee.state == .completed { releaseResult(s.pointee.request, s.pointee.result) }
            releaseSlot(token.index)
        case .inFlight:
            s.pointee.orphaned = true
            clearWaker(s)
            orphanCount += 1
            if s.pointee.cancel == .none { requestCancel(token) }
        }
    }

    /// Closes a descriptor that a cancelled or orphaned accept/open created anyway, so it never leaks.
    public func releaseResult(_ request: OpRequest, _ result: Int32) {
        guard request.createsDescriptor, result >= 0 else { return }
        onOrphanedDescriptorClosed?(result)
        backend.closeDescriptor(result)
    }

    private func requestCancel(_ token: OpToken) {
        let s = slot(token.index)
        if backlog.isEmpty, prepareCancelInBackend(target: token.userData, userData: token.cancelUserData) {
            s.pointee.cancel = .submitted
            cancelsInFlight += 1
        } else {
            s.pointee.cancel = .queued
            backlog.pushBack(token.cancelUserData)
        }
    }

    // MARK: Turning

    /// Submits what is queued, waits up to `waitNanos` for a completion (`0`: don't wait; `nil`:
    /// no limit), and dispatches every completion that arrived. Returns how many arrived.
    @discardableResult
    public func turn(waitNanos: Int64?) throws(IOError) -> Int {
        // Nothing submitted, queued or outstanding: no completion can arrive, so a turn that must not
        // wait has nothing to do. Skipping the ring check keeps task-to-task hand-offs cheap.
        if waitNanos == 0 && isQuiescent { return 0 }
        if !backlog.isEmpty { retryBacklog() }
        if !backlog.isEmpty {
            // Handing the queued entries to the kernel makes room: move the backlog on before waiting.
            try submitToBackend(waitNanos: 0)
            retryBacklog()
        }
        let mustNotBlock = operationsInFlight == 0 && cancelsInFlight == 0
        try submitToBackend(waitNanos: mustNotBlock && waitNanos == nil ? 0 : waitNanos)
        var arrived = 0
        while true {
            let n = reapFromBackend()
            arrived += n
            // Completions free submission room: move the backlog on before waiting again.
            if n == 0 || backlog.isEmpty { break }
            retryBacklog()
            try submitToBackend(waitNanos: 0)
        }
        return arrived
    }

    // The backend calls of a turn, direct when the backend is the ring (see `uring`).
    @inline(__always)
    private func submitToBackend(waitNanos: Int64?) throws(IOError) {
        guard let uring else { return try backend.submit(waitNanos: waitNanos) }
        // `_withUnsafeGuaranteedRef` rethrows untyped errors: carry the typed one out in a Result.
        let outcome = uring._withUnsafeGuaranteedRef { ring in
            Result<Void, IOError> { () throws(IOError) in try ring.submit(waitNanos: waitNanos) }
        }
        try outcome.get()
    }

    @inline(__always)
    private func reapFromBackend() -> Int {
        if let uring { return uring._withUnsafeGuaranteedRef { $0.reap { self.dispatch($0, $1, $2) } } }
        return backend.reap { self.dispatch($0, $1, $2) }
    }

    @inline(__always)
    private func prepareCancelInBackend(target: UInt64, userData: UInt64) -> Bool {
        if let uring { return uring._withUnsafeGuaranteedRef { $0.prepareCancel(target: target, userData: userData) } }
        return backend.prepareCancel(target: target, userData: userData)
    }

    private func retryBacklog() {
        while let userData = backlog.popFront() {
            let (token, isCancel) = OpToken.decode(userData)
            guard let s = lookup(token) else { continue }  // released meanwhile
            if isCancel {
                guard s.pointee.cancel == .queued, s.pointee.state == .inFlight else { continue }
                if prepareCancelInBackend(target: token.userData, userData: userData) {
                    s.pointee.cancel = .submitted
                    cancelsInFlight += 1
                } else {
                    backlog.pushFront(userData)
                    return
                }
            } else {
                guard s.pointee.state == .backlog else { continue }  // cancelled while waiting
                if push(token, s) {
                    s.pointee.state = .inFlight
                    operationsInFlight += 1
                } else {
                    backlog.pushFront(userData)
                    return
                }
            }
        }
    }

    @inline(__always)
    private func dispatch(_ userData: UInt64, _ result: Int32, _ flags: UInt32) {
        let (token, isCancel) = OpToken.decode(userData)
        if isCancel {
            cancelsInFlight -= 1
            guard let s = lookup(token), s.pointee.cancel == .submitted else { staleCompletions += 1; return }
            s.pointee.cancel = .done
            s.pointee.cancelResult = result
            if s.pointee.state == .completed { settle(token, s) }  // the operation's own completion came first
            return
        }
        guard let s = lookup(token), s.pointee.state == .inFlight else {
            staleCompletions += 1
            return
        }
        operationsInFlight -= 1
        s.pointee.result = result
        s.pointee.flags = flags
        s.pointee.state = .completed
        if s.pointee.cancel == .queued { s.pointee.cancel = .none }  // never sent; the backlog skips it
        if s.pointee.cancel != .submitted { settle(token, s) }
    }

    /// Both completions are in (or no cancel was sent): hand the result to its owner, or, for an
    /// orphan, release it now — the buffer is freed only here, after the kernel is done with it.
    @inline(__always)
    private func settle(_ token: OpToken, _ s: UnsafeMutablePointer<Slot>) {
        if s.pointee.orphaned {
            orphanCount -= 1
            releaseResult(s.pointee.request, s.pointee.result)
            releaseSlot(token.index)
        } else {
            // Moved out: the owner polls a settled slot without registering again.
            let waker = s.pointee.waker
            s.pointee.waker = .none
            waker.wakeAndLetGo()
        }
    }

    /// The clock of the backend, in nanoseconds.
    @inline(__always)
    public func now() -> UInt64 { backend.now() }
}

struct Slot: ~Copyable {
    static let none = UInt32.max

    enum State: UInt8 { case free, backlog, inFlight, completed }
    // A plain byte (the cancel's result has its own field): compared on every completion.
    enum CancelState: UInt8 { case none, queued, submitted, done }

    var generation: UInt32 = 0
    var state: State = .free
    var orphaned = false
    var cancel: CancelState = .none
    var cancelResult: Int32 = 0
    var request: OpRequest = .nop
    var result: Int32 = 0
    var flags: UInt32 = 0
    var buffer: IOBuffer? = nil
    var waker: SlotWaker = .none
    var nextFree: UInt32

    init(nextFree: UInt32) { self.nextFree = nextFree }
}
