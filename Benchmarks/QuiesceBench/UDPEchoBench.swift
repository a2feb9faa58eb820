#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// One lane of the Quiesce UDP echo server: receives a datagram with its sender
/// (``UDPSocket/receive(into:)``), sends it back to that sender from the same buffer
/// (``UDPSocket/send(_:to:from:)``), and receives again. Ready once it has echoed the load
/// generator's stop, an empty datagram.
struct UDPEchoLane: AsyncDroppable, ~Copyable {
    var buffer: IOBuffer? = IOBuffer(capacity: UDPEchoBench.bufferSize)
    var receive: RecvMsgOp? = nil
    var send: SendMsgOp? = nil
    /// Which of the two is live (a byte, where asking a large optional for `nil` copies it). A
    /// completed receive is released at once: it holds the socket's message memory, which the next
    /// receive of a lane reuses only once nothing else holds it. A completed send stays until the
    /// next one replaces it (it holds nothing once its buffer came back, and dropping it does nothing).
    var phase = UDPEchoLanePhase.idle
    var stopping = false

    init() {}

    mutating func poll(_ cx: inout Context, socket: borrowing UDPSocket) -> Poll<Void> {
        while true {
            if phase == .idle {
                receive.setInPlace(socket.receive(into: buffer.take()!))
                phase = .receiving
            }
            if phase == .receiving {
                switch receive!.poll(&cx) {
                case .pending: return .pending
                case .ready(let message):
                    receive.clearInPlace()
                    guard case .success(let n) = message.result, let peer = message.peer else { fail("UDP echo receive: \(message.result)") }
                    if n == 0 { stopping = true }
                    send.setInPlace(socket.send(message.buffer, to: peer))
                    phase = .sending
                }
            }
            switch send!.poll(&cx) {
            case .pending: return .pending
            case .ready(let sent):
                guard case .success = sent.result else { fail("UDP echo send: \(sent.result)") }
                phase = .idle
                var buffer = sent.buffer
                buffer.clear()
                self.buffer = .some(buffer)
                if stopping { return .ready(()) }
            }
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { DropGlue.join(&cx, &receive, &send) }
}

/// Which operation of a ``UDPEchoLane`` is live.
enum UDPEchoLanePhase: UInt8 {
    /// Neither: the next receive is made on the next turn.
    case idle
    /// The receive.
    case receiving
    /// The send of what it received.
    case sending
}

/// The socket the lanes of a ``UDPEchoServer`` share: each receives and sends on it.
final class SharedUDPSocket {
    let socket: UDPSocket
    init(_ socket: consuming UDPSocket) { self.socket = socket }
}

/// A lane as a member of the server's ``FutureSet``, with the shared socket.
struct UDPEchoLaneTask: Future, ~Copyable {
    let shared: SharedUDPSocket
    var lane = UDPEchoLane()

    init(_ shared: SharedUDPSocket) { self.shared = shared }

    mutating func poll(_ cx: inout Context) -> Poll<Void> { lane.poll(&cx, socket: shared.socket) }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { lane.pollDropReady(&cx) }
}

/// The Quiesce UDP echo server: ``UDPEchoBench/lanes`` lanes on one socket, so that as many
/// receives are in flight as in the raw C server, members of one ``FutureSet`` (each lane has a
/// waker of its own, so a completion gets its own lane polled, not all of them). When a lane has
/// echoed the stop, the other lanes' receives are cancelled and awaited, and the server is done;
/// the socket closes with it.
struct UDPEchoServer: Future, ~Copyable {
    var lanes = FutureSet<UDPEchoLaneTask>()
    var stopped = false

    init(socket: consuming UDPSocket, lanes count: Int) {
        let shared = SharedUDPSocket(socket)
        for _ in 0..<count { lanes.insert(UDPEchoLaneTask(shared)) }
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if !stopped {
            guard lanes.pollNext(&cx).isReady else { return .pending }
            stopped = true
        }
        return lanes.pollDropReady(&cx)
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { lanes.pollDropReady(&cx) }
}

/// What one UDP echo run measured.
struct UDPEchoResult {
    var datagramsPerSecond: Double
    /// The server thread's CPU time (user and system) per echoed datagram, in ns: what the server
    /// costs, apart from how the machine's other load shares the cores out.
    var serverNanosPerDatagram: Double
    /// Datagrams the load generator sent again because their echo had not come back in time.
    var resent: UInt64
}

extension Config {
    /// Datagrams each of the UDP echo's clients has echoed per run.
    var udpEchoDatagramsPerClient: Int { smoke ? 40 : 2_000 }
}

/// 6b. UDP echo, 64-byte datagrams, closed loop: ``clients`` client sockets, each with one datagram
/// in flight (the C load generator on its own thread, `udp_loadgen.c`), against the Quiesce server
/// (``UDPEchoServer`` on the executor, this thread) or the raw liburing UDP echo server
/// (`udp_echo_server.c`, this thread); both keep ``lanes`` receives in flight.
enum UDPEchoBench {
    static let size: UInt32 = 64
    static let clients = 50
    static let lanes = 16
    static let bufferSize = 2048
    /// How long a datagram's echo may take before the generator sends it again.
    static let resendMilliseconds: UInt32 = 50

    static func quiesce(_ config: Config, datagramsPerClient: Int) -> UDPEchoResult {
        let executor = makeExecutor(entries: config.entries)
        let socket = bound()
        // SAFETY: the generator is joined (and freed) exactly once, by `finish`.
        let generator = unsafe startLoad(port: port(of: socket), datagramsPerClient: datagramsPerClient)
        let start = threadCPUNanos()
        runToEnd(executor, UDPEchoServer(socket: socket, lanes: lanes))
        return unsafe finish(generator, serverNanos: threadCPUNanos() - start)
    }

    /// The raw liburing UDP echo loop set up as `setup` says (its accept choice does not apply).
    static func raw(_ config: Config, setup: RingSetup = .best, datagramsPerClient: Int) -> UDPEchoResult {
        let socket = bound()
        // SAFETY: the generator is joined (and freed) exactly once, by `finish`.
        let generator = unsafe startLoad(port: port(of: socket), datagramsPerClient: datagramsPerClient)
        let start = threadCPUNanos()
        let rc = crr_udp_echo_server(config.entries, setup.flags, socket.raw, UInt32(lanes), UInt32(bufferSize))
        let serverNanos = threadCPUNanos() - start
        if rc < 0 { fail("raw UDP echo server (\(setup.flagNames)): errno \(-rc)") }
        return unsafe finish(generator, serverNanos: serverNanos)
    }

    /// Heap allocations per echoed datagram in steady state: two runs of the Quiesce server that
    /// differ only in their datagram count, so what a run costs once (executor, socket, lanes,
    /// buffers, the generator's thread) cancels out.
    static func allocationsPerDatagram(_ config: Config) -> Double {
        let many = config.udpEchoDatagramsPerClient, few = Swift.max(1, many / 4)
        return AllocBench.steadyStatePerUnit(few: few, many: many, unitsPerRound: clients) { datagrams in _ = quiesce(config, datagramsPerClient: datagrams) }
    }

    private static func bound() -> UDPSocket {
        do { return try UDPSocket.bind(to: .loopback(port: 0)) } catch { fail("UDP socket: \(error)") }
    }

    private static func port(of socket: borrowing UDPSocket) -> UInt16 {
        do { return try socket.localAddress().port } catch { fail("UDP socket address: \(error)") }
    }

    private static func startLoad(port: UInt16, datagramsPerClient: Int) -> OpaquePointer {
        var load = crr_udp_load(port: port, clients: UInt32(clients), msgs: UInt32(datagramsPerClient), size: size,
                                resend_ms: resendMilliseconds)
        guard let generator = unsafe crr_udp_loadgen_start(&load) else { fail("cannot start the UDP load generator") }
        return unsafe generator
    }


    private static func finish(_ generator: OpaquePointer, serverNanos: UInt64) -> UDPEchoResult {
        var elapsed: Int64 = 0
        var echoed: UInt64 = 0, resent: UInt64 = 0
        let rc = unsafe crr_udp_loadgen_join(generator, &elapsed, &echoed, &resent)
        if rc < 0 { fail("UDP load generator: errno \(-rc)") }
        return UDPEchoResult(datagramsPerSecond: Double(echoed) / (Double(elapsed) / 1e9),
                             serverNanosPerDatagram: Double(serverNanos) / Double(Swift.max(echoed, 1)), resent: resent)
    }

    /// The figures: the throughput against the raw C server, and allocations per datagram.
    static func figures() -> (rate: Figure, allocations: Figure) {
        (Figure(id: "udp_echo", title: "UDP echo 64 B, \(clients) clients, throughput", unit: "datagrams/s", higherIsBetter: true,
                referenceName: "raw liburing (C), " + RingSetup.best.flagNames, minRatio: 0.95, targetText: "≥ 0.95×"),
         Figure(id: "allocs_udp_echo", title: "Heap allocations per echoed UDP datagram (steady state)", unit: "allocs/datagram",
                higherIsBetter: false, referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0))
    }

    /// One repetition of the throughput, both sides back to back (alternating which goes first).
    static func measure(rep: Int, _ config: Config, into figure: inout Figure) {
        let n = config.udpEchoDatagramsPerClient
        pair(rep, { figure.quiesce.add(quiesce(config, datagramsPerClient: n).datagramsPerSecond) },
             { figure.reference.add(raw(config, datagramsPerClient: n).datagramsPerSecond) })
        log("  udp echo: \(Format.human(figure.quiesce.values.last!)) vs \(Format.human(figure.reference.values.last!)) datagrams/s")
    }

    /// Both sides once, in the order `rep` says (as ``pair(_:_:_:)`` does in a full run): `--pair
    /// udpecho` and `--pair udpechocpu` alternate which side goes first too.
    static func bothSides(_ config: Config, rep: Int) -> (quiesce: UDPEchoResult, reference: UDPEchoResult) {
        let n = config.udpEchoDatagramsPerClient
        var ours: UDPEchoResult? = nil, theirs: UDPEchoResult? = nil
        pair(rep, { ours = quiesce(config, datagramsPerClient: n) }, { theirs = raw(config, datagramsPerClient: n) })
        return (ours!, theirs!)
    }

    /// The report's note on the UDP echo.
    static let note = "UDP echo: \(clients) client sockets on a C load generator thread (epoll, each with one 64-byte datagram in flight, sent again after \(resendMilliseconds) ms without its echo; a late echo is recognised by its sequence number and ignored), against the Quiesce server (an in-process UDPSocket with \(lanes) receive-then-send-back lanes, members of one FutureSet, on the executor, this thread) and the raw C liburing server (\(lanes) recvmsg/sendmsg lanes, \(RingSetup.best.flagNames)); an empty datagram, sent until echoed, stops either server."
}
