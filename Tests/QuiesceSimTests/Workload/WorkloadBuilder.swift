@testable import Quiesce
@testable import QuiesceSimulation

/// The simulated descriptors and peer one workload plays with.
struct SimWorld {
    let pipeRead: Int32, pipeWrite: Int32
    let socket: Int32, peerSocket: Int32
    let listener: Int32
    /// A second socket for multishot receives, with its own scripted peer.
    let streamSocket: Int32
    let port: UInt16 = 7000
    let path = "/sim/data"

    /// Makes the descriptors and scripts the peer: data arrives, writes are drained, peers
    /// connect, and at `horizon` everything hangs up, all at seed-chosen virtual times.
    init(sim: SimBackend, rng: inout SimRandom, horizon: UInt64) {
        (pipeRead, pipeWrite) = sim.makePipe()
        (socket, peerSocket) = sim.makeSocketPair()
        listener = sim.makeListener(port: port)
        streamSocket = sim.makeSocketPair().0
        sim.makeFile(path, contents: Array("hello".utf8))
        let (pipeRead, pipeWrite, socket, port, streamSocket) = (self.pipeRead, self.pipeWrite, self.socket, self.port, self.streamSocket)
        for _ in 0..<rng.pick(0...8) {
            let at = UInt64(rng.below(Int(horizon))), count = rng.pick(1...12)
            sim.schedule(after: at) { $0.inject(Array(repeating: 0x63, count: count), into: streamSocket) }
        }
        for _ in 0..<rng.pick(1...6) {
            let at = UInt64(rng.below(Int(horizon))), count = rng.pick(1...12)
            switch rng.below(5) {
            case 0: sim.schedule(after: at) { $0.inject(Array(repeating: 0x61, count: count), into: pipeRead) }
            case 1: sim.schedule(after: at) { $0.inject(Array(repeating: 0x62, count: count), into: socket) }
            case 2: sim.schedule(after: at) { _ = $0.drain(pipeWrite); _ = $0.drain(socket) }
            case 3: sim.schedule(after: at) { $0.connectPeer(toPort: port) }
            default: break
            }
        }
        sim.schedule(after: horizon) { $0.hangUp(pipeRead); $0.hangUp(socket); $0.hangUp(streamSocket) }
    }
}

/// Builds a random tree of probes from a seed: leaves of operations, inner nodes of sequences,
/// spawned tasks, selects, joins, timeouts, scopes, cancels, and composed futures (then chains,
/// loops, finally and future sets).
struct WorkloadBuilder {
    var rng: SimRandom
    let ledger: Ledger
    let world: SimWorld
    /// The provided-buffer ring multishot receives pick from (a few small buffers, so it runs dry).
    let ring: ProvidedBufferRing
    var budget: Int

    mutating func probe(depth: Int, owners: [Int]) -> Probe {
        let id = ledger.newProbe()
        return Probe(id: id, node: node(depth: depth, owners: owners + [id]))
    }

    private mutating func box(depth: Int, owners: [Int]) -> ProbeBox { ProbeBox(probe(depth: depth, owners: owners)) }

    private mutating func node(depth: Int, owners: [Int]) -> Node {
        budget -= 1
        if depth == 0 || budget <= 0 || rng.chance(250) { return leaf(owners) }
        let d = depth - 1
        switch rng.below(11) {
        case 0:
            let children = (0..<rng.pick(2...3)).map { _ in box(depth: d, owners: owners) }
            return SequenceNode(children: children, ledger: ledger, owners: owners)
        case 1:
            let mode = SpawnNode.Mode.allCases[rng.below(SpawnNode.Mode.allCases.count)]
            // A task whose handle is dropped synchronously or detached is nobody's to wait for.
            let childOwners = mode == .syncDropHandle || mode == .detach ? [] : owners
            return SpawnNode(mode: mode, child: probe(depth: d, owners: childOwners),
                             pollsBeforeAction: rng.below(3), ledger: ledger, owners: owners)
        case 2:
            return SelectNode(probe(depth: d, owners: owners), probe(depth: d, owners: owners), ledger: ledger, owners: owners)
        case 3:
            return JoinNode(probe(depth: d, owners: owners), probe(depth: d, owners: owners), ledger: ledger, owners: owners)
        case 4:
            return TimeoutNode(nanoseconds: UInt64(rng.pick(1...40)) * 1_000, probe(depth: d, owners: owners),
                               ledger: ledger, owners: owners)
        case 5:
            return CancelNode(probe(depth: d, owners: owners), afterPolls: rng.below(4), ledger: ledger, owners: owners)
        case 6:
            return ChainNode(probe(depth: d, owners: owners), then: box(depth: d, owners: owners), ledger: ledger, owners: owners)
        case 7:
            let iterations = (0..<rng.pick(1...3)).map { _ in box(depth: d, owners: owners) }
            return LoopNode(iterations, ledger: ledger, owners: owners)
        case 8:
            return FinallyNode(probe(depth: d, owners: owners), cleanup: cleanupBox(owners: owners), ledger: ledger, owners: owners)
        case 9:
            let members = (0..<rng.pick(1...3)).map { _ in box(depth: d, owners: owners) }
            return FutureSetNode(members, ledger: ledger, owners: owners)
        default:
            let children = (0..<rng.pick(1...3)).map { _ in box(depth: d, owners: owners) }
            return ScopeNode(children: children, ledger: ledger, owners: owners)
        }
    }

    /// A cleanup that always finishes (a `finally` runs its cleanup to completion, inside drops too):
    /// nops, ring timeouts or sleeps, never an operation that waits on a peer.
    private mutating func cleanupBox(owners: [Int]) -> ProbeBox {
        let id = ledger.newProbe()
        let kind: OpNode.Kind
        switch rng.below(3) {
        case 0: kind = .nop
        case 1: kind = .timeout(UInt64(rng.pick(1...30)) * 1_000)
        default: kind = .sleep(UInt64(rng.pick(1...30)) * 1_000)
        }
        return ProbeBox(Probe(id: id, node: OpNode(kind, count: rng.pick(1...3), orphanAt: nil, ledger: ledger, owners: owners + [id])))
    }

    private mutating func leaf(_ owners: [Int]) -> Node {
        let kind: OpNode.Kind
        switch rng.below(11) {
        case 0: kind = .read(world.pipeRead)
        case 1: kind = .write(world.pipeWrite)
        case 2: kind = .recv(world.socket)
        case 3: kind = .send(world.socket)
        case 4: kind = .accept(world.listener)
        case 5: kind = .open(rng.chance(800) ? world.path : "/sim/missing")
        case 6: kind = .timeout(UInt64(rng.pick(1...30)) * 1_000)
        case 7: kind = .sleep(UInt64(rng.pick(1...30)) * 1_000)
        case 8: kind = rng.chance(500) ? .poll(world.pipeRead) : .readWithDeadline(world.pipeRead, UInt64(rng.pick(1...30)) * 1_000)
        case 9: kind = rng.chance(500) ? .read(world.socket) : .sendZeroCopy(world.socket)
        default: kind = .nop
        }
        let count = rng.pick(1...4)
        if rng.chance(150) {
            let stream: MultishotNode.Kind = rng.chance(500) ? .accept(world.listener) : .recv(world.streamSocket, ring)
            let orphanAfter = rng.chance(150) ? rng.below(count) : nil
            return MultishotNode(stream, count: count, orphanAfter: orphanAfter, ledger: ledger, owners: owners)
        }
        let orphanAt = rng.chance(120) ? rng.pick(1...count) : nil
        return OpNode(kind, count: count, orphanAt: orphanAt, ledger: ledger, owners: owners)
    }
}
