#if canImport(Glibc)
import Glibc
#endif

/// The lifecycle every operation shares, after tokio-uring and monoio: submitted on first poll,
/// ready when its completion arrives, cancelled by an *awaited* async drop, orphaned by a
/// synchronous one.
///
/// - `poll`: submits on the first call (the buffer moves into the driver's slot), then waits for the
///   completion. A read or recv into a buffer with no spare capacity is refused with ENOBUFS (a
///   0-byte read would be indistinguishable from end of file). -EINTR is retried and never reaches
///   the caller. -EAGAIN from a non-blocking descriptor makes a read, write, recv, send, accept or
///   connect wait for readiness through a poll in the ring, then retry; other requests report it.
/// - `pollDropReady`: submits IORING_OP_ASYNC_CANCEL and stays pending until the operation's own
///   completion (and the cancel's) has arrived, whatever it says; a descriptor created anyway (an
///   accept or open that won the race) is closed; only then are buffer and slot released.
/// - `deinit` while in flight: the driver keeps the buffer in its orphan table until the completion.
///
/// Its unsafe storage (the lent memory's unmanaged reference, the driver's pointer) is used only as
/// the SAFETY notes on those fields say, so the type is safe to use.
@safe
public struct OperationCore: ~Copyable {
    @usableFromInline
    enum State: Equatable {
        case idle
        case inFlight(OpToken)
        case awaitingReadiness(OpToken)
        case done
    }

    // The stored fields are declared largest first and the results are kept as plain integers, so
    // that the fields pack without padding: every stage of a composed future holds a whole
    // operation, and moving one moves every byte of it.

    /// The operation's kind: its name, and how the driver settles and releases its completions.
    public let kind: any OperationKind.Type
    /// The buffer, until it moves into the driver's slot (a connect's buffer holds its target address).
    @usableFromInline var buffer: IOBuffer?
    /// Memory the kind lends the kernel beyond the buffer (``OperationKind/lentMemory``), handed to
    /// the driver's slot with each submission. Held unmanaged: a stored `AnyObject?` is destroyed
    /// through the generic value witnesses of `Optional`, at the end of every operation, lent
    /// memory or not; an unmanaged reference is released by `deinit` only when there is one.
    // SAFETY: retained once by `init` and released once by `deinit` (an operation ends only
    // there: it never discards itself); in between it is only borrowed, while this holds it.
    @usableFromInline let lent: Unmanaged<AnyObject>?
    // The driver's logic, a pointer to its state: no reference is held and every call is direct,
    // so a poll costs no retain and release pair and no closure call.
    // SAFETY: the driver outlives every slot: an executor released while any slot is live
    // leaves its driver's state allocated (`Driver.deinit`), and the driver is used only
    // while this operation holds a token. The slot wakers passed to it come from the context of the
    // running poll, whose target is alive while the driver call takes its hold.
    @usableFromInline var driverHandle: DriverHandle?

    /// The driver this operation submitted to (precondition: it did).
    // SAFETY: read only in the states a submission enters, after it has set `driverHandle`.
    @inline(__always)
    private var driver: DriverHandle { unsafe driverHandle.unsafelyUnwrapped }

    @usableFromInline var state: State = .idle
    /// The kind reads its scratch memory back on completion.
    @usableFromInline let settles: Bool
    /// A buffer without spare capacity is refused (the kernel reads into it).
    @usableFromInline let readsIntoBuffer: Bool
    /// ``cancelResult``, or `Int32.min` while unknown (no kernel result is that low).
    private var knownCancelResult = Int32.min
    /// ``finalResult``, or `Int32.min` while unknown.
    private var knownFinalResult = Int32.min
    /// ``retries``.
    private var retryCount: UInt32 = 0
    /// What to wait for before retrying after -EAGAIN. Last: its tag byte ends the value, so the
    /// fields of whatever holds an operation pack behind it.
    @usableFromInline let retryReadiness: Readiness?

    /// The result of the cancel request sent by a drop or ``cancel(_:)``, once known:
    /// 0, -ENOENT or -EALREADY.
    public private(set) var cancelResult: Int32? {
        get { knownCancelResult == .min ? nil : knownCancelResult }
        set { knownCancelResult = newValue ?? .min }
    }
    /// The result of the final completion a cancel or async drop took: -ECANCELED, or the real
    /// result when the operation completed in the race.
    public private(set) var finalResult: Int32? {
        get { knownFinalResult == .min ? nil : knownFinalResult }
        set { knownFinalResult = newValue ?? .min }
    }
    /// Times -EINTR or -EAGAIN made the operation go round again.
    public private(set) var retries: Int {
        get { Int(retryCount) }
        set { retryCount = UInt32(truncatingIfNeeded: newValue) }
    }

    /// An operation of `kind` that will own `buffer` while in flight.
    @inlinable
    public init<Kind: OperationKind>(_ kind: Kind, buffer: consuming IOBuffer? = nil) {
        self.kind = Kind.self
        self.settles = Kind.settlesFromScratch
        self.readsIntoBuffer = kind.readsIntoBuffer
        self.retryReadiness = kind.retryReadiness
        self.buffer = buffer
        unsafe self.lent = unsafe kind.lentMemory.map { unsafe Unmanaged.passRetained($0) }
    }

    /// Fills an operation's submission entry (the kind's ``OperationKind/prepare(_:buffer:scratch:)``).
    public typealias Prepare = (inout SubmissionEntry, borrowing IOBuffer?, OpScratch) -> Void

    deinit {
        switch state {
        case .inFlight(let token), .awaitingReadiness(let token): driver.orphan(token)
        case .idle, .done: break
        }
        if let lent = unsafe lent { unsafe lent.release() }
    }

    /// `true` while the kernel holds the operation.
    public var isInFlight: Bool {
        switch state {
        case .inFlight, .awaitingReadiness: return true
        case .idle, .done: return false
        }
    }

    /// The token of the operation in flight, if any.
    public var token: OpToken? {
        switch state {
        case .inFlight(let token), .awaitingReadiness(let token): return token
        case .idle, .done: return nil
        }
    }

    /// Submits on first call (`prepare` fills the entry); `.ready` with the completion once it has
    /// arrived.
    @inlinable
    public mutating func poll(_ cx: inout Context, prepare: Prepare) -> Poll<Completion> {
        // The two polls of every operation's life, each out of line in a frame of its own (the
        // poll after the wake-up needs few registers, the submission more), chosen where the
        // caller inlines this; the rare paths (a retry, a refusal, misuse) stay apart from both.
        if case .inFlight = state { return pollInFlight(&cx, prepare) }
        return pollFirst(&cx, prepare)
    }

    /// The poll of an operation in flight: `.ready` with its completion once it has settled.
    @usableFromInline
    mutating func pollInFlight(_ cx: inout Context, _ prepare: Prepare) -> Poll<Completion> {
        guard case .inFlight(let token) = state else { return pollInGeneral(&cx, prepare) }
        guard let settled = driver.settled(token) else {
            unsafe driver.register(token, waker: cx.heldWaker)
            return .pending
        }
        // The result is checked in the slot, so the completion is built once, as the poll's value.
        let result = driver.result(of: settled)
        if _slowPath(result < 0 && (result == -EINTR || result == -EAGAIN)) { return retry(driver.take(settled), &cx, prepare) }
        state = .done
        return .ready(driver.take(settled))
    }

    /// The poll of an operation not in flight: submits it when idle (the first poll).
    @usableFromInline
    mutating func pollFirst(_ cx: inout Context, _ prepare: Prepare) -> Poll<Completion> {
        guard case .idle = state, let driver = cx.driverHandle, !(readsIntoBuffer && (buffer?.spareCapacity ?? 0) == 0) else {
            return pollInGeneral(&cx, prepare)
        }
        return submit(to: driver, &cx, prepare)
    }

    /// Hands the request and its buffer to `driver`; the operation is in flight.
    @inline(__always)
    private mutating func submit(to driver: DriverHandle, _ cx: inout Context, _ prepare: Prepare) -> Poll<Completion> {
        driverHandle = driver
        let token = unsafe driver.submit(kind, settles: settles, buffer: buffer.take(), waker: cx.heldWaker, prepare: prepare)
        if let lent = unsafe lent { unsafe driver.lend(lent.takeUnretainedValue(), to: token) }
        state = .inFlight(token)
        return .pending
    }

    /// A completion that asks to go round again: -EINTR is submitted again at once; -EAGAIN from a
    /// non-blocking descriptor first waits for readiness through a poll in the ring.
    @inline(never)
    private mutating func retry(_ completion: consuming Completion, _ cx: inout Context, _ prepare: Prepare) -> Poll<Completion> {
        let result = completion.result
        guard result == -EINTR || retryReadiness != nil else {
            state = .done  // -EAGAIN where no readiness applies: the caller's to see
            return .ready(completion)
        }
        retries += 1
        buffer = completion.buffer.take()
        if result == -EINTR {
            state = .idle
        } else {
            let readiness = IO.PollAdd(fd: retryReadiness!.fd, events: retryReadiness!.events)
            state = unsafe .awaitingReadiness(driver.submit(IO.PollAdd.self, settles: false, buffer: nil, waker: cx.heldWaker) {
                entry, buffer, scratch in readiness.prepare(&entry, buffer: buffer, scratch: scratch)
            })
            return .pending
        }
        return pollInGeneral(&cx, prepare)
    }

    /// Every case, including the rare ones: refusing a read with no room, a poll outside an
    /// executor, waiting for readiness before a retry.
    @inline(never)
    private mutating func pollInGeneral(_ cx: inout Context, _ prepare: Prepare) -> Poll<Completion> {
        while true {
            switch state {
            case .idle:
                // The driver of the executor polling now: after a retry, the one that ran the first
                // attempt may belong to an executor that is gone.
                guard let driver = cx.driverHandle else {
                    state = .done
                    cx.report(Diagnostic(.misuse, "\(kind.name) polled outside an executor: it needs a driver"))
                    return .ready(Completion(result: -ENXIO, flags: 0, buffer: buffer.take()))
                }
                if readsIntoBuffer && (buffer?.spareCapacity ?? 0) == 0 {
                    // The kernel would read 0 bytes and that would look like end of file: refuse instead.
                    state = .done
                    return .ready(Completion(result: -ENOBUFS, flags: 0, buffer: buffer.take()))
                }
                return submit(to: driver, &cx, prepare)
            case .inFlight:
                return poll(&cx, prepare: prepare)  // the common path handles it (a retry comes back here as `.idle`)
            case .awaitingReadiness(let token):
                guard driver.isSettled(token) else {
                    unsafe driver.register(token, waker: cx.heldWaker)
                    return .pending
                }
                let readiness = driver.take(token)
                if readiness.result < 0 && readiness.result != -EINTR && readiness.result != -EAGAIN {
                    state = .done
                    return .ready(Completion(result: readiness.result, flags: 0, buffer: buffer.take()))
                }
                state = .idle
            case .done:
                preconditionFailure("\(kind.name) polled after it completed or after its drop began")
            }
        }
    }

    /// One step of a multishot operation (a stream over one slot): submits on first call (and
    /// again after a final completion, to re-arm); then each completion that arrived with
    /// IORING_CQE_F_MORE in order (the operation stays in flight), and at last the final one, after
    /// which the operation is idle and the next call submits it again.
    public mutating func pollStream(_ cx: inout Context, prepare: Prepare) -> StreamStep {
        switch state {
        case .inFlight(let token):
            if let record = driver.nextMore(token) { return .more(result: record.result, flags: record.flags) }
            guard let completion = driver.takeIfSettled(token) else {
                unsafe driver.register(token, waker: cx.heldWaker)
                return .pending
            }
            state = .idle
            return .final(completion)
        case .idle:
            guard let driver = cx.driverHandle else {
                state = .done
                cx.report(Diagnostic(.misuse, "\(kind.name) polled outside an executor: it needs a driver"))
                return .final(Completion(result: -ENXIO, flags: 0, buffer: buffer.take()))
            }
            _ = submit(to: driver, &cx, prepare)
            return .pending
        case .awaitingReadiness, .done:
            preconditionFailure("\(kind.name) polled after it ended or after its drop began")
        }
    }

    /// Marks an operation driven by ``pollStream(_:prepare:)`` as done after its last completion:
    /// it is not submitted again.
    public mutating func finish() { state = .done }

    /// Cancels the operation and waits until its own completion has arrived; `.ready` with that
    /// completion: -ECANCELED, or the real result when the operation won the race. The caller owns
    /// whatever it carries (a descriptor that was opened anyway is the caller's to close).
    public mutating func cancel(_ cx: inout Context) -> Poll<Completion> {
        switch state {
        case .idle, .done:
            state = .done
            return .ready(Completion(result: -ECANCELED, flags: 0, buffer: buffer.take()))
        case .inFlight(let token), .awaitingReadiness(let token):
            guard unsafe driver.cancel(token, waker: cx.heldWaker) else { return .pending }
            cancelResult = driver.cancelResult(token)
            var completion = driver.take(token)
            finalResult = completion.result
            let wasReadinessPoll = state != .inFlight(token)
            state = .done
            if wasReadinessPoll {
                return .ready(Completion(result: -ECANCELED, flags: 0, buffer: buffer.take()))
            }
            // Interrupted or would-block in the race: it did nothing, which for the canceller is "cancelled".
            let interrupted = completion.result == -EINTR || completion.result == -EAGAIN
            return .ready(Completion(result: interrupted ? -ECANCELED : completion.result, flags: completion.flags,
                                     buffer: completion.buffer.take(), bufferGroup: completion.bufferGroup))
        }
    }

    /// Cancels the operation if it is in flight and is ready once nothing of it is in flight; a
    /// result that must not leak (a descriptor from a successful accept or open) is closed.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        // Completed, its buffer handed over with the output: nothing to do, the common case once a
        // composed future's stage is done.
        if case .done = state, buffer.isNone { return .ready(()) }
        return pollDropReadyOutOfLine(&cx)
    }

    /// ``pollDropReady(_:)`` for every other case.
    @usableFromInline
    mutating func pollDropReadyOutOfLine(_ cx: inout Context) -> Poll<Void> {
        // Never submitted, or completed: nothing is in flight; a buffer it still holds is released.
        if case .done = state { buffer = nil; return .ready(()) }
        if case .idle = state { state = .done; buffer = nil; return .ready(()) }
        let wasMain: Bool
        if case .inFlight = state { wasMain = true } else { wasMain = false }
        guard case .ready(let completion) = cancel(&cx) else { return .pending }
        if wasMain { driver.release(kind, result: completion.result, flags: completion.flags, bufferGroup: completion.bufferGroup) }
        return .ready(())
    }
}
