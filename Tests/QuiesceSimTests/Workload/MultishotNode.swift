import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// A leaf over one multishot stream: accepts connections (closing each through the simulation) or
/// receives into provided buffers (holding a lease for a while, so the ring may run dry), for a few
/// elements, then ends. Dropped early, its async drop must cancel the stream and wait for the final
/// completion; it may also be dropped synchronously mid-flight (an orphan).
final class MultishotNode: Node {
    enum Kind { case accept(Int32), recv(Int32, ProvidedBufferRing) }

    let kind: Kind
    var remaining: Int
    /// Drop the stream synchronously once this many elements were taken, if set.
    var orphanAfter: Int?
    var taken = 0
    var accepts: AcceptMultishotOp?
    var receives: RecvMultishotOp?
    /// A lease kept until the next element (so the ring may run dry meanwhile).
    var held: ProvidedBuffer?
    var lastToken: OpToken?
    var completed = false
    /// Counted in the ledger's operations (once per stream, however often it is re-armed).
    var counted = false
    var settled = false

    init(_ kind: Kind, count: Int, orphanAfter: Int?, ledger: Ledger, owners: [Int]) {
        self.kind = kind
        self.remaining = count
        self.orphanAfter = orphanAfter
        super.init(ledger: ledger, owners: owners)
        switch kind {
        case .accept(let listener): accepts = IO.acceptMultishot(listener)
        case .recv(let socket, let ring): receives = IO.recvMultishot(socket, from: ring)
        }
    }

    deinit {
        // Released without its async drop (an orphaned subtree): the stream is orphaned with it.
        if counted && !settled { ledger.opsOrphaned += 1 }
    }

    private func track(_ token: OpToken?) {
        guard let token, token != lastToken else { return }
        lastToken = token
        if !counted { counted = true; ledger.opsStarted += 1 }
        ledger.started(token, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        while remaining > 0 {
            if orphanAfter == taken, let token = lastToken, accepts?.isInFlight == true || receives?.isInFlight == true {
                // Released without its async drop while armed: the driver must cancel it and release
                // every element that still arrives.
                orphanAfter = nil
                accepts = nil
                receives = nil
                ledger.opsOrphaned += 1
                settled = true
                ledger.orphaned(token)
                return .ready(())
            }
            if accepts != nil {
                let next = accepts!.pollNext(&cx)
                track(accepts!.core.token)
                guard case .ready(let element) = next else { return .pending }
                guard let element else { remaining = 0; break }
                if case .success(let fd) = element { ledger.sim.close(fd) }
                if case .failure = element { remaining = 0; break }
            } else if receives != nil {
                let next = receives!.pollNext(&cx)
                track(receives!.core.token)
                guard case .ready(let element) = next else { return .pending }
                guard let element else { remaining = 0; break }
                switch consume element {
                case .success(let lease): held = consume lease
                case .failure: remaining = 0
                }
            } else {
                break
            }
            taken += 1
            remaining -= 1
        }
        held = nil
        if !completed {
            completed = true
            ledger.exercised("multishot.completed")
            // Its drop (which cancels what is still armed) settles the count.
        }
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        held = nil
        guard accepts.pollDropReady(&cx).isReady, receives.pollDropReady(&cx).isReady else { return .pending }
        if !completed { ledger.exercised("multishot.dropped") }
        if counted && !settled {
            settled = true
            if completed { ledger.opsReady += 1 } else { ledger.opsDropped += 1 }
        }
        return .ready(())
    }
}
