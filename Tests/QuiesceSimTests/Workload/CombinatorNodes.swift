@testable import Quiesce

/// Runs its children one after another; each finished child is async-dropped before the next starts.
final class SequenceNode: Node {
    let children: [ProbeBox]
    var current = 0
    var droppingCurrent = false

    init(children: [ProbeBox], ledger: Ledger, owners: [Int]) {
        self.children = children
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        while current < children.count {
            if !droppingCurrent {
                guard children[current].probe!.poll(&cx).isReady else { return .pending }
                droppingCurrent = true
            }
            guard children[current].probe!.pollDropReady(&cx).isReady else { return .pending }
            children[current].probe = nil
            droppingCurrent = false
            current += 1
        }
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        var ready = true
        for box in children where box.probe != nil {
            if box.probe!.pollDropReady(&cx).isReady { box.probe = nil } else { ready = false }
        }
        return ready ? .ready(()) : .pending
    }
}

/// Races two children with the library's `Select`: the loser must be dropped before it reports.
final class SelectNode: Node {
    var select: Select<Probe, Probe>?
    let ids: (Int, Int)

    init(_ a: consuming Probe, _ b: consuming Probe, ledger: Ledger, owners: [Int]) {
        ids = (a.id, b.id)
        select = Select(a, b)
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        guard case .ready(let winner) = select!.poll(&cx) else { return .pending }
        let loser: Int
        switch consume winner {
        case .first: loser = ids.1
        case .second: loser = ids.0
        }
        if !ledger.isDropCompleted(loser) {
            ledger.fail("select-loser-dropped", "select reported before its loser (probe \(loser)) was dropped")
        }
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> { select.pollDropReady(&cx) }
}

/// Both children at once with the library's `Join`.
final class JoinNode: Node {
    var join: Join<Probe, Probe>?

    init(_ a: consuming Probe, _ b: consuming Probe, ledger: Ledger, owners: [Int]) {
        join = Join(a, b)
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        guard case .ready = join!.poll(&cx) else { return .pending }
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> { join.pollDropReady(&cx) }
}

/// Its child under the library's `Timeout`: on expiry the child must be quiescent before it reports.
final class TimeoutNode: Node {
    var timeout: Timeout<Probe>?
    let childID: Int

    init(nanoseconds: UInt64, _ child: consuming Probe, ledger: Ledger, owners: [Int]) {
        childID = child.id
        timeout = Timeout(nanoseconds: nanoseconds, child)
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        guard case .ready(let result) = timeout!.poll(&cx) else { return .pending }
        if case .failure = result, !ledger.isDropCompleted(childID) {
            ledger.fail("timeout-drops-inner", "timeout reported before its inner future (probe \(childID)) was dropped")
        }
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> { timeout.pollDropReady(&cx) }
}

/// Cancels its child after a few polls by async-dropping it (a user-written cancel).
final class CancelNode: Node {
    var child: Probe?
    var pollsLeft: Int
    var cancelling = false

    init(_ child: consuming Probe, afterPolls: Int, ledger: Ledger, owners: [Int]) {
        self.child = consume child
        self.pollsLeft = afterPolls
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        if !cancelling {
            if pollsLeft == 0 { cancelling = true } else {
                pollsLeft -= 1
                if child!.poll(&cx).isReady { cancelling = true } else { cx.waker.wake(); return .pending }
            }
        }
        guard child!.pollDropReady(&cx).isReady else { return .pending }
        child = nil
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> { child.pollDropReady(&cx) }
}

/// Spawns its children in a library `Scope`: the scope may complete only after every child has.
final class ScopeNode: Node {
    struct Body: ScopeBody, ~Copyable {
        let children: [ProbeBox]
        mutating func poll(_ cx: inout Context, _ scope: borrowing ScopeSpawner) -> Poll<Void> {
            for box in children { if let child = box.probe.take() { box.spawned = true; scope.spawn(child).detach() } }
            return .ready(())
        }
    }

    var scope: Scope<Body>?
    let children: [ProbeBox]

    init(children: [ProbeBox], ledger: Ledger, owners: [Int]) {
        self.children = children
        scope = Scope(Body(children: children))
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        guard scope!.poll(&cx).isReady else { return .pending }
        for id in children.filter(\.spawned).map(\.id) where !ledger.hasDeinited(id) {
            ledger.fail("scope-waits-children", "scope completed before its child (probe \(id)) was released")
        }
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard scope.pollDropReady(&cx).isReady else { return .pending }
        for id in children.filter(\.spawned).map(\.id) where !ledger.hasDeinited(id) {
            ledger.fail("scope-waits-children", "scope's async drop completed before its child (probe \(id)) was released")
        }
        return .ready(())
    }
}
