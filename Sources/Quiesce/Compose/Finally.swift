/// A future followed by a cleanup future that runs whatever happens: after the future completes
/// (its output is delivered only after the cleanup), and inside the async drop when it is
/// cancelled, timed out or shut down before completing. Built by ``Future/finally(_:)``.
///
/// The cleanup is built by `makeCleanup` when it is due, run to completion and async-dropped. A
/// cleanup that has begun is finished even if the `Finally` is dropped meanwhile. Released
/// synchronously instead (no async drop), the cleanup cannot run; memory safety still holds.
public struct Finally<Inner: Future & ~Copyable, Cleanup: Future & ~Copyable>: Future, ~Copyable {
    @usableFromInline var inner: Optional<Stage<Inner>>
    @usableFromInline var cleanup: Optional<Stage<Cleanup>>
    @usableFromInline var output: Optional<Inner.Output>
    @usableFromInline var makeCleanup: (() -> Cleanup)?

    /// Runs `inner`, then the cleanup `makeCleanup` builds, whatever happens.
    @inlinable
    public init(_ inner: consuming Inner, _ makeCleanup: @escaping () -> Cleanup) {
        self.inner = Stage(inner)
        self.cleanup = nil
        self.output = nil
        self.makeCleanup = makeCleanup
    }

    /// The inner output, once the inner future completed and the cleanup ran.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Inner.Output> {
        if inner != nil {
            guard case .ready(let value) = inner!.poll(&cx) else { return .pending }
            inner = nil
            output = consume value
        }
        guard runCleanup(&cx) else { return .pending }
        return .ready(output.take()!)
    }

    /// Drops the inner future if it is still there, then runs the cleanup (or finishes it).
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if inner != nil {
            guard inner.pollDropReady(&cx).isReady else { return .pending }
            inner = nil
        }
        guard runCleanup(&cx) else { return .pending }
        output = nil
        return .ready(())
    }

    /// Builds the cleanup (once), runs it to completion and drops it; `true` when it is done.
    @inlinable
    mutating func runCleanup(_ cx: inout Context) -> Bool {
        if let make = makeCleanup {
            makeCleanup = nil
            cleanup = Stage(make())
        }
        guard cleanup != nil else { return true }
        guard cleanup!.poll(&cx).isReady else { return false }
        cleanup = nil
        return true
    }
}

extension Future where Self: ~Copyable {
    /// This future, then `cleanup` whatever happens: after completion (the output waits for it),
    /// and inside the async drop if this future is cancelled first.
    ///
    /// ```swift
    /// let served = serve(connection).finally { IO.close(fd) }
    /// ```
    @inlinable
    public consuming func finally<Cleanup: Future & ~Copyable>(
        _ cleanup: @escaping () -> Cleanup
    ) -> Finally<Self, Cleanup> {
        Finally(self, cleanup)
    }
}
