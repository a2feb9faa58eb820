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
    /// A UDP socket datagrams arrive at (from scripted peers and from `udpSender`), and one that sends.
    let udpReceiver: Int32, udpSender: Int32
    let udpPort: UInt16 = 5300
    /// An open regular file (at `filePath`) for vectored and fixed transfers at offsets.
    let file: Int32
    let filePath = "/sim/file"
    /// A connected socket only shutdowns work on.
    let shutdownSocket: Int32
    /// Where path operations create, rename and remove files and directories.
    let tree = "/sim/tree"
    /// The descriptors of the registered file table, in order.
    var registeredDescriptors: [Int32] { [pipeRead, pipeWrite, socket, file] }

    /// Makes the descriptors and scripts the peer: data arrives, writes are drained, peers
    /// connect, and at `horizon` everything hangs up, all at seed-chosen virtual times.
    init(sim: SimBackend, rng: inout SimRandom, horizon: UInt64) {
        (pipeRead, pipeWrite) = sim.makePipe()
        (socket, peerSocket) = sim.makeSocketPair()
        listener = sim.makeListener(port: port)
        streamSocket = sim.makeSocketPair().0
        sim.makeFile(path, contents: Array("hello".utf8))
        udpReceiver = sim.makeDatagramSocket(port: udpPort)
        udpSender = sim.makeDatagramSocket(port: udpPort + 1)
        sim.makeFile(filePath, contents: Array("file contents".utf8))
        file = sim.addDescriptor(.file(sim.files[filePath]!), origin: .test)
        shutdownSocket = sim.makeSocketPair().0
        sim.makeDirectory(tree)
        sim.makeFile(tree + "/a", contents: [1])
        var plain = rng.fork()  // the datagram peers draw from a generator of their own
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
        let (udpReceiver, udpPort) = (self.udpReceiver, self.udpPort)
        for _ in 0..<plain.pick(0...2) {
            let at = UInt64(plain.below(Int(horizon))), count = plain.pick(1...12), from = UInt16(plain.pick(6000...6003))
            sim.schedule(after: at) { $0.injectDatagram(Array(repeating: 0x64, count: count), from: .loopback(port: from), into: udpReceiver) }
        }
        sim.schedule(after: horizon) { sim in
            sim.hangUp(pipeRead); sim.hangUp(socket); sim.hangUp(streamSocket)
            // Datagram sockets have no end of file: a last burst lets waiting receives finish.
            for _ in 0..<4 { sim.injectDatagram([0x65], from: .loopback(port: udpPort &+ 2), into: udpReceiver) }
        }
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
    /// The registered buffers and files and the UDP socket the plain operations share.
    let shared: SharedResources
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
        if rng.chance(350) { return plainLeaf(owners) }
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

    /// A leaf of the plain operations beyond the first set (see ``PlainOpNode``), or now and then
    /// the release of the registered buffers or file table (see ``ReleaseNode``).
    private mutating func plainLeaf(_ owners: [Int]) -> Node {
        let w = world
        let offset: UInt64 = rng.chance(500) ? .max : UInt64(rng.below(16))
        // Indices into the registered table: pipeRead, pipeWrite, socket, file.
        let readable = [0, 2, 3][rng.below(3)], writable = [1, 2, 3][rng.below(3)]
        let readFD = w.registeredDescriptors[readable], writeFD = w.registeredDescriptors[writable]
        if rng.chance(40) {
            shared.register(ledger)
            let resource: ReleaseNode.Resource = rng.chance(500) ? .buffers : .files
            let async = rng.chance(500)
            guard rng.chance(700) else { return ReleaseNode(resource, async: async, shared: shared, ledger: ledger, owners: owners) }
            let releaseID = ledger.newProbe()
            let release = Probe(id: releaseID, node: ReleaseNode(resource, async: async, shared: shared,
                                                                  ledger: ledger, owners: owners + [releaseID]))
            // Beside an operation that uses the resource, so that the release mostly finds it in flight.
            let user: PlainOpNode.Kind = resource == .buffers ? (rng.chance(500) ? .readFixed(readFD) : .writeFixed(writeFD))
                : (rng.chance(500) ? .readTable(readable) : .writeTable(writable))
            let userID = ledger.newProbe()
            let node = PlainOpNode(user, shared: shared, count: rng.pick(1...2), orphanAt: nil, ledger: ledger, owners: owners + [userID])
            return JoinNode(Probe(id: userID, node: node), release, ledger: ledger, owners: owners)
        }
        let treeName = { (rng: inout SimRandom) in w.tree + ["/a", "/b", "/d", "/d/e"][rng.below(4)] }
        let kind: PlainOpNode.Kind
        switch rng.below(12) {
        case 0: kind = .readv(readFD, offset: readFD == w.file ? offset : .max)
        case 1: kind = .writev(writeFD, offset: writeFD == w.file ? offset : .max)
        case 2: kind = rng.chance(700) ? .receiveDatagram : .recvmsg(w.socket)
        case 3:
            switch rng.below(3) {
            case 0: kind = .sendmsg(w.udpSender, to: .loopback(port: w.udpPort))
            case 1: kind = .sendmsg(w.udpSender, to: .loopback(port: w.udpPort &+ 7))  // nobody there: lost
            default: kind = .sendmsg(w.socket, to: nil)
            }
        case 4:
            switch rng.below(4) {
            case 0: kind = .statx(w.path)
            case 1: kind = .statx(treeName(&rng))
            case 2: kind = .statx("/sim/missing")
            default: kind = .statxOpen(w.file)
            }
        case 5: kind = .unlink(treeName(&rng), directory: rng.chance(400))
        case 6: kind = .rename(treeName(&rng), to: treeName(&rng), replacing: rng.chance(500))
        case 7: kind = .mkdir(treeName(&rng))
        case 8:
            let how: IO.Shutdown.How = [.read, .write, .both][rng.below(3)]
            kind = .shutdown(rng.chance(800) ? w.shutdownSocket : w.udpSender, how)
        case 9: kind = rng.chance(500) ? .readFixed(readFD) : .readFixedOnTable(readable)
        case 10: kind = rng.chance(500) ? .writeFixed(writeFD) : .writeFixedOnTable(writable)
        default: kind = rng.chance(500) ? .readTable(readable) : .writeTable(writable)
        }
        if kind.usesRegisteredResources { shared.register(ledger) }
        let count = rng.pick(1...2)
        let orphanAt = rng.chance(120) ? rng.pick(1...count) : nil
        return PlainOpNode(kind, shared: shared, count: count, orphanAt: orphanAt, ledger: ledger, owners: owners)
    }
}
