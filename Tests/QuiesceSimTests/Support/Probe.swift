@testable import Quiesce

/// One node of a workload tree, as a class so trees of noncopyable futures are easy to build.
class Node {
    let ledger: Ledger
    /// The probes whose async drop must cover what this node starts (innermost last).
    let owners: [Int]

    init(ledger: Ledger, owners: [Int]) {
        self.ledger = ledger
        self.owners = owners
    }

    func poll(_ cx: inout Context) -> Poll<Void> { .ready(()) }
    func pollDropReady(_ cx: inout Context) -> Poll<Void> { .ready(()) }
}

/// The contract checker around every node: no poll after the drop began or after `.ready`, drop
/// readiness fused, deinit exactly once, and on async-drop completion nothing it started in flight.
struct Probe: Future, ~Copyable {
    let id: Int
    let ledger: Ledger
    var node: Node?
    var finished = false
    var dropBegan = false
    var dropDone = false

    init(id: Int, node: Node) {
        self.id = id
        self.ledger = node.ledger
        self.node = node
    }

    deinit { ledger.deinitRan(id) }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if dropBegan { ledger.fail("no-poll-after-drop", "probe \(id) polled after its drop began") }
        if ledger.isCancelRequested(id) { ledger.fail("no-poll-after-cancel", "probe \(id) polled after its task was cancelled") }
        if finished { ledger.fail("no-poll-after-ready", "probe \(id) polled after it was ready") }
        guard let node else { return .ready(()) }
        if ledger.sim.trace != nil { ledger.sim.trace!("poll probe \(id) \(type(of: node))") }
        let result = node.poll(&cx)
        if result.isReady { finished = true }
        return result
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        dropBegan = true
        if dropDone { return .ready(()) }
        guard node?.pollDropReady(&cx).isReady ?? true else { return .pending }
        dropDone = true
        ledger.asyncDropCompleted(id)
        node = nil
        return .ready(())
    }
}

/// A probe in a class box, so arrays of them can be built (arrays hold copyable elements only).
final class ProbeBox {
    let id: Int
    var probe: Probe?
    /// Moved into a task (a scope's child), so its owner no longer releases it.
    var spawned = false
    init(_ probe: consuming Probe) {
        id = probe.id
        self.probe = consume probe
    }
}
