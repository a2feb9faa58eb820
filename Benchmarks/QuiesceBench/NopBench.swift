#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// Issues `count` NOPs one after another: a new one as soon as the previous completes.
struct NopLoop: Future, ~Copyable {
    var op: NopOp? = nil
    var remaining: Int

    init(count: Int) { remaining = count }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while remaining > 0 {
            if op == nil { op = IO.nop() }
            switch op!.poll(&cx) {
            case .pending: return .pending
            case .ready(let result):
                if case .failure(let error) = result { fail("nop failed: \(error)") }
            }
            op = nil
            remaining -= 1
        }
        return .ready(())
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        op == nil ? .ready(()) : op!.pollDropReady(&cx)
    }
}

/// Runs `tasks` NOP loops side by side (so `tasks` NOPs are in flight) and joins them.
struct NopFleet: Future, ~Copyable {
    var store: HandleStore<Void>
    let perTask: Int
    var started = false

    init(tasks: Int, perTask: Int) {
        store = HandleStore(capacity: tasks)
        self.perTask = perTask
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if !started {
            for _ in 0..<store.capacity { store.append(cx.executor!.spawn(NopLoop(count: perTask))) }
            started = true
        }
        return store.joinAll(&cx)
    }
}

/// 3. NOPs through the ring with 1, 32 and 256 in flight, ops/s.
enum NopBench {
    static func quiesce(_ config: Config, inFlight: Int, total: Int) -> Double {
        let executor = makeExecutor(entries: config.entries)
        let perTask = total / inFlight
        let t0 = nowNanos()
        runToEnd(executor, NopFleet(tasks: inFlight, perTask: perTask))
        return Double(perTask * inFlight) / (Double(nowNanos() - t0) / 1e9)
    }

    /// The CPU time (user and system) this thread spends in `run`, per NOP of `total`, in nanoseconds.
    static func cpuNanosPerNop(_ total: Int, _ run: () -> Void) -> Double {
        let t0 = threadCPUNanos()
        run()
        return Double(threadCPUNanos() - t0) / Double(total)
    }
}

/// User-space instructions per NOP on both sides, counted by valgrind (cachegrind) running this
/// binary's `--only` workloads. Each count is the difference of two runs with different NOP totals
/// divided by the difference in NOPs, so start-up and teardown cancel out. Kernel instructions are
/// not counted: valgrind sees only the process's own.
struct NopInstructions {
    /// Quiesce's and the raw C loop's instructions per NOP, at 1 and at 32 in flight.
    var quiesce1 = 0.0, raw1 = 0.0, quiesce32 = 0.0, raw32 = 0.0

    /// The two NOP totals per number in flight (multiples of 32, so every task of the fleet issues as many).
    static let totals = (small: 16_000, large: 48_000)
    /// How the counts are taken, for the report's note and the script's output.
    static let method = "user-space instructions per NOP counted by valgrind --tool=cachegrind on a copy of the release binary without debug info (`--only nop1|nop32|rawnop1|rawnop32 --count N`), the difference of runs with \(totals.small) and \(totals.large) NOPs divided by the difference; the kernel's instructions are not counted"

    /// Counts with valgrind, or the reason it cannot (valgrind or strip missing, a run failed).
    static func measure() -> Result<NopInstructions, InstructionCountsUnavailable> {
        InstructionCounter.perUnit(["nop1", "rawnop1", "nop32", "rawnop32"], sizes: totals) { counter, workload, total in
            counter.count(["--only", workload, "--count", String(total)])
        }.map { NopInstructions(quiesce1: $0["nop1"]!, raw1: $0["rawnop1"]!, quiesce32: $0["nop32"]!, raw32: $0["rawnop32"]!) }
    }
}
