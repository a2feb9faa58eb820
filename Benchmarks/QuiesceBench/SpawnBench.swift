import Dispatch
import Quiesce

/// A task with nothing to do: ready on its first poll.
struct EmptyTask: Future {
    mutating func poll(_ cx: inout Context) -> Poll<Void> { .ready(()) }
}

/// Spawns `batch` empty tasks, joins them all, and repeats `rounds` times.
struct SpawnJoinRounds: Future, ~Copyable {
    var store: HandleStore<Void>
    var roundsLeft: Int
    var spawned = false

    init(batch: Int, rounds: Int) {
        store = HandleStore(capacity: batch)
        roundsLeft = rounds
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if !spawned {
                guard roundsLeft > 0 else { return .ready(()) }
                let executor = cx.executor!
                for _ in 0..<store.capacity { store.append(executor.spawn(EmptyTask())) }
                spawned = true
            }
            guard store.joinAll(&cx).isReady else { return .pending }
            spawned = false
            roundsLeft -= 1
        }
    }
}

/// Spawns `batch` empty tasks into a ``JoinSet``, takes every output, and repeats `rounds` times.
struct SpawnJoinSetRounds: Future, ~Copyable {
    let batch: Int
    var roundsLeft: Int
    var set = JoinSet<Void>()
    var spawned = false

    init(batch: Int, rounds: Int) {
        self.batch = batch
        roundsLeft = rounds
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if !spawned {
                guard roundsLeft > 0 else { return .ready(()) }
                let executor = cx.executor!
                for _ in 0..<batch { set.spawn(EmptyTask(), on: executor) }
                spawned = true
            }
            while true {
                switch set.pollNext(&cx) {
                case .pending: return .pending
                case .ready(nil): break
                case .ready(.some): continue
                }
                break
            }
            spawned = false
            roundsLeft -= 1
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { set.pollDropReady(&cx) }
}

/// 1. spawn + complete + join of an empty task, ns per task.
enum SpawnBench {
    /// The same batches joined through a ``JoinSet`` instead of single handles.
    static func joinSet(_ config: Config) -> Double {
        let executor = makeExecutor(entries: config.entries)
        let rounds = config.spawnTasks / config.spawnBatch
        let t0 = nowNanos()
        runToEnd(executor, SpawnJoinSetRounds(batch: config.spawnBatch, rounds: rounds))
        return Double(nowNanos() - t0) / Double(rounds * config.spawnBatch)
    }

    static func quiesce(_ config: Config) -> Double {
        let executor = makeExecutor(entries: config.entries)
        let rounds = config.spawnTasks / config.spawnBatch
        let t0 = nowNanos()
        runToEnd(executor, SpawnJoinRounds(batch: config.spawnBatch, rounds: rounds))
        return Double(nowNanos() - t0) / Double(rounds * config.spawnBatch)
    }

    /// The same batches through a discarding task group on the global concurrent executor.
    static func swiftConcurrency(_ config: Config) -> Double {
        let rounds = config.spawnTasks / config.spawnBatch
        let batch = config.spawnBatch
        let elapsed = runAsync {
            let t0 = nowNanos()
            for _ in 0..<rounds {
                await withDiscardingTaskGroup { group in
                    for _ in 0..<batch { group.addTask {} }
                }
            }
            return nowNanos() - t0
        }
        return Double(elapsed) / Double(rounds * batch)
    }
}

/// Runs `body` on Swift's global concurrent executor and blocks this thread until it returns.
func runAsync<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = AsyncResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

/// Carries a result from the async side back to the blocked thread (the semaphore orders access).
final class AsyncResultBox<T>: @unchecked Sendable {
    var value: T?
}
