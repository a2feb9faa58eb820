@testable import Quiesce
@testable import QuiesceSimulation

/// Everything one seeded run records to check the invariants against: probe lifecycles, the
/// operations each probe started, and every violation found (with the check that found it).
final class Ledger {
    let sim: SimBackend
    private(set) var violations: [String] = []
    private var nextID = 0
    private var deinits: [Int: Int] = [:]
    private var dropCompleted: Set<Int> = []
    private var tokensUnder: [Int: [UInt64]] = [:]
    /// Operation futures started, and how each ended (ready, async-dropped, orphaned by a sync drop).
    var opsStarted = 0, opsReady = 0, opsDropped = 0, opsOrphaned = 0
    /// Composed futures (then, loop, finally, set) that completed or whose drop completed, by kind.
    private(set) var composedExercised: [String: Int] = [:]
    func exercised(_ kind: String) { composedExercised[kind, default: 0] += 1 }
    /// Which invariant each violation came from, for the report.
    private(set) var caught: [String: Int] = [:]

    init(sim: SimBackend) { self.sim = sim }

    func fail(_ invariant: String, _ text: String) {
        caught[invariant, default: 0] += 1
        if violations.count < 20 { violations.append("[\(invariant)] \(text)") }
    }

    func newProbe() -> Int {
        nextID += 1
        deinits[nextID] = 0
        return nextID
    }

    var probeCount: Int { nextID }

    func deinitRan(_ id: Int) {
        deinits[id, default: 0] += 1
        if deinits[id]! > 1 { fail("deinit-once", "probe \(id) deinit ran \(deinits[id]!) times") }
    }

    private var cancelled: Set<Int> = []
    /// The task running probe `id` was asked to cancel: its `poll` must never be called again.
    func cancelRequested(_ id: Int) { cancelled.insert(id) }
    func isCancelRequested(_ id: Int) -> Bool { cancelled.contains(id) }

    func hasDeinited(_ id: Int) -> Bool { deinits[id, default: 0] > 0 }
    func isDropCompleted(_ id: Int) -> Bool { dropCompleted.contains(id) }

    /// An operation was submitted on behalf of the probes in `owners` (whose async drops must wait for it).
    func started(_ token: OpToken, owners: [Int]) {
        for owner in owners { tokensUnder[owner, default: []].append(token.userData) }
    }

    /// An operation was dropped synchronously while in flight: no async drop covers it any more
    /// (the driver's orphan table does; the end-of-run checks see it settle).
    func orphaned(_ token: OpToken) {
        for key in tokensUnder.keys { tokensUnder[key]!.removeAll { $0 == token.userData } }
    }

    /// The async drop of probe `id` completed: nothing it started may still be in flight.
    func asyncDropCompleted(_ id: Int) {
        dropCompleted.insert(id)
        for userData in tokensUnder[id] ?? [] where sim.isInFlight(userData) {
            fail("quiescent-after-drop", "probe \(id)'s async drop completed with \(OpToken.decode(userData).token) in flight")
        }
        tokensUnder[id] = nil
    }

    /// End-of-run checks on the probes: each deinit ran exactly once.
    func checkProbes() {
        for (id, count) in deinits where count != 1 {
            fail("deinit-once", "probe \(id) deinit ran \(count) times")
        }
        if opsStarted != opsReady + opsDropped + opsOrphaned {
            fail("op-once", "\(opsStarted) operations started, \(opsReady) ready + \(opsDropped) dropped + \(opsOrphaned) orphaned")
        }
    }
}
