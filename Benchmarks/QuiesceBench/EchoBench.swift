#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// What one echo run measured.
struct EchoResult {
    var messagesPerSecond = 0.0
    var latency: Percentiles
}

/// 6. TCP echo, 64-byte messages, closed loop (`depth` messages sent together per connection, all
/// echoed before the next go out), 1 and 50 connections: the C load generator on its own thread
/// against a Quiesce echo server on the executor (this thread), the QuiesceEcho example (a child
/// process) or a raw liburing echo server (this thread).
enum EchoBench {
    static let size: UInt32 = 64

    static func quiesce(_ config: Config, connections: Int, messages: Int, depth: Int = 1, composed: Bool = false,
                        serverStarted: () -> Void = {}, serverEnded: () -> Void = {}) -> EchoResult {
        run(connections: connections, messages: messages, depth: depth) { listenFD in
            let executor = makeExecutor(entries: config.entries)
            serverStarted()
            runToEnd(executor, EchoServer(listenFD: listenFD, connections: connections, composed: composed))
            serverEnded()
        }
    }

    /// CPU time per echoed message (ns) of the in-process server alone, 50 connections: this
    /// thread's user and system time while it serves (the load generator runs on another thread).
    /// On a busy machine this tells two servers apart where their rates drown in noise.
    static func serverCPUPerMessage(_ config: Config, composed: Bool) -> Double {
        measured(config, composed: composed).cpuPerMessage
    }

    /// CPU time per echoed message (ns) of each server alone, 50 connections, `depth` messages per
    /// write: the QuiesceEcho example (its user and system time, read when it is reaped) against the
    /// raw C loop (this thread's time; the load generator runs on another). (Quiesce, C).
    static func exampleCPUPerMessage(_ config: Config, example path: String, messages: Int, depth: Int) -> (quiesce: Double, reference: Double) {
        let count = Double(50 * messages)
        let before = childrenCPUNanos()
        _ = example(path, connections: 50, messages: messages, depth: depth)
        let quiesce = Double(childrenCPUNanos() - before) / count
        let start = threadCPUNanos()
        _ = raw(config, connections: 50, messages: messages, depth: depth)
        return (quiesce, Double(threadCPUNanos() - start) / count)
    }

    /// One in-process run, 50 connections: its rate (messages per second) and the server thread's
    /// CPU time per message (ns).
    static func measured(_ config: Config, composed: Bool) -> (rate: Double, cpuPerMessage: Double) {
        let messages = config.echoMessagesPerConnection50
        var start: UInt64 = 0, end: UInt64 = 0
        let result = quiesce(config, connections: 50, messages: messages, composed: composed,
                             serverStarted: { start = threadCPUNanos() }, serverEnded: { end = threadCPUNanos() })
        return (result.messagesPerSecond, Double(end - start) / Double(50 * messages))
    }

    /// Heap allocations per echoed message in steady state: two in-process runs that differ only in
    /// their message count, so what a connection costs once (accept, task, buffer) cancels out.
    static func allocationsPerMessage(_ config: Config, composed: Bool) -> Double {
        let connections = 50
        let few = Swift.max(1, config.echoMessagesPerConnection50 / 4), many = config.echoMessagesPerConnection50
        return AllocBench.steadyStatePerUnit(few: few, many: many, unitsPerRound: connections) { messages in
            _ = quiesce(config, connections: connections, messages: messages, composed: composed)
        }
    }

    /// The in-process server alone on `port` (loopback; 0: a free port), until `connections` have
    /// come and gone: Quiesce's (the composed or the hand-written connection) or, with `raw`, the raw
    /// C loop of the echo figures (``RingSetup/best``). Prints `listening on PORT` once it listens.
    static func serve(_ config: Config, port: UInt16, connections: Int, composed: Bool, raw: Bool = false) {
        let listenFD: Int32
        let bound: UInt16
        do {
            listenFD = try Sockets.listen(on: SocketAddress.loopback(port: port))
            bound = try Sockets.localAddress(listenFD).port
        } catch { fail("listening socket: \(error)") }
        defer { close(listenFD) }
        let line = "listening on \(bound)\n"
        _ = unsafe write(1, line, line.utf8.count)  // unbuffered: the reader waits for it
        if raw {
            let setup = RingSetup.best
            let rc = crr_echo_server(config.entries, setup.flags, setup.multishotAccept ? 1 : 0, listenFD, UInt32(connections), 4096)
            if rc < 0 { fail("raw echo server (\(setup.description)): errno \(-rc)") }
            return
        }
        runToEnd(makeExecutor(entries: config.entries), EchoServer(listenFD: listenFD, connections: connections, composed: composed))
    }

    /// The raw liburing echo loop set up as `setup` says.
    static func raw(_ config: Config, setup: RingSetup = .best, connections: Int, messages: Int, depth: Int = 1) -> EchoResult {
        run(connections: connections, messages: messages, depth: depth) { listenFD in
            let rc = crr_echo_server(config.entries, setup.flags, setup.multishotAccept ? 1 : 0, listenFD, UInt32(connections), 4096)
            if rc < 0 { fail("raw echo server (\(setup.description)): errno \(-rc)") }
        }
    }

    /// The QuiesceEcho example executable, run as a child process (its own executor, its own ring).
    static func example(_ path: String, connections: Int, messages: Int, depth: Int = 1) -> EchoResult {
        var port: UInt16 = 0
        var output: Int32 = -1
        let pid = unsafe crr_server_start(path, &port, &output)
        if pid < 0 { fail("cannot start \(path): errno \(-pid)") }
        let result = load(port: port, connections: connections, messages: messages, depth: depth) {}
        let status = crr_server_stop(pid, output)
        if status != 0 { fail("\(path) exited with status \(status)") }
        return result
    }

    /// Where the QuiesceEcho example was built: next to this executable. nil when it is not there.
    static func examplePath() -> String? { siblingExecutable("QuiesceEcho") }

    /// Runs the load generator against a new loopback listening socket while `server` serves it
    /// (given the listening descriptor) on this thread.
    static func run(connections: Int, messages: Int, depth: Int = 1, server: (Int32) -> Void) -> EchoResult {
        let listenFD: Int32
        let port: UInt16
        do {
            listenFD = try Sockets.listen(on: SocketAddress.loopback(port: 0))
            port = try Sockets.localAddress(listenFD).port
        } catch { fail("listening socket: \(error)") }
        defer { close(listenFD) }
        return load(port: port, connections: connections, messages: messages, depth: depth) { server(listenFD) }
    }

    /// Runs the load generator against `port` while `serve` runs on this thread.
    static func load(port: UInt16, connections: Int, messages: Int, depth: Int, serve: () -> Void) -> EchoResult {
        // SAFETY: the load's request is nil (the generator sends 'x' bytes). After the join, the
        // generator's `latencies` holds `echoed` samples, read (and sorted in place) by
        // `Percentiles` before the deferred `crr_loadgen_free` releases them.
        var spec = unsafe crr_load(port: port, conns: UInt32(connections), msgs: UInt32(messages), depth: UInt32(depth),
                                   request: nil, request_len: size, reply_len: size, done_fd: -1)
        guard let generator = unsafe crr_loadgen_start(&spec) else {
            fail("cannot start the load generator thread")
        }
        serve()
        var elapsed: Int64 = 0
        var echoed: UInt64 = 0
        var latencies: UnsafePointer<UInt64>? = nil
        let rc = unsafe crr_loadgen_join(generator, &elapsed, &echoed, &latencies)
        defer { unsafe crr_loadgen_free(generator) }
        if rc < 0 { fail("load generator: errno \(-rc)") }
        let samples = unsafe UnsafeMutablePointer(mutating: latencies!)
        return unsafe EchoResult(messagesPerSecond: Double(echoed) / (Double(elapsed) / 1e9),
                          latency: Percentiles(samples, count: Int(echoed)))
    }
}

/// User-space instructions per echoed message of the in-process echo server (50 connections, 64-byte
/// messages): the composed connection (``echo(_:)``, the QuiesceEcho example's) against the
/// hand-written ``EchoConnection`` and against the raw C loop of the echo figures. valgrind runs the
/// server alone (`--only echoserver|echoservercomposed|rawechoserver`, one thread), this process the
/// load; each count is the difference of two runs with different message counts divided by the
/// difference, so accepting, spawning and closing cancel out.
struct EchoInstructions {
    var composed = 0.0, handWritten = 0.0, raw = 0.0

    /// The two message counts per connection.
    static let messages = (small: 200, large: 1_200)
    /// How the counts are taken, for the report's note.
    static let method = "user-space instructions per echoed message of the in-process server, 50 connections, counted by valgrind --tool=cachegrind on a copy of the release binary without debug info (`--only echoserver|echoservercomposed|rawechoserver`, the load from the harness), the difference of runs with \(messages.small) and \(messages.large) messages per connection divided by the difference; the kernel's instructions are not counted"

    /// Counts with valgrind, or the reason it cannot.
    static func measure() -> Result<EchoInstructions, InstructionCountsUnavailable> {
        InstructionCounter.perUnit(["echoservercomposed", "echoserver", "rawechoserver"], sizes: messages, unitsPerSize: 50) { counter, workload, perConnection in
            counter.count(["--only", workload]) { server in
                while let line = server.readLine() {
                    guard line.hasPrefix("listening on "), let port = UInt16(line.dropFirst("listening on ".count)) else { continue }
                    _ = EchoBench.load(port: port, connections: 50, messages: perConnection, depth: 1) {}
                    return true
                }
                return false
            }
        }.map { EchoInstructions(composed: $0["echoservercomposed"]!, handWritten: $0["echoserver"]!, raw: $0["rawechoserver"]!) }
    }
}
