#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// An object allocated only to check that allocation counting sees Swift's allocations.
final class CalibrationObject { var value = 0 }
nonisolated(unsafe) var calibrationSink: CalibrationObject?

/// Runs `warmup` operations, then counts allocations over the next `measured` ones.
/// `kind` 0: NOP; 1: 64-byte pipe read (the bytes are written synchronously just before).
struct CountedLoop: Future, ~Copyable {
    let kind: Int
    let readFD: Int32, writeFD: Int32
    var warmup: Int, measured: Int
    var nop: NopOp? = nil
    var read: ReadOp? = nil
    var buffer: IOBuffer? = IOBuffer(capacity: 64)
    var counted: UInt64 = 0
    var counting = false
    var message = [UInt8](repeating: 0x61, count: 64)

    init(kind: Int, readFD: Int32 = -1, writeFD: Int32 = -1, warmup: Int, measured: Int) {
        self.kind = kind; self.readFD = readFD; self.writeFD = writeFD
        self.warmup = warmup; self.measured = measured
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if nop == nil && read == nil {
                if warmup == 0 && measured == 0 { return .ready(()) }
                if warmup == 0 && !counting { counting = true; counted = crr_alloc_count(); crr_alloc_counting(1) }
                if kind == 0 {
                    nop = IO.nop()
                } else {
                    guard unsafe write(writeFD, &message, 64) == 64 else { fail("pipe write for the read benchmark") }
                    read = IO.read(readFD, into: buffer.take()!)
                }
            }
            if nop != nil {
                switch nop!.poll(&cx) {
                case .pending: return .pending
                case .ready: nop = nil
                }
            } else {
                switch read!.poll(&cx) {
                case .pending: return .pending
                case .ready(let r):
                    guard case .success(64) = r.result else { fail("pipe read: \(r.result)") }
                    var b = r.buffer
                    b.clear()
                    buffer = .some(b)
                    read = nil
                }
            }
            if warmup > 0 {
                warmup -= 1
            } else {
                measured -= 1
                if measured == 0 {
                    crr_alloc_counting(0)
                    counted = crr_alloc_count() - counted
                }
            }
        }
    }
}

/// 7. heap allocations per operation in steady state, counted by interposing malloc & co.
enum AllocBench {
    /// Heap allocations per unit of work in steady state: `run(n)` does `n` rounds of `unitsPerRound`
    /// units each; two counted runs that differ only in their round count (after a warm-up run:
    /// runtime metadata, pools), so what a run costs once cancels out.
    static func steadyStatePerUnit(few: Int, many: Int, unitsPerRound: Int, _ run: (Int) -> Void) -> Double {
        func counted(_ rounds: Int) -> UInt64 {
            crr_alloc_counting(1)
            let before = crr_alloc_count()
            run(rounds)
            let after = crr_alloc_count()
            crr_alloc_counting(0)
            return after - before
        }
        _ = counted(few)
        let a = counted(few), b = counted(many)
        return (Double(b) - Double(a)) / Double((many - few) * unitsPerRound)
    }

    /// `true` when the interposed allocator sees an allocation made by the Swift runtime.
    static func countingWorks() -> Bool {
        crr_alloc_counting(1)
        let before = crr_alloc_count()
        unsafe calibrationSink = CalibrationObject()
        let after = crr_alloc_count()
        crr_alloc_counting(0)
        unsafe calibrationSink = nil
        return after > before
    }

    static func perOp(_ config: Config, kind: Int) -> Double {
        let executor = makeExecutor(entries: config.entries)
        let pipe = makePipe()
        defer { close(pipe.read); close(pipe.write) }
        var loop = CountedLoop(kind: kind, readFD: pipe.read, writeFD: pipe.write,
                               warmup: config.allocOps / 4, measured: config.allocOps)
        loop = runToEnd(executor, Keep(loop))
        return Double(loop.counted) / Double(config.allocOps)
    }

    /// Allocations per spawned-and-joined empty task, after a warm-up round: finished tasks are
    /// pooled by the executor, so steady-state spawns reuse them.
    static func perSpawn(_ config: Config) -> Double {
        let executor = makeExecutor(entries: config.entries)
        let rounds = Swift.max(1, config.allocOps / config.spawnBatch)
        runToEnd(executor, SpawnJoinRounds(batch: config.spawnBatch, rounds: 1))  // warm up
        crr_alloc_counting(1)
        var base = crr_alloc_count()
        runToEnd(executor, SpawnJoinRounds(batch: config.spawnBatch, rounds: 0))
        let empty = crr_alloc_count() - base
        base = crr_alloc_count()
        runToEnd(executor, SpawnJoinRounds(batch: config.spawnBatch, rounds: rounds))
        let full = crr_alloc_count() - base
        crr_alloc_counting(0)
        return Double(Int(full) - Int(empty)) / Double(rounds * config.spawnBatch)
    }
}

/// Runs a counted loop and hands it back (with its count) when done.
struct Keep: Future, ~Copyable {
    var loop: CountedLoop?
    init(_ loop: consuming CountedLoop) { self.loop = .some(loop) }
    mutating func poll(_ cx: inout Context) -> Poll<CountedLoop> {
        guard loop!.poll(&cx).isReady else { return .pending }
        return .ready(loop.take()!)
    }
}
