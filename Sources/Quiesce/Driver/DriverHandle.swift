import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// The state of a ``Driver``, allocated once at a fixed address (see ``DriverHandle``).
@safe
struct DriverState: ~Copyable {
    // SAFETY: Allocated once by ``Driver`` and reached only through ``DriverHandle`` on the
    // executor's thread. `slots` and `memories` hold `chunkCount` initialized chunk pointers, each
    // to `chunkSize` initialized slots or slot memories (entry and scratch) that never move; `deinit` runs only once every
    // slot is free (the driver keeps its state otherwise) and frees exactly those chunks and
    // tables.
    /// The kernel side: the real ring or the simulation.
    let backend: any IOBackend
    /// The same backend when it is the real ring: the per-operation calls go to it directly, so
    /// they inline (through the existential, each would be an indirect call). Unretained (``backend``
    /// holds it) and used through `_withUnsafeGuaranteedRef`, which spares a retain and a release.
    let uring: Unmanaged<UringBackend>?
    // Chunk tables, grown by hand: an Array here would cost a bounds check and a retain of its
    // buffer on every slot access.
    var slots = UnsafeMutablePointer<UnsafeMutablePointer<Slot>>.allocate(capacity: 1)
    var memories = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: 1)
    var chunkCount = 0
    var chunkCapacity = 1
    var freeHead: UInt32 = Slot.none
    var slotCount: UInt32 = 0
    var backlog = RingBuffer<UInt64>(capacity: 64)
    var operationsInFlight = 0
    var cancelsInFlight = 0
    var orphanCount = 0
    var liveSlots = 0
    var staleCompletions = 0
    var onOrphanedDescriptorClosed: ((Int32) -> Void)?
    /// The provided-buffer rings registered through this driver, by group: kept for the driver's
    /// life, since operations in flight may write into them.
    var bufferRings: [UInt16: ProvidedBufferRing] = [:]
    /// Where an operation released while in flight is reported (debug builds), unless
    /// `orphansExpected`: the owner's diagnostics.
    var reportOrphan: ((Diagnostic) -> Void)?
    /// Set while the owner tears down (a shutdown's synchronous fallback): orphans are then expected.
    var orphansExpected = false
    /// The file table and fixed buffers registered with the ring, each kept while operations use it
    /// (see `DriverHandle+Registered`).
    var registered = RegisteredTables()

    init(backend: any IOBackend) {
        self.backend = backend
        unsafe self.uring = unsafe (backend as? UringBackend).map { unsafe Unmanaged.passUnretained($0) }
    }

    // Runs only once every slot is free (`Driver.deinit` keeps the state otherwise), so no slot's
    // waker holds anything any more.
    deinit {
        for i in 0..<chunkCount {
            unsafe slots[i].deinitialize(count: Int(DriverHandle.chunkSize))
            unsafe slots[i].deallocate()
            unsafe memories[i].deallocate()
        }
        unsafe slots.deallocate()
        unsafe memories.deallocate()
    }
}

/// The logic of a ``Driver``: the slot table, the in-flight accounting, the cancellation protocol,
/// the orphan table and the submission backlog, over a ``DriverState`` it points to.
///
/// One word, copied freely: an operation keeps one and calls it directly, so its hot path is
/// straight-line code with no class method calls, no reference counting and no closures. Every
/// field is read and written through the pointer (never through an `inout self`), so code that
/// runs inside a driver call (a waker, a task freed by a slot letting go) may call the driver again.
@usableFromInline
@safe
struct DriverHandle {
    // SAFETY: `state` points to the ``DriverState`` its ``Driver`` allocated. The driver frees it
    // only when nothing is in flight and no slot is live, and keeps it forever otherwise, so every
    // holder of a handle reaches live state. A slot is touched only at an index the driver
    // allocated (below `slotCount`), and through a token only once `lookup` has matched its
    // generation; every access happens on the executor's thread, reading and writing through the
    // pointer, never an `inout self`.
    /// The state, owned by the ``Driver`` (which outlives every operation holding this core).
    let state: UnsafeMutablePointer<DriverState>

    /// The kernel side: the real ring or the simulation.
    var backend: any IOBackend { unsafe state.pointee.backend }
    @inline(__always) private var uring: Unmanaged<UringBackend>? { unsafe state.pointee.uring }
    @inline(__always) private var slots: UnsafeMutablePointer<UnsafeMutablePointer<Slot>> {
        get { unsafe state.pointee.slots }
        nonmutating _modify { yield unsafe &state.pointee.slots }
    }
    @inline(__always) private var memories: UnsafeMutablePointer<UnsafeMutableRawPointer> {
        get { unsafe state.pointee.memories }
        nonmutating _modify { yield unsafe &state.pointee.memories }
    }
    @inline(__always) private var chunkCount: Int {
        get { unsafe state.pointee.chunkCount }
        nonmutating _modify { yield unsafe &state.pointee.chunkCount }
    }
    @inline(__always) private var chunkCapacity: Int {
        get { unsafe state.pointee.chunkCapacity }
        nonmutating _modify { yield unsafe &state.pointee.chunkCapacity }
    }
    @inline(__always) private var freeHead: UInt32 {
        get { unsafe state.pointee.freeHead }
        nonmutating _modify { yield unsafe &state.pointee.freeHead }
    }
    @inline(__always) private var slotCount: UInt32 {
        get { unsafe state.pointee.slotCount }
        nonmutating _modify { yield unsafe &state.pointee.slotCount }
    }
    @inline(__always) private var backlog: RingBuffer<UInt64> {
        get { unsafe state.pointee.backlog }
        nonmutating _modify { yield unsafe &state.pointee.backlog }
    }
    /// Operations handed to the kernel whose completion has not arrived.
    @inline(__always) var operationsInFlight: Int {
        get { unsafe state.pointee.operationsInFlight }
        nonmutating _modify { yield unsafe &state.pointee.operationsInFlight }
    }
    /// Cancel requests handed to the kernel whose completion has not arrived.
    @inline(__always) var cancelsInFlight: Int {
        get { unsafe state.pointee.cancelsInFlight }
        nonmutating _modify { yield unsafe &state.pointee.cancelsInFlight }
    }
    /// Operations dropped synchronously while in flight, whose buffers wait for the completion.
    @inline(__always) var orphanCount: Int {
        get { unsafe state.pointee.orphanCount }
        nonmutating _modify { yield unsafe &state.pointee.orphanCount }
    }
    /// Slots in use (submitted, waiting for room, or completed and not yet taken).
    @inline(__always) var liveSlots: Int {
        get { unsafe state.pointee.liveSlots }
        nonmutating _modify { yield unsafe &state.pointee.liveSlots }
    }
    /// Completions whose tag named a slot that had moved on (a later generation).
    @inline(__always) var staleCompletions: Int {
        get { unsafe state.pointee.staleCompletions }
        nonmutating _modify { yield unsafe &state.pointee.staleCompletions }
    }
    /// Where an operation released while in flight is reported (debug builds).
    var reportOrphan: ((Diagnostic) -> Void)? {
        get { unsafe state.pointee.reportOrphan }
        nonmutating set { unsafe state.pointee.reportOrphan = newValue }
    }
    /// Set while the owner tears down: orphans are expected then, and not reported.
    var orphansExpected: Bool {
        get { unsafe state.pointee.orphansExpected }
        nonmutating set { unsafe state.pointee.orphansExpected = newValue }
    }
    /// Called with a descriptor an orphaned accept/open created anyway, before it is closed.
    var onOrphanedDescriptorClosed: ((Int32) -> Void)? {
        get { unsafe state.pointee.onOrphanedDescriptorClosed }
        nonmutating set { unsafe state.pointee.onOrphanedDescriptorClosed = newValue }
    }
    /// The provided-buffer rings registered through this driver, by group.
    var bufferRings: [UInt16: ProvidedBufferRing] {
        get { unsafe state.pointee.bufferRings }
        nonmutating _modify { yield unsafe &state.pointee.bufferRings }
    }
    /// Submissions (operations or cancels) waiting for room in a full submission queue.
    var backlogCount: Int { backlog.count }

    static let chunkShift: UInt32 = 8
    static let chunkSize: UInt32 = 1 << chunkShift

    /// `true` when no operation, cancel or queued submission is outstanding.
    var isQuiescent: Bool { operationsInFlight == 0 && cancelsInFlight == 0 && backlog.isEmpty }

    // MARK: Slots

    @inline(__always)
    private func slot(_ index: UInt32) -> UnsafeMutablePointer<Slot> {
        unsafe slots[Int(index >> DriverHandle.chunkShift)] + Int(index & (DriverHandle.chunkSize - 1))
    }

    // Each slot's memory the kernel may use: its submission entry (kept for a submission that waits
    // in the backlog), then its scratch memory.
    static let entryBytes = 64
    static let memoryStride = entryBytes + OpScratch.size

    @inline(__always)
    private func memory(_ index: UInt32) -> UnsafeMutableRawPointer {
        unsafe memories[Int(index >> DriverHandle.chunkShift)] + Int(index & (DriverHandle.chunkSize - 1)) * DriverHandle.memoryStride
    }

    @inline(__always)
    private func entry(_ index: UInt32) -> UnsafeMutablePointer<SubmissionEntry> {
        unsafe memory(index).assumingMemoryBound(to: SubmissionEntry.self)
    }

    @inline(__always)
    private func scratch(_ index: UInt32) -> OpScratch {
        unsafe OpScratch(memory(index) + DriverHandle.entryBytes)
    }

    @inline(__always)
    private func allocateSlot() -> UInt32 {
        if freeHead == Slot.none { addChunk() }
        let index = freeHead
        freeHead = unsafe slot(index).pointee.nextFree
        liveSlots &+= 1
        return index
    }

    // Slots live in fixed chunks that never move, so addresses handed to the kernel stay valid.
    @inline(never)
    private func addChunk() {
        // SAFETY: the new chunks are initialized in full before they are listed; the tables move
        // (with their pointers, not the chunks) to a larger allocation only when full, so no slot
        // or storage ever changes address.
        let chunk = UnsafeMutablePointer<Slot>.allocate(capacity: Int(DriverHandle.chunkSize))
        let store = UnsafeMutableRawPointer.allocate(byteCount: Int(DriverHandle.chunkSize) * DriverHandle.memoryStride, alignment: 64)
        for i in 0..<Int(DriverHandle.chunkSize) {
            unsafe (store + i * DriverHandle.memoryStride).initializeMemory(as: SubmissionEntry.self, repeating: SubmissionEntry(), count: 1)
        }
        let first = slotCount
        for i in 0..<DriverHandle.chunkSize {
            let next = i + 1 < DriverHandle.chunkSize ? first + i + 1 : Slot.none
            unsafe (chunk + Int(i)).initialize(to: Slot(nextFree: next))
        }
        if chunkCount == chunkCapacity {
            let newCapacity = chunkCapacity * 2
            let newSlots = UnsafeMutablePointer<UnsafeMutablePointer<Slot>>.allocate(capacity: newCapacity)
            let newMemories = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: newCapacity)
            unsafe newSlots.moveInitialize(from: slots, count: chunkCount)
            unsafe newMemories.moveInitialize(from: memories, count: chunkCount)
            unsafe slots.deallocate()
            unsafe memories.deallocate()
            unsafe slots = unsafe newSlots
            unsafe memories = unsafe newMemories
            chunkCapacity = newCapacity
        }
        unsafe (slots + chunkCount).initialize(to: chunk)
        unsafe (memories + chunkCount).initialize(to: store)
        chunkCount += 1
        slotCount += DriverHandle.chunkSize
        freeHead = first
    }

    /// Frees slot `index` (at `s`), letting go whatever it still holds.
    @inline(__always)
    private func releaseSlot(_ index: UInt32, _ s: UnsafeMutablePointer<Slot>) {
        unsafe s.pointee.buffer = nil
        unsafe freeSlot(index, s)
    }

    /// Frees slot `index` (at `s`), whose buffer has been moved out.
    @inline(__always)
    private func freeSlot(_ index: UInt32, _ s: UnsafeMutablePointer<Slot>) {
        // SAFETY: `s` is slot `index`, live until here; the new generation makes every token for it
        // stale, and its waker's hold is let go exactly once, after the slot is back on the free
        // list.
        if unsafe s.pointee.more == nil && s.pointee.registered == 0 && s.pointee.lent == nil, case .none = unsafe s.pointee.waker {
            // The usual end (taken after `settle` moved the waker out): nothing to let go, so
            // nothing here calls out.
            unsafe markFree(s)
            unsafe pushFree(index, s)
            return
        }
        if unsafe s.pointee.more?.isEmpty == false { unsafe releaseUntaken(s) }
        if _slowPath(unsafe s.pointee.registered != 0) { unsafe endRegisteredUse(s) }  // it never reached the kernel
        unsafe markFree(s)
        let waker = unsafe s.pointee.waker
        unsafe s.pointee.waker = .none
        if unsafe s.pointee.lent != nil { unsafe s.pointee.lent = nil }  // lent beyond the buffer: the kernel is done with it
        unsafe pushFree(index, s)
        unsafe waker.letGo()  // last: it may free a task, whose drop may call the driver again
    }

    /// Gives slot `s` a new generation (every token for it is stale from here) and resets its
    /// cancellation state.
    @inline(__always)
    private func markFree(_ s: UnsafeMutablePointer<Slot>) {
        unsafe s.pointee.generation = unsafe (s.pointee.generation &+ 1) & 0x7FFF_FFFF
        unsafe s.pointee.state = .free
        unsafe s.pointee.orphaned = false
        unsafe s.pointee.cancel = .none
        unsafe s.pointee.linkPartner = Slot.none
        unsafe s.pointee.deliveredMore = false
        unsafe s.pointee.notifiedEarly = false
    }

    /// Puts slot `index` (at `s`) back on the free list.
    @inline(__always)
    private func pushFree(_ index: UInt32, _ s: UnsafeMutablePointer<Slot>) {
        unsafe s.pointee.nextFree = freeHead
        freeHead = index
        liveSlots &-= 1
    }

    @inline(__always)
    private func lookup(_ token: OpToken) -> UnsafeMutablePointer<Slot>? {
        // SAFETY: the index is checked against `slotCount` before the slot is read, so every token
        // (even one from another driver) reads an allocated slot; a stale generation or a free slot
        // answers `nil`.
        guard token.index < slotCount else { return nil }  // a token from another driver
        let s = unsafe slot(token.index)
        guard unsafe s.pointee.generation == token.generation, unsafe s.pointee.state != .free else { return nil }
        return unsafe s
    }

    // MARK: Operation lifecycle

    /// Starts an operation of kind `kind`: takes `buffer` into a slot, has `prepare` fill the
    /// submission entry (straight into the ring when it has room) and queues it, or parks it in the
    /// backlog when the queue is full. `waker` is woken when the completion arrives.
    @inline(__always)
    func submit(_ kind: any OperationKind.Type, settles: Bool, buffer: consuming IOBuffer?, waker: consuming HeldWaker,
                prepare: (inout SubmissionEntry, borrowing IOBuffer?, OpScratch) -> Void) -> OpToken {
        // SAFETY: the slot is freshly allocated; it takes the waker's hold here (the caller keeps
        // the target alive for the call) and keeps the buffer, unmoved, until the completion
        // settles it. The entry `prepare` fills is either a free entry of the open ring or the
        // slot's own; the pointers it puts there lie in the slot's buffer and scratch memory,
        // which stay valid and unmoved until the completion is dispatched (the ``IOBackend``
        // contract).
        let index = allocateSlot()
        let s = unsafe slot(index)
        unsafe s.pointee.kind = kind
        unsafe s.pointee.settles = settles
        unsafe s.pointee.buffer = buffer
        unsafe waker.hold()
        unsafe s.pointee.waker = waker  // a free slot's waker is `.none`: nothing to let go
        unsafe s.pointee.result = 0
        unsafe s.pointee.flags = 0
        let token = unsafe OpToken(index: index, generation: s.pointee.generation)
        if backlog.isEmpty, let uring = unsafe uring,
           let sqe = unsafe uring._withUnsafeGuaranteedRef({ unsafe $0.nextEntry() }) {
            unsafe prepare(&sqe.pointee, s.pointee.buffer, scratch(index))
            unsafe s.pointee.bufferGroup = sqe.pointee.buf_group
            unsafe noteRegisteredUse(s, sqe)
            unsafe sqe.pointee.user_data = token.userData
            unsafe s.pointee.state = .inFlight
            operationsInFlight &+= 1
            return token
        }
        let entry = unsafe entry(index)
        unsafe prepare(&entry.pointee, s.pointee.buffer, scratch(index))
        unsafe s.pointee.bufferGroup = entry.pointee.buf_group
        unsafe noteRegisteredUse(s, entry)
        if backlog.isEmpty, push(token) {
            unsafe s.pointee.state = .inFlight
            operationsInFlight &+= 1
        } else {
            unsafe park(token, s)
        }
        return token
    }

    /// No room in the submission queue (or others already wait): the submission waits in the backlog.
    @inline(never)
    private func park(_ token: OpToken, _ s: UnsafeMutablePointer<Slot>) {
        unsafe s.pointee.state = .backlog
        backlog.pushBack(token.userData)
    }

    /// Hands the slot's prepared entry to the backend.
    private func push(_ token: OpToken) -> Bool {
        // SAFETY: the entry is the slot's own, prepared by its kind; what it points to stays valid
        // and unmoved until the completion is dispatched, as ``IOBackend`` requires. `uring` is
        // kept alive by `backend`.
        let entry = unsafe entry(token.index)
        if let uring = unsafe uring {
            return unsafe uring._withUnsafeGuaranteedRef { unsafe $0.prepare(entry, userData: token.userData) }
        }
        return unsafe backend.prepare(entry, userData: token.userData)
    }

    /// `true` once the operation's completion has arrived (and the cancel's, if one was sent).
    /// Apart from ``register(_:waker:)`` so that the common case, a poll after the wake-up, builds no waker.
    @inline(__always)
    func isSettled(_ token: OpToken) -> Bool {
        guard let s = unsafe lookup(token) else { return true }
        return unsafe s.pointee.state == .completed && s.pointee.cancel != .submitted
    }

    /// Remembers `waker` to be woken when the operation's completion arrives.
    func register(_ token: OpToken, waker: consuming HeldWaker) {
        guard let s = unsafe lookup(token) else { return }
        unsafe replaceWaker(s, with: waker)
    }

    /// Stores `waker` in the slot (unless it wakes the same target already there), letting the old one go.
    @inline(__always)
    private func replaceWaker(_ s: UnsafeMutablePointer<Slot>, with waker: consuming HeldWaker) {
        // SAFETY: the new waker's hold is taken before the old one is let go, so each stored waker
        // has exactly one hold, and letting go comes last (it may free a task that calls the driver
        // again).
        if unsafe s.pointee.waker.willWake(waker) { return }
        unsafe waker.hold()
        let old = unsafe s.pointee.waker
        unsafe s.pointee.waker = consume waker
        unsafe old.letGo()
    }

    /// Lets the slot's waker go (usually there is none: settle took it).
    @inline(__always)
    private func clearWaker(_ s: UnsafeMutablePointer<Slot>) { unsafe replaceWaker(s, with: .none) }

    /// Takes a completed operation's result and buffer back and frees its slot.
    /// Precondition: ``isSettled(_:)`` or ``cancel(_:waker:)`` answered `true`.
    @inline(__always)
    func take(_ token: OpToken) -> Completion {
        guard let s = unsafe lookup(token), unsafe s.pointee.state == .completed, unsafe s.pointee.cancel != .submitted else {
            takenTooEarly(token)
        }
        return unsafe takeSettled(token, s)
    }

    /// The completion of a settled operation, its slot freed; `nil` (and nothing changed) while it
    /// is not settled. One slot lookup where ``isSettled(_:)`` and ``take(_:)`` make two: this is the
    /// poll after every wake-up.
    @inline(__always)
    func takeIfSettled(_ token: OpToken) -> Completion? {
        guard let found = settled(token) else { return nil }
        return take(found)
    }

    /// The slot of a settled operation, looked up once for ``result(of:)`` and ``take(_:)``;
    /// `nil` (and nothing changed) while the operation is not settled.
    @inline(__always)
    func settled(_ token: OpToken) -> SettledSlot? {
        guard let s = unsafe lookup(token) else { takenTooEarly(token) }
        guard unsafe s.pointee.state == .completed && s.pointee.cancel != .submitted else { return nil }
        return unsafe SettledSlot(token: token, slot: s)
    }

    /// The result of a settled operation, read before its completion is taken.
    @inline(__always)
    func result(of found: SettledSlot) -> Int32 { unsafe found.slot.pointee.result }

    /// Takes a settled operation's completion and frees its slot (once per ``SettledSlot``).
    @inline(__always)
    func take(_ found: SettledSlot) -> Completion { unsafe takeSettled(found.token, found.slot) }

    @inline(never)
    private func takenTooEarly(_ token: OpToken) -> Never {
        preconditionFailure("Driver.take(\(token)) before its completion arrived")
    }

    @inline(__always)
    private func takeSettled(_ token: OpToken, _ s: UnsafeMutablePointer<Slot>) -> Completion {
        var buffer = unsafe s.pointee.buffer.take()
        let result = unsafe s.pointee.result
        if unsafe result >= 0 && s.pointee.settles {
            unsafe s.pointee.kind.settle(result: result, flags: s.pointee.flags, buffer: &buffer, scratch: scratch(token.index))
        }
        let completion = unsafe Completion(result: result, flags: s.pointee.flags, buffer: buffer, bufferGroup: s.pointee.bufferGroup)
        unsafe freeSlot(token.index, s)
        return completion
    }

    /// Asks for the operation to be cancelled and answers `true` once its own completion has arrived
    /// (cancelled, or completed in the race); until then remembers `waker`. Call ``take(_:)`` after.
    /// An operation still waiting for room in the submission queue completes at once with -ECANCELED.
    func cancel(_ token: OpToken, waker: consuming HeldWaker) -> Bool {
        guard let s = unsafe lookup(token) else { return true }
        switch unsafe s.pointee.state {
        case .free:
            return true
        case .completed:
            // Settled only when the cancel request we sent, if any, has completed too.
            if unsafe s.pointee.cancel == .submitted { unsafe replaceWaker(s, with: waker); return false }
            return true
        case .backlog:
            unsafe s.pointee.state = .completed
            unsafe s.pointee.result = -ECANCELED
            if unsafe s.pointee.linkPartner != Slot.none { unsafe cancelWaitingPartner(s) }
            return true
        case .inFlight:
            unsafe replaceWaker(s, with: waker)
            if unsafe s.pointee.cancel == .none { requestCancel(token) }
            return false
        }
    }

    /// The result of the cancel request sent for this operation, when its completion has arrived:
    /// 0 (found and cancelled), -ENOENT (already done), -EALREADY (running; it will complete soon).
    func cancelResult(_ token: OpToken) -> Int32? {
        guard let s = unsafe lookup(token), unsafe s.pointee.cancel == .done else { return nil }
        return unsafe s.pointee.cancelResult
    }

    /// The operation's owner was dropped synchronously. A completed or never-submitted operation is
    /// released now; one in flight moves to the orphan table, a cancel is sent, and its buffer is
    /// freed (and a descriptor it created closed) only when the kernel's completion arrives.
    func orphan(_ token: OpToken) {
        // SAFETY: an orphan in flight keeps its slot, and so its buffer and storage, until its
        // completion is dispatched (`settle` frees it then); only a slot the kernel no longer
        // refers to is freed here.
        guard let s = unsafe lookup(token) else { return }
        #if DEBUG
        let kind = unsafe s.pointee.kind
        let wasPending = unsafe s.pointee.state == .inFlight || s.pointee.state == .backlog
        #endif
        switch unsafe s.pointee.state {
        case .completed where unsafe s.pointee.cancel == .submitted:
            // Our cancel request is still in flight: release when it completes.
            unsafe s.pointee.orphaned = true
            unsafe clearWaker(s)
            orphanCount += 1
        case .completed, .backlog, .free:
            if unsafe s.pointee.state == .completed { unsafe releaseResult(of: s) }
            unsafe releaseSlot(token.index, s)
        case .inFlight:
            unsafe s.pointee.orphaned = true
            unsafe clearWaker(s)
            orphanCount += 1
            if unsafe s.pointee.cancel == .none { requestCancel(token) }
        }
        #if DEBUG
        if wasPending { reportOrphaned(token, kind) }
        #endif
    }

    /// Debug builds: an operation released synchronously while in flight (or waiting for room) is
    /// usually a missing glue line, a field its owner's `pollDropReady` does not drive.
    @inline(never)
    private func reportOrphaned(_ token: OpToken, _ kind: any OperationKind.Type) {
        guard !orphansExpected, let report = reportOrphan else { return }
        report(Diagnostic(.orphaned,
            "\(kind.name) (\(token)) was released while in flight, without its async drop: the driver keeps its buffer and cancels it. Does its owner's pollDropReady drive it (a missing glue line)?"))
    }

    /// Releases what a completion nobody takes holds (see ``OperationKind/resource(result:flags:)``):
    /// a descriptor an accept or open created anyway is closed, a provided buffer goes back to its
    /// ring.
    func release(_ kind: any OperationKind.Type, result: Int32, flags: UInt32, bufferGroup: UInt16) {
        guard result >= 0 else { return }
        switch kind.resource(result: result, flags: flags) {
        case .none:
            break
        case .descriptor(let fd):
            onOrphanedDescriptorClosed?(fd)
            backend.closeDescriptor(fd)
        case .providedBuffer(let id):
            bufferRings[bufferGroup]?.reclaim(id)
        }
    }

    /// Releases the result of the slot's final completion.
    private func releaseResult(of s: UnsafeMutablePointer<Slot>) {
        unsafe release(s.pointee.kind, result: s.pointee.result, flags: s.pointee.flags, bufferGroup: s.pointee.bufferGroup)
    }

    /// Releases the multishot completions nobody took before the slot is freed.
    @inline(never)
    private func releaseUntaken(_ s: UnsafeMutablePointer<Slot>) {
        while let record = unsafe s.pointee.more?.popFront() {
            unsafe release(s.pointee.kind, result: record.result, flags: record.flags, bufferGroup: s.pointee.bufferGroup)
        }
    }

    private func requestCancel(_ token: OpToken) {
        let s = unsafe slot(token.index)
        if backlog.isEmpty, prepareCancelInBackend(target: token.userData, userData: token.cancelUserData) {
            unsafe s.pointee.cancel = .submitted
            cancelsInFlight += 1
        } else {
            unsafe s.pointee.cancel = .queued
            backlog.pushBack(token.cancelUserData)
        }
    }

    // MARK: Turning

    /// Submits what is queued, waits up to `waitNanos` for a completion (`0`: don't wait; `nil`:
    /// no limit), and dispatches every completion that arrived. Returns how many arrived.
    // Inlined into `Driver.turn(waitNanos:)`, its one caller.
    @inline(__always)
    @discardableResult
    func turn(waitNanos: Int64?) throws(IOError) -> Int {
        // Nothing submitted, queued or outstanding: no completion can arrive, so a turn that must not
        // wait has nothing to do. Skipping the ring check keeps task-to-task hand-offs cheap.
        if waitNanos == 0 && isQuiescent { return 0 }
        if _slowPath(!backlog.isEmpty) { try moveBacklogOn() }
        let mustNotBlock = operationsInFlight == 0 && cancelsInFlight == 0
        try submitToBackend(waitNanos: mustNotBlock && waitNanos == nil ? 0 : waitNanos)
        let arrived = reapFromBackend()
        // Completions free submission room: with submissions waiting, move them on and reap again.
        if _slowPath(arrived != 0 && !backlog.isEmpty) { return try arrived + reapWhileBacklogged() }
        return arrived
    }

    /// Hands what waits in the backlog to the ring, as far as there is room: handing the queued
    /// entries to the kernel makes room, so the backlog moves on before the turn waits.
    @inline(never)
    private func moveBacklogOn() throws(IOError) {
        retryBacklog()
        guard !backlog.isEmpty else { return }
        try submitToBackend(waitNanos: 0)
        retryBacklog()
    }

    /// Completions arrived while submissions wait in the backlog: moves the backlog on and reaps
    /// again, until no completion arrives or the backlog is empty. Returns how many arrived.
    @inline(never)
    private func reapWhileBacklogged() throws(IOError) -> Int {
        var arrived = 0
        repeat {
            retryBacklog()
            try submitToBackend(waitNanos: 0)
            let n = reapFromBackend()
            arrived += n
            if n == 0 { break }
        } while !backlog.isEmpty
        return arrived
    }

    // The backend calls of a turn, direct when the backend is the ring (see `uring`).
    @inline(__always)
    private func submitToBackend(waitNanos: Int64?) throws(IOError) {
        guard let uring = unsafe uring else { return try backend.submit(waitNanos: waitNanos) }
        // `_withUnsafeGuaranteedRef` rethrows untyped errors: carry the typed one out in a Result.
        let outcome = unsafe uring._withUnsafeGuaranteedRef { ring in
            Result<Void, IOError> { () throws(IOError) in try ring.submit(waitNanos: waitNanos) }
        }
        try outcome.get()
    }

    @inline(__always)
    private func reapFromBackend() -> Int {
        if let uring = unsafe uring { return unsafe uring._withUnsafeGuaranteedRef { $0.reap { self.dispatch($0, $1, $2) } } }
        let backend = self.backend  // a copy: the handler below mutates `self`
        return backend.reap { self.dispatch($0, $1, $2) }
    }

    /// Queues an IORING_OP_ASYNC_CANCEL for the operation tagged `target`.
    private func prepareCancelInBackend(target: UInt64, userData: UInt64) -> Bool {
        var entry = SubmissionEntry()
        unsafe cqu_prep_cancel64(&entry, target, 0)
        if let uring = unsafe uring { return unsafe uring._withUnsafeGuaranteedRef { unsafe $0.prepare(&entry, userData: userData) } }
        return unsafe backend.prepare(&entry, userData: userData)
    }

    private func retryBacklog() {
        while let userData = backlog.popFront() {
            let (token, isCancel) = OpToken.decode(userData)
            guard let s = unsafe lookup(token) else { continue }  // released meanwhile
            if isCancel {
                guard unsafe s.pointee.cancel == .queued, unsafe s.pointee.state == .inFlight else { continue }
                if prepareCancelInBackend(target: token.userData, userData: userData) {
                    unsafe s.pointee.cancel = .submitted
                    cancelsInFlight += 1
                } else {
                    backlog.pushFront(userData)
                    return
                }
            } else if unsafe s.pointee.linkPartner != Slot.none {
                if unsafe !retryLinked(userData, token, s) { return }
            } else {
                guard unsafe s.pointee.state == .backlog else { continue }  // cancelled while waiting
                if push(token) {
                    unsafe s.pointee.state = .inFlight
                    operationsInFlight &+= 1
                } else {
                    backlog.pushFront(userData)
                    return
                }
            }
        }
    }

    @inline(__always)
    private func dispatch(_ userData: UInt64, _ result: Int32, _ flags: UInt32) {
        // SAFETY: `lookup` checks the token's generation, so a stale or foreign completion touches
        // no slot.
        let (token, isCancel) = OpToken.decode(userData)
        if isCancel {
            cancelsInFlight -= 1
            guard let s = unsafe lookup(token), unsafe s.pointee.cancel == .submitted else { staleCompletions += 1; return }
            unsafe s.pointee.cancel = .done
            unsafe s.pointee.cancelResult = result
            if unsafe s.pointee.state == .completed { unsafe settle(token, s) }  // the operation's own completion came first
            return
        }
        guard let s = unsafe lookup(token), unsafe s.pointee.state == .inFlight else {
            staleCompletions += 1
            return
        }
        var result = result, flags = flags
        // One test for the rare flags: the usual completion carries none.
        if _slowPath(flags & UInt32(IORING_CQE_F_BUFFER | IORING_CQE_F_MORE | IORING_CQE_F_NOTIF) != 0) {
            guard let last = unsafe pickedOrMore(s, result, flags) else { return }
            (result, flags) = (last.result, last.flags)
        }
        operationsInFlight &-= 1
        if _slowPath(unsafe s.pointee.registered != 0) { unsafe endRegisteredUse(s) }
        unsafe s.pointee.result = result
        unsafe s.pointee.flags = flags
        unsafe s.pointee.state = .completed
        // One test for the usual case, no cancel requested.
        if _slowPath(unsafe s.pointee.cancel != .none) {
            if unsafe s.pointee.cancel == .queued { unsafe s.pointee.cancel = .none }  // never sent; the backlog skips it
            if unsafe s.pointee.cancel == .submitted { return }  // settled when the cancel's completion arrives
        }
        unsafe settle(token, s)
    }

    /// A completion with IORING_CQE_F_BUFFER, IORING_CQE_F_MORE or IORING_CQE_F_NOTIF: notes the
    /// provided buffer it picked, hands a multishot completion to its owner, and orders a zero-copy
    /// send's two completions. Returns the operation's last completion, or `nil` when the operation
    /// stays in flight and the dispatch is done.
    ///
    /// A zero-copy send completes with its result (IORING_CQE_F_MORE) and then its notification
    /// (IORING_CQE_F_NOTIF), except on the kernel paths that do not order the two: a notification
    /// that comes before any result is kept, and the result that follows is handed over first, so
    /// the owner always sees the result, then the notification as the last completion.
    @inline(never)
    private func pickedOrMore(_ s: UnsafeMutablePointer<Slot>, _ result: Int32, _ flags: UInt32) -> CompletionRecord? {
        if flags & UInt32(IORING_CQE_F_BUFFER) != 0 { unsafe bufferPicked(s, flags) }
        if unsafe flags & UInt32(IORING_CQE_F_NOTIF) != 0 && !s.pointee.deliveredMore {
            unsafe s.pointee.notifiedEarly = true  // the result is still to come
            return nil
        }
        guard flags & UInt32(IORING_CQE_F_MORE) != 0 else { return CompletionRecord(result: result, flags: flags) }
        unsafe deliverMore(s, result, flags)
        guard unsafe s.pointee.notifiedEarly else { return nil }
        return CompletionRecord(result: 0, flags: UInt32(IORING_CQE_F_NOTIF))
    }

    /// The kernel picked a provided buffer for this completion (IORING_CQE_F_BUFFER): the ring
    /// it came from counts it as taken until it is given back.
    @inline(never)
    private func bufferPicked(_ s: UnsafeMutablePointer<Slot>, _ flags: UInt32) {
        unsafe bufferRings[s.pointee.bufferGroup]?.picked(UInt16(truncatingIfNeeded: flags >> UInt32(IORING_CQE_BUFFER_SHIFT)))
    }

    /// One completion of a multishot operation, which stays in flight: kept for its owner (who is
    /// woken, and stays registered), or released at once when the owner dropped it synchronously.
    @inline(never)
    private func deliverMore(_ s: UnsafeMutablePointer<Slot>, _ result: Int32, _ flags: UInt32) {
        // SAFETY: `s` is a live slot in flight; its waker keeps its hold (it is only woken).
        unsafe s.pointee.deliveredMore = true
        if unsafe s.pointee.orphaned {
            unsafe release(s.pointee.kind, result: result, flags: flags, bufferGroup: s.pointee.bufferGroup)
            return
        }
        if unsafe s.pointee.more == nil { unsafe s.pointee.more = RingBuffer(capacity: 16) }
        unsafe s.pointee.more!.pushBack(CompletionRecord(result: result, flags: flags))
        unsafe s.pointee.waker.wake()
    }

    /// The next completion of a multishot operation that arrived with IORING_CQE_F_MORE, if any:
    /// the operation is still in flight. Once none is left and ``isSettled(_:)`` answers `true`, the
    /// final completion is taken with ``take(_:)``.
    func nextMore(_ token: OpToken) -> CompletionRecord? {
        guard let s = unsafe lookup(token) else { return nil }
        return unsafe s.pointee.more?.popFront()
    }

    /// Both completions are in (or no cancel was sent): hand the result to its owner, or, for an
    /// orphan, release it now — the buffer is freed only here, after the kernel is done with it.
    @inline(__always)
    private func settle(_ token: OpToken, _ s: UnsafeMutablePointer<Slot>) {
        // SAFETY: both completions are in, so the kernel no longer refers to the slot's buffer or
        // storage. The waker is moved out before it is woken and let go, so its hold is given up
        // exactly once.
        if unsafe s.pointee.orphaned {
            orphanCount -= 1
            unsafe releaseResult(of: s)
            unsafe releaseSlot(token.index, s)
        } else {
            // Moved out: the owner polls a settled slot without registering again.
            let waker = unsafe s.pointee.waker
            unsafe s.pointee.waker = .none
            unsafe waker.wakeAndLetGo()
        }
    }

    /// The clock of the backend, in nanoseconds.
    @inline(__always)
    func now() -> UInt64 { backend.now() }
}

// MARK: Linked operations

extension DriverHandle {
    /// Starts an operation of `kind` linked to a link timeout of `nanoseconds` (IOSQE_IO_LINK and
    /// IORING_OP_LINK_TIMEOUT): the kernel cancels the operation when the timeout fires first, with
    /// no cancel round trip. The two entries reach the kernel together, one right behind the
    /// other, or both wait in the backlog. Returns the operation's token and the timeout's; each
    /// completes on its own (the timeout with -ETIME when it fired, -ECANCELED otherwise) and `waker`
    /// is woken for each.
    func submitLinked(_ kind: any OperationKind.Type, settles: Bool, buffer: consuming IOBuffer?, waker: HeldWaker,
                      timeoutNanos: UInt64, prepare: (inout SubmissionEntry, borrowing IOBuffer?, OpScratch) -> Void)
        -> (operation: OpToken, timeout: OpToken) {
        // SAFETY: both slots are freshly allocated; each takes its own hold on the waker (the
        // caller keeps the target alive for the call). The entries are the slots' own, their
        // pointers into the slots' buffer and scratch memory, valid until each completion.
        let first = allocateSlot(), second = allocateSlot()
        let a = unsafe slot(first), b = unsafe slot(second)
        unsafe a.pointee.kind = kind
        unsafe a.pointee.settles = settles
        unsafe a.pointee.buffer = buffer
        unsafe b.pointee.kind = IO.LinkTimeout.self
        unsafe b.pointee.settles = false
        unsafe waker.hold()
        unsafe waker.hold()  // one hold per slot
        unsafe a.pointee.waker = waker
        unsafe b.pointee.waker = waker
        unsafe a.pointee.result = 0
        unsafe b.pointee.result = 0
        unsafe a.pointee.flags = 0
        unsafe b.pointee.flags = 0
        let entryA = unsafe entry(first), entryB = unsafe entry(second)
        unsafe prepare(&entryA.pointee, a.pointee.buffer, scratch(first))
        unsafe entryA.pointee.flags |= UInt8(1 << IOSQE_IO_LINK_BIT)
        unsafe a.pointee.bufferGroup = entryA.pointee.buf_group
        unsafe IO.LinkTimeout(nanoseconds: timeoutNanos).prepare(&entryB.pointee, buffer: nil, scratch: scratch(second))
        let tokenA = unsafe OpToken(index: first, generation: a.pointee.generation)
        let tokenB = unsafe OpToken(index: second, generation: b.pointee.generation)
        if backlog.isEmpty, pushLinked(tokenA, tokenB) {
            unsafe a.pointee.state = .inFlight
            unsafe b.pointee.state = .inFlight
            operationsInFlight &+= 2
        } else {
            unsafe a.pointee.state = .backlog
            unsafe b.pointee.state = .backlog
            unsafe a.pointee.linkPartner = second
            backlog.pushBack(tokenA.userData)
        }
        return (tokenA, tokenB)
    }

    /// The head of a linked pair was cancelled before either reached the kernel: its link timeout
    /// never will either, and completes at once with -ECANCELED.
    private func cancelWaitingPartner(_ s: UnsafeMutablePointer<Slot>) {
        // SAFETY: the partner index was set by `submitLinked`; its slot is live until its own
        // completion is taken.
        let partnerIndex = unsafe s.pointee.linkPartner
        unsafe s.pointee.linkPartner = Slot.none
        let partner = unsafe slot(partnerIndex)
        guard unsafe partner.pointee.state == .backlog else { return }
        unsafe partner.pointee.state = .completed
        unsafe partner.pointee.result = -ECANCELED
        unsafe settle(OpToken(index: partnerIndex, generation: partner.pointee.generation), partner)
    }

    /// Hands both prepared entries of a linked pair to the backend, or neither.
    private func pushLinked(_ first: OpToken, _ second: OpToken) -> Bool {
        // SAFETY: the entries are the slots' own, prepared by their kinds (see `push`).
        let a = unsafe entry(first.index), b = unsafe entry(second.index)
        if let uring = unsafe uring {
            return unsafe uring._withUnsafeGuaranteedRef { unsafe $0.prepareLinked(a, userData: first.userData, b, userData: second.userData) }
        }
        return unsafe backend.prepareLinked(a, userData: first.userData, b, userData: second.userData)
    }

    /// Retries a linked pair from the backlog (its head, `token`, at `s`): both go to the kernel, or
    /// the head goes back to the front and `false` says the queue is still full. A pair whose head
    /// was cancelled while waiting completes its timeout at once with -ECANCELED.
    private func retryLinked(_ userData: UInt64, _ token: OpToken, _ s: UnsafeMutablePointer<Slot>) -> Bool {
        // SAFETY: the partner index was set by `submitLinked` and its slot lives until its own
        // completion is taken, which needs it to complete first.
        let partnerIndex = unsafe s.pointee.linkPartner
        let partner = unsafe slot(partnerIndex)
        let partnerToken = unsafe OpToken(index: partnerIndex, generation: partner.pointee.generation)
        guard unsafe s.pointee.state == .backlog else {
            unsafe cancelWaitingPartner(s)
            return true
        }
        guard pushLinked(token, partnerToken) else {
            backlog.pushFront(userData)
            return false
        }
        unsafe s.pointee.linkPartner = Slot.none
        unsafe s.pointee.state = .inFlight
        unsafe partner.pointee.state = .inFlight
        operationsInFlight &+= 2
        return true
    }
}

// MARK: Memory lent beyond the buffer

extension DriverHandle {
    /// Keeps `owner` (the memory an operation lends the kernel beyond its buffer and scratch memory,
    /// ``OperationKind/lentMemory``) with the operation's slot until the slot is freed: after the
    /// completion has arrived, also when the operation was dropped synchronously (an orphan).
    func lend(_ owner: AnyObject, to token: OpToken) {
        guard let s = unsafe lookup(token) else { return }
        unsafe s.pointee.lent = owner
    }
}

/// A settled operation's slot, as ``DriverHandle/settled(_:)`` found it: valid until its
/// completion is taken, which frees the slot.
@safe
struct SettledSlot {
    // SAFETY: made only by `settled(_:)` for a live, settled slot, and used before the same poll
    // takes the completion (the slot is freed then, and the value is not kept).
    let token: OpToken
    let slot: UnsafeMutablePointer<Slot>
}
