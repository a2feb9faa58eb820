@testable import Quiesce
@testable import QuiesceSimulation

/// A hand-written future for scenario tests: `poll` and `pollDropReady` are closures over a class
/// that holds the operations (noncopyable values live in its optionals).
struct Steps: Future, ~Copyable {
    let step: (inout Context) -> Poll<Void>
    let drop: (inout Context) -> Poll<Void>

    init(drop: @escaping (inout Context) -> Poll<Void> = { _ in .ready(()) },
         _ step: @escaping (inout Context) -> Poll<Void>) {
        self.step = step
        self.drop = drop
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> { step(&cx) }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { drop(&cx) }
}

/// Holds the operations of a scenario.
final class Ops {
    var read: ReadOp?
    var write: WriteOp?
    var accept: AcceptOp?
    var open: OpenOp?
    var readResult: Result<Int, IOError>?
    var stage = 0
}

/// A simulation with its buffers watched and an executor over it; `finish()` checks the common
/// end-of-scenario invariants.
struct Scenario {
    let sim: SimBackend
    var executor: Executor?

    init(seed: UInt64, faults: SimFaults? = SimFaults.none) {
        sim = SimBackend(seed: seed, faults: faults)
        sim.watchBuffers()
        executor = Executor(backend: sim)
    }

    /// Releases the executor, then returns every problem found: kernel protocol violations, buffers
    /// freed in flight or never freed, descriptors leaked.
    mutating func finish() -> [String] {
        executor = nil
        var problems = sim.violations
        if sim.liveBufferCount != 0 { problems.append("\(sim.liveBufferCount) buffer(s) never freed") }
        let fds = sim.openDescriptors(origin: .kernel)
        if !fds.isEmpty { problems.append("leaked descriptors \(fds)") }
        if sim.inFlightCount != 0 { problems.append("\(sim.inFlightCount) submission(s) never completed") }
        sim.stopWatchingBuffers()
        return problems
    }
}
