@testable import Quiesce
@testable import QuiesceSimulation

/// One seeded run: builds the simulation and a random workload from the seed, runs it to the end,
/// shuts down, and checks every invariant. Deterministic: the same seed gives the same run.
struct SeedRun {
    let seed: UInt64
    private(set) var violations: [String] = []
    /// Invariant name → violations it found.
    private(set) var caught: [String: Int] = [:]
    private(set) var summary = ""
    /// What the simulation exercised.
    private(set) var statistics = SimStatistics()
    private(set) var opsOrphaned = 0
    /// Composed futures exercised, by kind ("then.completed", "loop.dropped", …).
    private(set) var composed: [String: Int] = [:]

    /// Print every step of the simulation (replays of one seed).
    var trace = false
    /// Receives every step instead (determinism tests).
    var traceSink: ((String) -> Void)?

    init(seed: UInt64) { self.seed = seed }

    mutating func run() {
        let sim = SimBackend(seed: seed)
        if trace { sim.trace = { print($0) } }
        if let traceSink { sim.trace = traceSink }
        let ledger = Ledger(sim: sim)
        sim.watchBuffers()
        // The registrations, once the run let go of everything: a lease or an operation kept
        // alive past the run keeps its registration too.
        weak var bufferRegistration: Registration?
        weak var fileRegistration: Registration?
        do {
            var rng = sim.workloadRandom()
            let horizon: UInt64 = 60_000
            let world = SimWorld(sim: sim, rng: &rng, horizon: horizon)
            let executor = Executor(backend: sim)
            let ring: ProvidedBufferRing
            do { ring = try executor.driver.registerBufferRing(count: 2, size: 8) } catch {
                ledger.fail("setup", "buffer ring: \(error)")
                return
            }
            let shared = SharedResources(world: world, executor: executor)
            var builder = WorkloadBuilder(rng: rng.fork(), ledger: ledger, world: world, ring: ring, shared: shared,
                                          budget: rng.pick(3...24))
            let tree = builder.probe(depth: 5, owners: [])
            bufferRegistration = shared.registrations.first
            fileRegistration = shared.registrations.last
            let rootID = ledger.newProbe()
            let root = Probe(id: rootID, node: TimeoutNode(nanoseconds: 2 * horizon, tree, ledger: ledger, owners: [rootID]))

            executor.diagnosticHandler = { diagnostic in
                if diagnostic.kind == .notFused || diagnostic.kind == .misuse {
                    ledger.fail("drop-contract", diagnostic.description)
                }
            }
            do { try executor.blockOn(root) } catch {
                ledger.fail("no-hang", "blockOn threw \(error)")
            }
            shared.finish()
            let report = executor.shutdown(deadline: 1_000_000_000)
            if !report.isClean { ledger.fail("shutdown-clean", "shutdown left \(report)") }
            let driver = executor.driver
            if driver.operationsInFlight != 0 || driver.cancelsInFlight != 0 || driver.orphanCount != 0
                || driver.liveSlots != 0 || driver.backlogCount != 0 {
                ledger.fail("op-once", "driver not settled: \(driver.operationsInFlight) ops, \(driver.cancelsInFlight) cancels, \(driver.orphanCount) orphans, \(driver.liveSlots) slots, \(driver.backlogCount) queued")
            }
            if driver.staleCompletions != 0 {
                ledger.fail("op-once", "\(driver.staleCompletions) completion(s) reached a slot that had moved on")
            }
            if sim.inFlightCount != 0 { ledger.fail("op-once", "\(sim.inFlightCount) submission(s) never completed") }
            if sim.providedBuffersOutstanding != 0 {
                ledger.fail("no-buffer-leak", "\(sim.providedBuffersOutstanding) provided buffer(s) picked and never given back")
            }
            if ring.available != ring.count {
                ledger.fail("no-buffer-leak", "the ring counts \(ring.available) of \(ring.count) buffers available")
            }
            // Released (by the workload or at its end), the registered resources are unregistered
            // once no operation uses them: by the end, none is left registered.
            shared.check(ledger)
            if let count = sim.registeredBufferCount { ledger.fail("registration-released", "\(count) registered buffer(s) never unregistered") }
            if let count = sim.registeredFileCount { ledger.fail("registration-released", "a table of \(count) registered file(s) never unregistered") }
            let leakedFDs = sim.openDescriptors(origin: .kernel)
            if !leakedFDs.isEmpty { ledger.fail("no-fd-leak", "descriptors from accept/open left open: \(leakedFDs)") }
        }  // the executor is released here: its backend is closed, every buffer must be freed
        ledger.checkProbes()
        if bufferRegistration != nil || fileRegistration != nil {
            ledger.fail("fixed-buffer-once", "a registration outlived the run (a registered buffer's lease or an operation on it was never released)")
        }
        if sim.liveBufferCount != 0 { ledger.fail("no-buffer-leak", "\(sim.liveBufferCount) IOBuffer(s) never freed") }
        for text in sim.violations {
            let invariant = text.contains("freed while") ? "no-buffer-freed-in-flight"
                : text.contains("memory lent to") ? "no-memory-lent-twice"
                : text.contains("registered") ? "registered-in-use" : "kernel-protocol"
            ledger.fail(invariant, text)
        }
        sim.stopWatchingBuffers()
        statistics = sim.statistics
        opsOrphaned = ledger.opsOrphaned
        composed = ledger.composedExercised
        violations = ledger.violations
        caught = ledger.caught
        summary = "probes \(ledger.probeCount), ops \(ledger.opsStarted) (ready \(ledger.opsReady), dropped \(ledger.opsDropped), orphaned \(ledger.opsOrphaned)); " + sim.summary
    }
}
