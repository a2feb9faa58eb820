import CQuiesceUring
import Synchronization

/// A problem the library reports rather than crashing on: a cleanup error from a drop, a contract
/// violation found by a debug check, operations left to the kernel at a shutdown deadline.
public struct Diagnostic: Sendable, CustomStringConvertible {
    /// What kind of problem this is.
    public enum Kind: Sendable, Equatable {
        /// A cleanup step failed while a value was being dropped (e.g. a flush or close error).
        case dropError
        /// `pollDropReady` returned `.pending` after it had returned `.ready` (debug builds check this).
        case notFused
        /// Work was left in flight when a shutdown deadline passed; it is orphaned, never freed early.
        case orphanedAtShutdown
        /// A programming error that was caught instead of hanging (e.g. a `blockOn` inside a poll).
        case misuse
        /// Accepting connections failed for a reason that may pass (out of descriptors or memory):
        /// the accepting service pauses and retries, and reports at a bounded rate.
        case acceptFailed
        /// A value's async drop could not run (for example a ``DropInBackground`` released after its
        /// executor was gone), so it was released synchronously: memory-safe, but its asynchronous
        /// cleanup (a flush, say) was skipped.
        case droppedSynchronously
        /// An operation was released synchronously while in flight, outside a shutdown (debug
        /// builds check this): the usual sign of a missing glue line. Memory-safe (the driver keeps
        /// its buffer and cancels it), but the operation was not awaited.
        case orphaned
        /// The kernel refused io_uring setup flags that were asked for (an older kernel, or `SQPOLL`
        /// without the privilege): the ring runs without them. ``UringBackend/setup`` lists the
        /// flags in effect.
        case ringSetupFallback
    }

    /// What kind of problem this is.
    public var kind: Kind
    /// A readable account of it.
    public var message: String

    /// Creates a diagnostic.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `quiesce: <kind>: <message>`.
    public var description: String { "quiesce: \(kind): \(message)" }
}

/// Where diagnostics go when no executor is at hand (a value polled by hand, a drop outside a loop).
///
/// The default prints to standard error. Executors have their own hook (``Executor/diagnosticHandler``),
/// which starts as this one.
public enum Diagnostics {
    private static let handler = Mutex<@Sendable (Diagnostic) -> Void>(Diagnostics.printToStandardError)

    /// Replaces the process-wide handler.
    public static func setHandler(_ body: @escaping @Sendable (Diagnostic) -> Void) {
        handler.withLock { $0 = body }
    }

    /// Sends `diagnostic` to the process-wide handler.
    public static func report(_ diagnostic: Diagnostic) {
        let body = handler.withLock { $0 }
        body(diagnostic)
    }

    /// The default handler: one line on standard error.
    @Sendable
    public static func printToStandardError(_ diagnostic: Diagnostic) {
        // Standard error is unbuffered: the line is out before the call returns.
        _ = unsafe cqu_fputs_stderr(diagnostic.description + "\n")
    }
}

#if canImport(Glibc)
import Glibc
#endif
