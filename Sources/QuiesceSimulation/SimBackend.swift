import Quiesce
import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A deterministic, in-memory kernel behind the same ``Driver`` the io_uring backend uses: pipes,
/// sockets, listeners, files and timeouts on a virtual clock.
///
/// One seed decides every choice: which ready completions are posted and reaped and in what order,
/// whether a completion beats its cancellation, and which faults happen (see ``SimFaults``).
///
/// ```swift
/// let sim = SimBackend(seed: 42)
/// let executor = Executor(backend: sim)
/// let (r, w) = sim.makePipe()
/// sim.schedule(after: 1_000) { $0.inject(Array("hi".utf8), into: r) }
/// ```
///
/// Simulated descriptors start at ``firstDescriptor`` so they never collide with real ones. The
/// backend also checks the driver: it records a ``violations`` entry when a buffer is freed while its
/// operation is in flight (with ``watchBuffers()``), when a `user_data` is reused while in flight,
/// when the driver closes a descriptor that is not open, when it is closed with work in flight, when
/// memory the kernel writes is lent to two operations at once, and when registered buffers or files
/// are unregistered (or a registered buffer is lent again) while an operation uses them.
@safe
public final class SimBackend: IOBackend {
    // SAFETY: The regions in `inFlight` and `pending` are the driver's, valid until their
    // completion is reaped (the ``IOBackend`` contract); the simulation touches them only before it
    // posts that completion, and never once their memory was freed (`freedRegions`). `liveBuffers`
    // keeps addresses only to compare them, never to dereference them.
    /// The first simulated descriptor number: far above any real descriptor.
    public static let firstDescriptor: Int32 = 1_000_000

    /// The seed every decision derives from.
    public let seed: UInt64
    /// The fault plan; tests may change it between steps.
    public var faults: SimFaults
    /// What the simulation did so far.
    public internal(set) var statistics = SimStatistics()
    /// Problems found in the driver's use of the kernel; empty when all is well.
    public internal(set) var violations: [String] = []
    /// How many submissions fit in the submission queue before `prepare` flushes it.
    public let queueCapacity: Int

    var rng: SimRandom
    var clock: UInt64 = 1_000_000_000
    var sq: [SimSubmission] = []
    var pending: [SimOp] = []
    var cq: [SimCompletion] = []
    /// Every `user_data` from `prepare` until its completion is reaped, with the memory it may touch.
    var inFlight: [UInt64: UnsafeMutableRawBufferPointer?] = unsafe [:]
    var descriptors: [Int32: SimDescriptor] = [:]
    var nextDescriptor = SimBackend.firstDescriptor
    var listeners: [UInt16: SimListener] = [:]
    var files: [String: SimFile] = [:]
    var script: [(time: UInt64, order: Int, action: (SimBackend) -> Void)] = []
    var scriptOrder = 0
    /// The registered file table (IOSQE_FIXED_FILE names its entries by index), and the registered
    /// buffers' count (see `SimRegistered`).
    var fixedFiles: [Int32]?
    var fixedBufferCount: Int?
    var queueFullFor = 0
    var rejectedSinceSubmit = false
    var liveBuffers = unsafe Set<UnsafeMutableRawPointer>()
    /// Operations whose memory was freed under them (a violation already recorded): never touched.
    var freedRegions = Set<UInt64>()
    /// Provided-buffer rings, by group: the buffers the kernel may pick, in the order given.
    var providedBuffers: [UInt16: SimBufferRing] = [:]
    /// Link timeouts, by the `user_data` of the operation each is linked to (see `SimLinks`).
    var linkTimeouts: [UInt64: SimLinkTimeout] = [:]
    /// `true` after ``close()``.
    public private(set) var isClosed = false

    /// A simulation decided by `seed`. `faults` defaults to rates the seed picks
    /// (``SimFaults/random(_:)``); pass ``SimFaults/none`` for a well-behaved kernel.
    public init(seed: UInt64, faults: SimFaults? = nil, queueCapacity: Int = 16) {
        self.seed = seed
        var rng = SimRandom(seed: seed)
        var faultRNG = rng.fork()
        self.faults = faults ?? SimFaults.random(&faultRNG)
        self.rng = rng
        self.queueCapacity = max(queueCapacity, 1)
    }

    deinit { stopWatchingBuffers() }

    func violation(_ text: String) { violations.append(text) }

    /// Where a step-by-step account of the simulation goes (`nil`: nowhere). For replaying a seed.
    public var trace: ((String) -> Void)?

    func log(_ text: @autoclosure () -> String) {
        if let trace { trace("[t=\(clock)] " + text()) }
    }

    // MARK: IOBackend

    /// Queues the entry in the simulated submission queue (an IORING_OP_ASYNC_CANCEL as a cancel
    /// request); `false` while a fault keeps the queue full.
    public func prepare(_ entry: UnsafePointer<SubmissionEntry>, userData: UInt64) -> Bool {
        let (request, region) = unsafe decodeResolvingFixedFile(entry)
        if case .cancel(let target) = request {
            guard roomInQueue() else { return false }
            if unsafe inFlight[userData] != nil { violation("cancel user_data \(userData) reused while in flight") }
            unsafe inFlight[userData] = unsafe .some(nil)
            log("prepare cancel of \(OpToken.decode(target).token)")
            sq.append(.cancel(target: target, userData: userData))
            statistics.cancelsPrepared += 1
            return true
        }
        guard roomInQueue() else { return false }
        if unsafe inFlight[userData] != nil { violation("user_data \(userData) reused while its operation is in flight") }
        unsafe inFlight[userData] = unsafe region
        var op = unsafe SimOp(userData: userData, request: request, region: region)
        unsafe noteRegisteredUse(entry, of: &op)
        op.span = Self.memorySpan(op)
        log("prepare \(op.name) \(OpToken.decode(userData).token)")
        checkSharedMemory(op)
        sq.append(.operation(op))
        statistics.prepared += 1
        return true
    }

    // A full queue is flushed to the kernel, as the real backend does; a fault makes it stay full
    // until the next submit (the kernel has not consumed it yet).
    private func roomInQueue() -> Bool {
        if isClosed { violation("prepare after the backend was closed"); return false }
        if faults.rejectNextPrepares > 0 {
            faults.rejectNextPrepares -= 1
            return reject()
        }
        if queueFullFor > 0 { return reject() }
        if rng.chance(faults.queueFull) {
            queueFullFor = 1
            return reject()
        }
        if sq.count >= queueCapacity { consumeSubmissions() }
        return true
    }

    private func reject() -> Bool {
        log("submission queue full")
        statistics.queueFullRejections += 1
        rejectedSinceSubmit = true
        return false
    }

    /// Hands the queue to the simulated kernel and completes what can complete; when told to wait and
    /// nothing can complete, moves the virtual clock to the next event. Throws EDEADLK instead of
    /// waiting forever when nothing could ever complete (the real program would hang).
    public func submit(waitNanos: Int64?) throws(IOError) {
        log("submit, wait \(waitNanos.map(String.init) ?? "forever")")
        if let errno = faults.failNextSubmit {
            faults.failNextSubmit = nil
            statistics.failedSubmits += 1
            throw IOError(errno: errno, operation: "io_uring_enter (simulated)")
        }
        queueFullFor = 0
        consumeSubmissions()
        produceCompletions(mustProduce: false)
        if waitNanos == 0 || !cq.isEmpty { return }
        // Submissions were refused since the last submit: the caller has more to hand over now that
        // the queue is free, so the wait ends at once (as after a real flush).
        if rejectedSinceSubmit { rejectedSinceSubmit = false; return }
        let limit = waitNanos.map { clock &+ UInt64($0) }
        while cq.isEmpty {
            if produceCompletions(mustProduce: true) > 0 { break }
            let next = nextEventTime()
            if let next, limit.map({ next <= $0 }) ?? true {
                advanceClock(to: next)
                continue
            }
            if let limit {
                advanceClock(to: limit)
                produceCompletions(mustProduce: false)
                return
            }
            statistics.stalls += 1
            throw IOError(errno: EDEADLK, operation: "simulated wait",
                          remedy: "nothing in flight can ever complete (blocked: \(pending.map { "\($0.request.name) \(OpToken.decode($0.userData).token)" }.joined(separator: ", ")); no timer, no scripted event): the program would hang here")
        }
        rejectedSinceSubmit = false
    }

    /// Delivers posted completions to the driver: all of them, or a seed-chosen prefix.
    public func reap(_ handler: (UInt64, Int32, UInt32) -> Void) -> Int {
        guard !cq.isEmpty else { return 0 }
        var count = cq.count
        if count > 1 && rng.chance(faults.partialReap) { count = rng.pick(1...count - 1) }
        let batch = cq.prefix(count)
        cq.removeFirst(count)
        for completion in batch {
            unsafe inFlight[completion.userData] = nil
            statistics.completionsReaped += 1
            log("reap \(OpToken.decode(completion.userData).token)\(completion.userData & (1 << 63) != 0 ? " (cancel)" : "")")
            handler(completion.userData, completion.result, completion.flags)
        }
        return count
    }

    /// The virtual clock, in nanoseconds.
    public func now() -> UInt64 { clock }

    /// Marks the backend closed; records a violation if anything was still outstanding.
    public func close() {
        let outstanding = sq.count + pending.count + cq.count
        if outstanding > 0 { violation("backend closed with \(outstanding) submission(s) or completion(s) outstanding") }
        isClosed = true
    }

    /// Closes a simulated descriptor for the driver; records a violation if it was not open.
    public func closeDescriptor(_ fd: Int32) {
        statistics.descriptorsClosedByDriver += 1
        guard let descriptor = descriptors[fd], descriptor.isOpen else {
            violation("driver closed descriptor \(fd), which is not open")
            return
        }
        descriptor.close()
    }

    // MARK: The simulated kernel

    /// Moves the submission queue into the kernel, in order.
    func consumeSubmissions() {
        let batch = sq
        sq.removeAll(keepingCapacity: true)
        for submission in batch {
            switch submission {
            case .operation(var op):
                if let error = registeredBufferError(op) {
                    post(op.userData, error)
                    continue
                }
                if let fd = op.request.descriptor {
                    guard let descriptor = descriptors[fd], descriptor.isOpen else {
                        post(op.userData, -EBADF)
                        continue
                    }
                    op.target = descriptor
                }
                if case .timeout(let nanoseconds) = op.request { op.deadline = clock &+ nanoseconds }
                if !linkTimeouts.isEmpty { startLink(of: op.userData) }
                switch op.request {
                case .close, .cancelFD, .unsupported:
                    post(op.userData, perform(op))  // done inline during the submit, as the kernel does
                default:
                    pending.append(op)
                }
            case .cancel(let target, let userData):
                processCancel(target: target, userData: userData)
            }
        }
    }

    private func processCancel(target: UInt64, userData: UInt64) {
        guard let index = pending.firstIndex(where: { $0.userData == target }), !pending[index].running else {
            let running = pending.contains { $0.userData == target }
            if running { statistics.cancelsAlready += 1 } else { statistics.cancelsTooLate += 1 }
            post(userData, running ? -EALREADY : -ENOENT)
            return
        }
        var outcome: SimCancelOutcome
        if !faults.forcedCancelOutcomes.isEmpty {
            outcome = faults.forcedCancelOutcomes.removeFirst()
        } else if rng.chance(faults.completionBeatsCancel) {
            outcome = .completionWins
        } else if rng.chance(faults.cancelAlready) {
            outcome = .alreadyRunning
        } else {
            outcome = .cancelled
        }
        if outcome == .completionWins && !canComplete(pending[index]) { outcome = .cancelled }
        if case .sendZC = pending[index].request {
            // One completion was posted: only the other is left, which the cancel cannot stop.
            if pending[index].notifying {
                statistics.cancelsTooLate += 1
                post(userData, -ENOENT)
                return
            }
            if outcome == .completionWins {
                let step = performStep(&pending[index])
                post(pending[index].userData, step.result, flags: step.flags)
                if !step.more { pending.remove(at: index) }
                statistics.cancelsTooLate += 1
                post(userData, -ENOENT)
                return
            }
            let op = pending.remove(at: index)
            statistics.cancelsSucceeded += 1
            statistics.cancelledByName[op.name, default: 0] += 1
            post(userData, 0)
            post(op.userData, -ECANCELED)
            return
        }
        if pending[index].request.isMultishot {
            // A multishot operation is armed, never running: the cancel finds it. An element may
            // still beat the cancel; the final completion is -ECANCELED either way.
            if outcome == .completionWins {
                let step = performStep(&pending[index])
                post(pending[index].userData, step.result, flags: step.flags)
                statistics.multishotCancelRaces += 1
                if !step.more {
                    pending.remove(at: index)
                    statistics.cancelsTooLate += 1
                    post(userData, -ENOENT)
                    return
                }
            }
            cancelPending(at: index, cancelUserData: userData)
            return
        }
        switch outcome {
        case .completionWins:
            let op = pending.remove(at: index)
            post(op.userData, perform(op))
            statistics.cancelsTooLate += 1
            post(userData, -ENOENT)
        case .alreadyRunning:
            pending[index].running = true
            statistics.cancelsAlready += 1
            post(userData, -EALREADY)
        case .cancelled:
            cancelPending(at: index, cancelUserData: userData)
        }
    }

    /// The cancel tagged `cancelUserData` found the pending operation at `index`: it completes
    /// with -ECANCELED and the cancel with 0, the two completions in either order.
    private func cancelPending(at index: Int, cancelUserData userData: UInt64) {
        let op = pending.remove(at: index)
        statistics.cancelsSucceeded += 1
        statistics.cancelledByName[op.name, default: 0] += 1
        if rng.chance(500) {
            post(op.userData, -ECANCELED); post(userData, 0)
        } else {
            post(userData, 0); post(op.userData, -ECANCELED)
        }
    }

    func post(_ userData: UInt64, _ result: Int32, flags: UInt32 = 0) {
        if !linkTimeouts.isEmpty, flags & UInt32(IORING_CQE_F_MORE) == 0 { finishLink(of: userData, result) }
        log("complete \(userData & (1 << 63) != 0 ? "cancel of " : "")\(OpToken.decode(userData).token): \(result)\(flags & UInt32(IORING_CQE_F_MORE) != 0 ? " (more)" : "")")
        cq.append(SimCompletion(userData: userData, result: result, flags: flags))
        statistics.completionsPosted += 1
    }

    /// Completes pending operations that can complete, in an order the seed picks; some are held
    /// back for a later call. With `mustProduce`, at least one completes if any can.
    @discardableResult
    func produceCompletions(mustProduce: Bool) -> Int {
        guard !pending.isEmpty else { return 0 }
        var order = pending.map(\.userData)
        order.shuffle(using: &rng)
        var produced = linkTimeouts.isEmpty ? 0 : expireLinkTimeouts()
        for userData in order {
            guard let index = pending.firstIndex(where: { $0.userData == userData }) else { continue }
            guard canComplete(pending[index]) else { continue }
            if !(mustProduce && produced == 0) && rng.chance(faults.delayCompletion) { continue }
            if pending[index].request.completesManyTimes {
                let step = performStep(&pending[index])
                if !step.more { pending.remove(at: index) }
                post(userData, step.result, flags: step.flags)
                produced += 1
                continue
            }
            let op = pending.remove(at: index)
            post(op.userData, perform(op))
            produced += 1
        }
        return produced
    }

    private func nextEventTime() -> UInt64? {
        var next = script.first?.time
        if let link = nextLinkDeadline() { next = min(next ?? link, link) }
        for op in pending {
            if case .timeout = op.request, !op.running { next = min(next ?? op.deadline, op.deadline) }
        }
        return next
    }

    func advanceClock(to time: UInt64) {
        if time > clock { clock = time; statistics.clockAdvances += 1 }
        while let first = script.first, first.time <= clock {
            script.removeFirst()
            first.action(self)
        }
    }
}
