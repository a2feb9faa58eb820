@testable import Quiesce

/// `then`: the second probe is built only once the first completed and its drop finished; the
/// chain's drop drops the live stage only.
final class ChainNode: Node {
    /// Completed before its drop; a drop that cuts it short is what the sweep must exercise too.
    var completed = false
    var chain: Then<Probe, ProbeBox, Probe>?

    init(_ first: consuming Probe, then second: ProbeBox, ledger: Ledger, owners: [Int]) {
        let firstID = first.id
        chain = first.then(carrying: second) { [ledger] box, _ in
            if !ledger.isDropCompleted(firstID) {
                ledger.fail("one-live-stage", "then built its next stage before probe \(firstID) was dropped")
            }
            return box.probe.take()!
        }
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        guard chain!.poll(&cx).isReady else { return .pending }
        ledger.exercised("then.completed")
        completed = true
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard chain.pollDropReady(&cx).isReady else { return .pending }
        if !completed { ledger.exercised("then.dropped") }
        return .ready(())
    }
}

/// `loop`: one probe per iteration, each dropped before the next is built.
final class LoopNode: Node {
    /// Completed before its drop; a drop that cuts it short is what the sweep must exercise too.
    var completed = false
    typealias Step = LoopStep<Int, Void>
    var looping: Loop<Int, Void, Map<Probe, (Int, Int), Step>>?

    init(_ boxes: [ProbeBox], ledger: Ledger, owners: [Int]) {
        let count = boxes.count
        looping = loop(0) { [ledger] i in
            if i > 0 && !ledger.isDropCompleted(boxes[i - 1].id) {
                ledger.fail("one-live-stage", "loop built iteration \(i) before probe \(boxes[i - 1].id) was dropped")
            }
            return Map(boxes[i].probe.take()!, carrying: (i, count)) { at, _ in at.0 + 1 < at.1 ? .next(at.0 + 1) : .done(()) }
        }
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        guard looping!.poll(&cx).isReady else { return .pending }
        ledger.exercised("loop.completed")
        completed = true
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard looping.pollDropReady(&cx).isReady else { return .pending }
        if !completed { ledger.exercised("loop.dropped") }
        return .ready(())
    }
}

/// `finally`: the cleanup probe runs after the inner probe's drop, on completion and inside the
/// async drop alike.
final class FinallyNode: Node {
    /// Completed before its drop; a drop that cuts it short is what the sweep must exercise too.
    var completed = false
    var guarded: Finally<Probe, Probe>?

    init(_ inner: consuming Probe, cleanup: ProbeBox, ledger: Ledger, owners: [Int]) {
        let innerID = inner.id
        guarded = inner.finally { [ledger] in
            if !ledger.isDropCompleted(innerID) {
                ledger.fail("finally-after-drop", "finally's cleanup began before probe \(innerID) was dropped")
            }
            return cleanup.probe.take()!
        }
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        guard guarded!.poll(&cx).isReady else { return .pending }
        ledger.exercised("finally.completed")
        completed = true
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard guarded.pollDropReady(&cx).isReady else { return .pending }
        if !completed { ledger.exercised("finally.dropped") }
        return .ready(())
    }
}

/// A `FutureSet` of probes: each yields once its drop is done; the set's drop drops all at once.
final class FutureSetNode: Node {
    /// Completed before its drop; a drop that cuts it short is what the sweep must exercise too.
    var completed = false
    var set = FutureSet<Probe>()

    init(_ boxes: [ProbeBox], ledger: Ledger, owners: [Int]) {
        for box in boxes { set.insert(box.probe.take()!) }
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            switch set.pollNext(&cx) {
            case .pending: return .pending
            case .ready(nil):
                ledger.exercised("set.completed")
        completed = true
                return .ready(())
            case .ready(.some): continue
            }
        }
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard set.pollDropReady(&cx).isReady else { return .pending }
        if !completed { ledger.exercised("set.dropped") }
        return .ready(())
    }
}
