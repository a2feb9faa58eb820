import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A multishot operation as a stream: one submission, many completions, each an element.
///
/// It submits on the first ``pollNext(_:)`` and yields each completion's element in order. When the
/// kernel ends the operation on its own (a final completion without IORING_CQE_F_MORE, as after a
/// completion queue overflow) it is submitted again; when its provided buffers run out (-ENOBUFS) it
/// waits until a buffer comes back, then re-arms (it never spins). An error ends the stream after
/// yielding it; so does a kind's end result (a receive's 0).
///
/// Its async drop cancels it and waits for the final completion; elements that arrive meanwhile, and
/// any not taken, are released as a cancelled result is (accepted descriptors closed, provided
/// buffers given back). Its synchronous drop leaves that to the driver.
///
/// ```swift
/// var connections = IO.acceptMultishot(listener)
/// // in a poll: while case .ready(let next?) = connections.pollNext(&cx) { serve(try next.get()) }
/// ```
public struct MultishotOperation<Kind: MultishotKind>: Stream, ~Copyable {
    /// What the operation asks of the kernel.
    public let kind: Kind
    /// The shared lifecycle: submission, completions, cancellation, orphaning.
    public var core: OperationCore
    @usableFromInline var ended = false
    /// Ended with -ENOBUFS: re-armed only once a buffer is back.
    @usableFromInline var waitingForBuffers = false

    /// A multishot operation of `kind`.
    @inlinable
    public init(_ kind: Kind) {
        self.kind = kind
        self.core = OperationCore(kind)
    }

    /// The next element, `nil` once the stream ended, or `.pending`.
    @inlinable
    public mutating func pollNext(_ cx: inout Context) -> Poll<Kind.Element?> {
        let kind = self.kind
        if waitingForBuffers {
            if kind.waitForBuffers(cx.waker) { return .pending }
            waitingForBuffers = false
        }
        while !ended {
            switch core.pollStream(&cx, prepare: { entry, buffer, scratch in kind.prepare(&entry, buffer: buffer, scratch: scratch) }) {
            case .pending:
                return .pending
            case .more(let result, let flags):
                return .ready(kind.element(result: result, flags: flags))
            case .final(let completion):
                let result = completion.result
                if result == -EINTR || result == -EAGAIN { continue }  // did nothing: re-arm
                if result == -ENOBUFS {
                    if kind.waitForBuffers(cx.waker) {
                        waitingForBuffers = true
                        return .pending
                    }
                    continue
                }
                if result < 0 || kind.ends(result: result) { ended = true }
                if result >= 0 && kind.ends(result: result) { return .ready(nil) }
                return .ready(kind.element(result: result, flags: completion.flags))
            }
        }
        return .ready(nil)
    }

    /// Cancels the operation if in flight and waits for its final completion.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { core.pollDropReady(&cx) }

    /// `true` while the kernel holds the operation.
    public var isInFlight: Bool { core.isInFlight }
}
