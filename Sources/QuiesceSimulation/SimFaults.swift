import Quiesce
/// The fault plan of a simulation: how often each fault happens (per mille), plus one-shot faults a
/// test scripts for a precise scenario. The seed picks the rates in ``random(_:)``; every individual
/// fault is then a draw of the simulation's generator, so it replays exactly.
public struct SimFaults: Sendable, Equatable {
    /// A read, write, recv or send moves fewer bytes than it could.
    public var shortTransfer = 0
    /// An operation answers -EAGAIN (the operation then waits for readiness and retries).
    public var eagain = 0
    /// An operation answers -EINTR (the operation retries).
    public var eintr = 0
    /// An operation answers -ENOMEM.
    public var enomem = 0
    /// A socket operation answers -ECONNRESET.
    public var connectionReset = 0
    /// A `prepare` finds the submission queue full (then it stays full until the next submit).
    public var queueFull = 0
    /// A cancel finds its target already running: -EALREADY, and the target completes on its own.
    public var cancelAlready = 0
    /// A target that could complete does so before its cancel is processed: the cancel gets -ENOENT.
    public var completionBeatsCancel = 300
    /// A ready completion is held back for a later reap (reorders completions).
    public var delayCompletion = 300
    /// A reap hands over only part of the completion queue.
    public var partialReap = 200
    /// A multishot operation's completion is its last: the kernel ends it (as on a completion
    /// queue overflow) and the program must arm it again.
    public var multishotEnds = 0
    /// A zero-copy send's notification completion is posted before its result (the kernel orders
    /// the two only on some paths): the result, with IORING_CQE_F_MORE, then comes last.
    public var notificationFirst = 0

    /// An operation whose cancel answered -EALREADY keeps running until it can complete for real
    /// (by default it is interrupted soon after, completing with -EINTR).
    public var runningIgnoresCancel = false

    /// The next `n` calls of `prepare`/`prepareCancel` find the submission queue full.
    public var rejectNextPrepares = 0
    /// The next `submit` fails with this errno without handing anything to the kernel.
    public var failNextSubmit: Int32? = nil
    /// Outcomes forced on the next cancels, in order, before the rates decide.
    public var forcedCancelOutcomes: [SimCancelOutcome] = []

    /// No faults, and completions in submission order whenever possible.
    public static let none = SimFaults(completionBeatsCancel: 0, delayCompletion: 0, partialReap: 0)

    /// Rates chosen by the seed: a third of the seeds run without faults, the rest with light or heavy ones.
    public static func random(_ rng: inout SimRandom) -> SimFaults {
        var faults = SimFaults()
        faults.completionBeatsCancel = rng.pick(0...600)
        faults.delayCompletion = rng.pick(0...500)
        faults.partialReap = rng.pick(0...400)
        switch rng.below(3) {
        case 0:
            break
        case 1:
            faults.shortTransfer = rng.pick(0...300)
            faults.eagain = rng.pick(0...50)
            faults.eintr = rng.pick(0...50)
            faults.queueFull = rng.pick(0...30)
            faults.cancelAlready = rng.pick(0...200)
        default:
            faults.shortTransfer = rng.pick(100...600)
            faults.eagain = rng.pick(0...200)
            faults.eintr = rng.pick(0...200)
            faults.enomem = rng.pick(0...40)
            faults.connectionReset = rng.pick(0...40)
            faults.queueFull = rng.pick(0...150)
            faults.cancelAlready = rng.pick(0...500)
        }
        faults.multishotEnds = rng.pick(0...150)
        faults.notificationFirst = rng.pick(0...500)
        return faults
    }
}

/// How the simulated kernel answers one cancel request whose target is still pending.
public enum SimCancelOutcome: Sendable, Equatable {
    /// The target completes with -ECANCELED; the cancel with 0.
    case cancelled
    /// The target completes first with its real result (if it can complete now); the cancel with -ENOENT.
    case completionWins
    /// The target is already running: the cancel gets -EALREADY and the target completes on its own.
    case alreadyRunning
}
