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
}
