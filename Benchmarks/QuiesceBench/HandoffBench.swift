import Quiesce

/// The tiny shared cell two Quiesce tasks hand a turn back and forth through.
final class HandoffCell {
    var turn = 0
    var count = 0
    let limit: Int
    var wakers: (Waker?, Waker?) = (nil, nil)

    init(limit: Int) { self.limit = limit }

    func wakeOther(than side: Int) {
        if side == 0 { wakers.1?.wake() } else { wakers.0?.wake() }
    }

    func register(_ side: Int, _ waker: Waker) {
        if side == 0 { wakers.0 = waker } else { wakers.1 = waker }
    }
}

/// One player: when it is its turn, it counts one hand-off, gives the turn away and wakes the other.
struct HandoffPlayer: Future {
    let cell: HandoffCell
    let side: Int

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if cell.count >= cell.limit {
            cell.wakeOther(than: side)
            return .ready(())
        }
        if cell.turn == side {
            cell.count += 1
            cell.turn = 1 - side
            cell.wakeOther(than: side)
        }
        cell.register(side, cx.waker)
        return .pending
    }
}

/// Spawns both players and joins them.
struct HandoffGame: Future, ~Copyable {
    var store = HandleStore<Void>(capacity: 2)
    let cell: HandoffCell
    var started = false

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if !started {
            store.append(cx.executor!.spawn(HandoffPlayer(cell: cell, side: 0)))
            store.append(cx.executor!.spawn(HandoffPlayer(cell: cell, side: 1)))
            started = true
        }
        return store.joinAll(&cx)
    }
}

/// 2. task hand-off ping-pong between two tasks, ns per hand-off.
enum HandoffBench {
    static func quiesce(_ config: Config) -> Double {
        let executor = try! Executor(entries: config.entries)
        let cell = HandoffCell(limit: config.handoffs)
        let t0 = nowNanos()
        try! executor.blockOn(HandoffGame(cell: cell))
        let elapsed = nowNanos() - t0
        precondition(cell.count == config.handoffs)
        return Double(elapsed) / Double(config.handoffs)
    }

    /// Two tasks ping-ponging through a pair of AsyncStreams: one round trip is two hand-offs.
    static func swiftConcurrency(_ config: Config) -> Double {
        let roundTrips = config.handoffs / 2
        let elapsed = runAsync {
            let (pings, ping) = AsyncStream.makeStream(of: Int.self)
            let (pongs, pong) = AsyncStream.makeStream(of: Int.self)
            let t0 = nowNanos()
            let echo = Task {
                for await value in pings { pong.yield(value) }
                pong.finish()
            }
            var replies = pongs.makeAsyncIterator()
            for i in 0..<roundTrips {
                ping.yield(i)
                _ = await replies.next()
            }
            ping.finish()
            await echo.value
            return nowNanos() - t0
        }
        return Double(elapsed) / Double(roundTrips * 2)
    }
}
