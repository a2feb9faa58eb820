import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// An operation with a deadline the kernel enforces: the operation is submitted linked to a link
/// timeout (IOSQE_IO_LINK + IORING_OP_LINK_TIMEOUT), so when the deadline passes first the kernel
/// cancels it without a separate cancel round trip. Made by ``IOOperation/withDeadline(nanoseconds:)``.
///
/// Ready once both completions arrived, with the operation's output; when the deadline fired, that
/// output carries ETIME (and, for buffer operations, the buffer). Its async drop cancels the
/// operation and waits for both completions; its synchronous drop leaves both with the driver.
/// -EINTR and -EAGAIN are reported as they are, not retried.
///
/// ```swift
/// var read = IO.read(fd, into: IOBuffer(capacity: 4096)).withDeadline(nanoseconds: 5_000_000)
/// // poll it: a read that got no data within 5 ms completes with ETIME and hands the buffer back
/// ```
public struct LinkedDeadline<Kind: OperationKind>: Future, ~Copyable {
    /// What the operation asks of the kernel.
    public let kind: Kind
    /// The deadline, from the operation's start.
    public let nanoseconds: UInt64
    @usableFromInline var buffer: IOBuffer?
    // SAFETY: the driver outlives every slot (see `OperationCore.driverHandle`); it is used only
    // while this value holds a token.
    var driver: DriverHandle?
    var operation: OpToken?
    var timeout: OpToken?
    var completion: Completion?
    var fired: Bool?
    var submitted = false

    /// `operation`'s kind and buffer, to run with a deadline.
    @usableFromInline
    init(kind: Kind, buffer: consuming IOBuffer?, nanoseconds: UInt64) {
        self.kind = kind
        self.buffer = buffer
        self.nanoseconds = nanoseconds
    }

    deinit {
        if let driver {
            if let operation { driver.orphan(operation) }
            if let timeout { driver.orphan(timeout) }
        }
    }

    /// `true` once the deadline fired (the link timeout completed with -ETIME); `nil` until known.
    public var deadlinePassed: Bool? { fired }

    /// Submits both on first poll; ready with the operation's output once both completions arrived.
    public mutating func poll(_ cx: inout Context) -> Poll<Kind.Output> {
        if !submitted {
            submitted = true
            guard let driver = cx.driverHandle else {
                cx.report(Diagnostic(.misuse, "\(Kind.name) polled outside an executor: it needs a driver"))
                return .ready(kind.output(Completion(result: -ENXIO, flags: 0, buffer: buffer.take())))
            }
            if kind.readsIntoBuffer && (buffer?.spareCapacity ?? 0) == 0 {
                return .ready(kind.output(Completion(result: -ENOBUFS, flags: 0, buffer: buffer.take())))
            }
            self.driver = driver
            let kind = self.kind
            let tokens = unsafe driver.submitLinked(Kind.self, settles: Kind.settlesFromScratch, buffer: buffer.take(),
                                                    waker: cx.heldWaker, timeoutNanos: nanoseconds) {
                entry, buffer, scratch in kind.prepare(&entry, buffer: buffer, scratch: scratch)
            }
            // Memory lent beyond the buffer stays with the operation's slot until the kernel is done.
            if let lent = kind.lentMemory { driver.lend(lent, to: tokens.operation) }
            operation = tokens.operation
            timeout = tokens.timeout
            return .pending
        }
        guard let driver else { preconditionFailure("\(Kind.name) with a deadline polled after it completed") }
        if let token = operation, let taken = driver.takeIfSettled(token) {
            completion = consume taken
            operation = nil
        }
        if let token = timeout, let taken = driver.takeIfSettled(token) {
            fired = taken.result == -ETIME
            timeout = nil
        }
        if let token = operation { unsafe driver.register(token, waker: cx.heldWaker) }
        if let token = timeout { unsafe driver.register(token, waker: cx.heldWaker) }
        guard operation == nil, timeout == nil, var done = completion.take() else { return .pending }
        let timedOut = fired == true && done.result == -ECANCELED
        return .ready(kind.output(Completion(result: timedOut ? -ETIME : done.result, flags: done.flags,
                                             buffer: done.buffer.take(), bufferGroup: done.bufferGroup)))
    }

    /// Cancels the operation if in flight and waits for both completions; a result that must not
    /// leak (a descriptor an accept or open created anyway) is released.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard let driver else { return .ready(()) }
        if let token = operation {
            guard unsafe driver.cancel(token, waker: cx.heldWaker) else { return .pending }
            let taken = driver.take(token)
            operation = nil
            driver.release(Kind.self, result: taken.result, flags: taken.flags, bufferGroup: taken.bufferGroup)
        }
        if let token = timeout {
            guard let taken = driver.takeIfSettled(token) else {
                unsafe driver.register(token, waker: cx.heldWaker)
                return .pending
            }
            fired = taken.result == -ETIME
            timeout = nil
        }
        if var done = completion.take() {
            driver.release(Kind.self, result: done.result, flags: done.flags, bufferGroup: done.bufferGroup)
            _ = done.buffer.take()
        }
        return .ready(())
    }
}

extension IOOperation {
    /// This operation with a deadline the kernel enforces (a link timeout): when `nanoseconds` pass
    /// before it completes, the kernel cancels it and its output carries ETIME. Call before the
    /// first poll.
    public consuming func withDeadline(nanoseconds: UInt64) -> LinkedDeadline<Kind> {
        precondition(!core.isInFlight, "withDeadline(nanoseconds:) on an operation already submitted")
        let kind = self.kind
        var core = self.core
        return LinkedDeadline(kind: kind, buffer: core.buffer.take(), nanoseconds: nanoseconds)
    }
}
