#if canImport(Glibc)
import Glibc
#endif

/// An owned file descriptor, closed exactly once: through the ring by its async drop, by an
/// explicit ``Socket/close()`` / ``File/close()`` that returns the error, or synchronously by its
/// `deinit` when neither ran.
///
/// Closing does not cancel operations still in flight on the descriptor (the kernel keeps its own
/// reference): drop them first, which is what declaring them before the descriptor in a type's
/// fields and glue does.
public struct OwnedDescriptor: AsyncDroppable, ~Copyable {
    /// The descriptor number, for calls the library does not wrap. It stays owned by this value.
    public let raw: Int32
    /// The close submitted through the ring, while it is in flight.
    @usableFromInline var closing: CloseOp?
    /// `true` once a close was handed to the kernel (through the ring or directly).
    @usableFromInline var isClosed = false

    /// Takes ownership of `raw`, which nobody else may close.
    public init(adopting raw: Int32) {
        self.raw = raw
        self.closing = nil
    }

    deinit {
        // A close in flight (an async drop cut short) completes in the driver, which keeps the
        // operation as an orphan: closing again here could close a reused number.
        if !isClosed && closing == nil { _ = Glibc.close(raw) }
    }

    /// Closes through the ring (synchronously when polled outside an executor); `.ready` with the
    /// close's result once the kernel has answered. Fused: later calls answer `.success`.
    @usableFromInline
    mutating func pollClose(_ cx: inout Context) -> Poll<Result<Void, IOError>> {
        if isClosed && closing == nil { return .ready(.success(())) }
        if closing == nil {
            guard cx.executor != nil else {
                isClosed = true
                return .ready(Glibc.close(raw) == 0 ? .success(()) : .failure(IOError(errno: errno, operation: "close")))
            }
            closing = IO.close(raw)
            isClosed = true
        }
        guard case .ready(let result) = closing!.poll(&cx) else { return .pending }
        closing = nil
        return .ready(result)
    }

    /// Closes the descriptor through the ring; a failure goes to the executor's diagnostics as a
    /// ``Diagnostic/Kind/dropError``.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard case .ready(let result) = pollClose(&cx) else { return .pending }
        if case .failure(let error) = result {
            cx.report(Diagnostic(.dropError, "closing descriptor \(raw): \(error)"))
        }
        return .ready(())
    }
}

/// The future of an explicit close: the descriptor's close result. Built by ``Socket/close()`` and
/// ``File/close()``. Dropped before it was polled, it still closes the descriptor (through the ring
/// in its async drop, synchronously otherwise).
public struct CloseDescriptor: Future, ~Copyable {
    @usableFromInline var descriptor: OwnedDescriptor

    /// Closes `descriptor`.
    public init(_ descriptor: consuming OwnedDescriptor) { self.descriptor = descriptor }

    /// The close's result.
    public mutating func poll(_ cx: inout Context) -> Poll<Result<Void, IOError>> { descriptor.pollClose(&cx) }

    /// Finishes (or starts) the close.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { descriptor.pollDropReady(&cx) }
}
