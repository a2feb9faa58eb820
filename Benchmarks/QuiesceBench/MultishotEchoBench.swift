#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// 6b. TCP echo with multishot receive from a provided-buffer ring (issue 17), 64-byte messages,
/// 50 connections, closed loop, the same C load generator as ``EchoBench``: the QuiesceEcho example
/// with `--multishot-recv` (a child process) against a raw liburing loop with the same features
/// (multishot accept, one multishot receive per connection from a ring of the same shape, the
/// references' best ring setup), and against the simple raw loop (plain recv into a buffer per
/// connection). Also what an idle connection costs the server: receive-buffer bytes it pins (the
/// server's own stats line, SIGUSR1) and the growth of its data segment (the kernel's VmData).
enum MultishotEchoBench {
    /// The receive ring on both sides: the QuiesceEcho example's defaults, 1024 buffers of 16 KiB.
    static let ringBuffers = 1024
    static let ringBufferSize = 16 * 1024

    /// The example's flags for a receive ring of this shape.
    static let exampleArguments = ["--multishot-recv", "--ring-buffers", String(ringBuffers), "--ring-buffer-size", String(ringBufferSize)]

    /// The QuiesceEcho example with `--multishot-recv`, run as a child process.
    static func example(_ path: String, connections: Int, messages: Int) -> EchoResult {
        let server = EchoProcess(path, arguments: exampleArguments)
        let result = EchoBench.load(port: server.port, connections: connections, messages: messages, depth: 1) {}
        server.stop()
        return result
    }

    /// The in-process equivalent of the example (``MultishotEchoServer``) on an executor on this thread.
    static func quiesce(_ config: Config, connections: Int, messages: Int) -> EchoResult {
        EchoBench.run(connections: connections, messages: messages) { listenFD in
            let executor = makeExecutor(entries: config.entries)
            let ring: ProvidedBufferRing
            do { ring = try executor.driver.registerBufferRing(count: ringBuffers, size: ringBufferSize) } catch {
                fail("register buffer ring: \(error)")
            }
            runToEnd(executor, MultishotEchoServer(listenFD: listenFD, connections: connections, ring: ring,
                                                   sendBuffers: IOBufferPool(bufferCapacity: ringBufferSize)))
        }
    }

    /// The raw liburing loop with multishot accept, multishot receive and a provided-buffer ring, on
    /// a ring set up as ``RingSetup/best`` says.
    static func raw(_ config: Config, connections: Int, messages: Int) -> EchoResult {
        EchoBench.run(connections: connections, messages: messages) { listenFD in
            let rc = crr_echo_multishot_server(config.entries, RingSetup.best.flags, listenFD, UInt32(connections),
                                               UInt32(ringBuffers), UInt32(ringBufferSize))
            if rc < 0 { fail("raw multishot echo server (\(RingSetup.best.flagNames)): errno \(-rc)") }
        }
    }

    /// CPU time per echoed message (ns) of the server alone, 50 connections: the example with
    /// `--multishot-recv` (its user and system time, read when it is reaped) against the raw
    /// multishot C loop (this thread's time; the load generator runs on another). On a busy machine
    /// this tells the two apart where the rates drown in noise. (Quiesce, C).
    static func cpuPerMessage(_ config: Config, example path: String) -> (quiesce: Double, reference: Double) {
        let messages = config.echoMessagesPerConnection50, count = Double(50 * messages)
        let before = childrenCPUNanos()
        _ = example(path, connections: 50, messages: messages)
        let quiesce = Double(childrenCPUNanos() - before) / count
        let start = threadCPUNanos()
        _ = raw(config, connections: 50, messages: messages)
        let reference = Double(threadCPUNanos() - start) / count
        return (quiesce, reference)
    }


    /// Heap allocations per echoed message in steady state (in process): two runs that differ only
    /// in their message count, so what a connection and the ring cost once cancels out.
    static func allocationsPerMessage(_ config: Config) -> Double {
        let connections = 50
        let few = Swift.max(1, config.echoMessagesPerConnection50 / 4), many = config.echoMessagesPerConnection50
        return AllocBench.steadyStatePerUnit(few: few, many: many, unitsPerRound: connections) { messages in _ = quiesce(config, connections: connections, messages: messages) }
    }

    /// What `connections` idle connections cost the example server, from its stats lines.
    struct IdleCost {
        /// Receive-buffer bytes the connections pin, per connection: the ring's buffers out of the
        /// pool while they are idle, times the buffer size, over the connections.
        var receiveBytesPerConnection: Double
        /// Growth of the server's data segment (VmData: heap and anonymous mappings, touched or
        /// not) per connection.
        var dataBytesPerConnection: Double
        /// Growth of the server's resident memory (VmRSS) per connection.
        var residentBytesPerConnection: Double
        /// The shared receive pool's bytes (0 without a ring).
        var poolBytes: Int
        /// Send buffers the server made by then (0 without a ring).
        var sendBuffers: Int
    }

    /// Starts the example (with `arguments`) and opens one connection that echoes a message (so
    /// what the server makes once, for the first connection, exists), reads its stats, opens
    /// `connections` more connections that each echo one 64-byte message and then stay open doing
    /// nothing, and reads its stats again.
    static func idleCost(_ path: String, arguments: [String], connections: Int) -> IdleCost {
        let server = EchoProcess(path, arguments: arguments)
        guard let address = SocketAddress(host: "127.0.0.1", port: server.port) else { fail("loopback address") }
        var clients: [Int32] = []
        let message = [UInt8](repeating: 0x78, count: Int(EchoBench.size))
        var before = EchoProcess.Stats()
        for i in 0...connections {
            if i == 1 { before = server.stats() }
            let fd: Int32
            do { fd = try Sockets.tcp(for: address) } catch { fail("idle connection: \(error)") }
            clients.append(fd)
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            _ = unsafe setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard unsafe address.withSockAddr({ unsafe connect(fd, $0, $1) }) == 0 else { fail("idle connection: connect errno \(errno)") }
            guard unsafe send(fd, message, message.count, Int32(MSG_NOSIGNAL)) == message.count else { fail("idle connection: send errno \(errno)") }
            var echoed = 0, reply = [UInt8](repeating: 0, count: message.count)
            while echoed < message.count {
                let n = unsafe recv(fd, &reply[echoed], message.count - echoed, 0)
                if n <= 0 { fail("idle connection: no echo (recv \(n), errno \(errno))") }
                echoed += n
            }
        }
        let after = server.stats()
        for fd in clients { close(fd) }
        server.stop()
        if after.tasks - before.tasks != connections {
            fail("the server has \(after.tasks - before.tasks) more tasks, not one per connection (\(connections))")
        }
        let n = Double(connections)
        return IdleCost(receiveBytesPerConnection: Double(after.receiveBuffersOut * after.receiveBufferSize) / n,
                        dataBytesPerConnection: Double(after.dataBytes - before.dataBytes) / n,
                        residentBytesPerConnection: Double(after.residentBytes - before.residentBytes) / n,
                        poolBytes: after.receivePoolBytes, sendBuffers: after.sendBuffers)
    }

    /// Idle connections the memory figures open (smoke mode: a few).
    static func idleConnections(_ config: Config) -> Int { config.smoke ? 20 : 500 }

    /// The figures of this benchmark, measured one repetition at a time.
    struct Figures {
        var rate: Figure
        var vsSimple: Figure
        var idleReceive: Figure
        var idleHeap: Figure
        var allocations: Figure
        /// The shared pool's size and the send buffers made, from the last memory measurement.
        var poolBytes = 0, sendBuffers = 0
        /// Idle connections the memory figures open.
        let idleCount: Int

        init(_ config: Config) {
            let multishotC = "raw liburing (C), multishot accept + multishot recv, \(ringBuffers) × \(ringBufferSize / 1024) KiB buffer ring, " + RingSetup.best.flagNames
            rate = Figure(id: "echo_multishot", title: "TCP echo 64 B, 50 conn, multishot recv + buffer ring", unit: "msgs/s", higherIsBetter: true,
                          referenceName: multishotC, minRatio: 0.95, targetText: "≥ 0.95×")
            vsSimple = Figure(id: "echo_multishot_vs_simple", title: "TCP echo 64 B, 50 conn, multishot recv + buffer ring (simple C loop)", unit: "msgs/s",
                              higherIsBetter: true, referenceName: "raw liburing (C), plain recv, " + RingSetup.best.description, minRatio: nil, targetText: "—")
            let n = idleConnections(config)
            idleCount = n
            idleReceive = Figure(id: "idle_recv_bytes_multishot", title: "Receive-buffer bytes pinned per idle connection, multishot recv (\(n) idle)",
                                 unit: "B/conn", higherIsBetter: false, referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
            idleHeap = Figure(id: "idle_data_bytes_multishot", title: "Server memory (VmData growth) per idle connection, multishot recv (\(n) idle)", unit: "B/conn",
                              higherIsBetter: false, referenceName: "QuiesceEcho without --multishot-recv (a receive buffer per connection)",
                              minRatio: nil, targetText: "—")
            allocations = Figure(id: "allocs_echo_multishot", title: "Heap allocations per echoed message, multishot recv (steady state)", unit: "allocs/msg",
                                 higherIsBetter: false, referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
        }

        /// One repetition: the three echo loops (the QuiesceEcho example, or the in-process server
        /// when `example` is nil), the idle-connection costs (only with the example) and, when
        /// `counting`, the allocations.
        mutating func measure(rep: Int, _ config: Config, example: String?, counting: Bool) {
            let messages = config.echoMessagesPerConnection50
            pair(rep, {
                let r = example.map { MultishotEchoBench.example($0, connections: 50, messages: messages) }
                    ?? MultishotEchoBench.quiesce(config, connections: 50, messages: messages)
                rate.quiesce.add(r.messagesPerSecond); vsSimple.quiesce.add(r.messagesPerSecond)
            }, {
                rate.reference.add(MultishotEchoBench.raw(config, connections: 50, messages: messages).messagesPerSecond)
                vsSimple.reference.add(EchoBench.raw(config, connections: 50, messages: messages).messagesPerSecond)
            })
            log("  echo multishot×50: \(Format.human(rate.quiesce.values.last!)) vs \(Format.human(rate.reference.values.last!)) (multishot C), \(Format.human(vsSimple.reference.values.last!)) (simple C) msgs/s")
            if let example {
                let multishot = MultishotEchoBench.idleCost(example, arguments: exampleArguments, connections: idleCount)
                let plain = MultishotEchoBench.idleCost(example, arguments: [], connections: idleCount)
                idleReceive.quiesce.add(multishot.receiveBytesPerConnection)
                idleHeap.quiesce.add(multishot.dataBytesPerConnection); idleHeap.reference.add(plain.dataBytesPerConnection)
                poolBytes = multishot.poolBytes; sendBuffers = multishot.sendBuffers
                log("  idle connection: \(Format.fixed(multishot.receiveBytesPerConnection, 0)) receive-buffer B pinned; VmData \(Format.fixed(multishot.dataBytesPerConnection, 0)) B, VmRSS \(Format.fixed(multishot.residentBytesPerConnection, 0)) B (multishot) vs VmData \(Format.fixed(plain.dataBytesPerConnection, 0)) B, VmRSS \(Format.fixed(plain.residentBytesPerConnection, 0)) B (plain)")
            }
            if counting {
                allocations.quiesce.add(MultishotEchoBench.allocationsPerMessage(config))
                log("  allocs: echo multishot \(allocations.quiesce.values.last!)")
            }
        }

        /// The figures measured (memory only with the example, allocations only when counted).
        var all: [Figure] {
            [rate, vsSimple] + (idleHeap.quiesce.values.isEmpty ? [] : [idleReceive, idleHeap])
                + (allocations.quiesce.values.isEmpty ? [] : [allocations])
        }

        /// What the report says about them.
        func note(example: String?) -> String {
            var text = "Echo with multishot recv: the Quiesce side is " + (example != nil ? "the QuiesceEcho example with `--multishot-recv`" : "the in-process MultishotEchoServer")
                + " (MultishotEcho: one multishot receive per connection from a \(ringBuffers) × \(ringBufferSize / 1024) KiB provided-buffer ring shared by every connection, each lease copied into a send buffer from a shared pool and given back at once); the reference is Benchmarks/CRawRing/echo_multishot_server.c (multishot accept, one multishot receive per connection from a ring of the same shape, each buffer sent back from where it lies and returned once sent), and the simple C loop is the echo_50_rate reference."
            if example != nil {
                text += " Idle connections: the example is started with and without `--multishot-recv`; one connection echoes a message, the server's stats line (SIGUSR1) is read, \(idleCount) more connections each echo one 64-byte message and stay open, and the stats are read again. Receive-buffer bytes pinned = ring buffers out of the pool (picked by the kernel and not given back) × buffer size / connections (MultishotEcho owns no receive buffer); memory = growth of the server's VmData (/proc/PID/status: heap and anonymous mappings, touched or not; malloc grows it in steps of about 128 KiB) / connections. VmRSS, which the log prints, grows by about one page per connection with or without a ring: without, the touched page of the connection's own 16 KiB buffer; with, a ring buffer's page touched for the first time (the kernel picks the ring's buffers in turn), bounded by the pool. The receive pool is shared: \(poolBytes) bytes whatever the number of connections; the send pool had made \(sendBuffers) buffer(s) of \(ringBufferSize) bytes."
            }
            return text
        }
    }
}

/// The QuiesceEcho example as a child process: its port from its first line, its stats on SIGUSR1.
struct EchoProcess {
    let child: ChildProcess
    let port: UInt16

    /// One `stats ...` line of the example.
    struct Stats {
        /// Live tasks: the accept loop and one per connection.
        var tasks = 0
        var receiveBuffersOut = 0, receiveBufferSize = 0, receivePoolBytes = 0, sendBuffers = 0
        /// VmData and VmRSS of the process (/proc/PID/status), in bytes.
        var dataBytes = 0, residentBytes = 0
    }

    /// Starts `path --port 0` with `arguments`, or stops the benchmark with a message.
    init(_ path: String, arguments: [String]) {
        child = ChildProcess([path, "--port", "0"] + arguments)
        guard let line = child.readLine(timeoutMilliseconds: 10_000), line.hasPrefix("listening on "),
              let colon = line.lastIndex(of: ":"), let port = UInt16(line[line.index(after: colon)...]) else {
            child.stop(signal: SIGKILL)
            fail("\(child.command) did not say where it listens")
        }
        self.port = port
    }

    /// Asks the server for its stats (SIGUSR1) and reads the line, then its memory from the kernel
    /// (it has printed the line, so it is idle); stops the benchmark when no line comes within 10 s
    /// (an example built without SIGUSR1 stats).
    func stats() -> Stats {
        kill(child.pid, SIGUSR1)
        while let line = child.readLine(timeoutMilliseconds: 10_000) {
            guard line.hasPrefix("stats ") else { continue }
            var fields: [Substring: Int] = [:]
            for field in line.split(separator: " ").dropFirst() {
                let parts = field.split(separator: "=")
                if parts.count == 2, let value = Int(parts[1]) { fields[parts[0]] = value }
            }
            guard let tasks = fields["tasks"] else { break }
            let memory = statusKilobytes(["VmData:", "VmRSS:"])
            return Stats(tasks: tasks, receiveBuffersOut: fields["receive_buffers_out"] ?? 0,
                         receiveBufferSize: fields["receive_buffer_size"] ?? 0, receivePoolBytes: fields["receive_pool_bytes"] ?? 0,
                         sendBuffers: fields["send_buffers"] ?? 0, dataBytes: memory[0] * 1024, residentBytes: memory[1] * 1024)
        }
        child.stop(signal: SIGKILL)
        fail("\(child.command) printed no stats line on SIGUSR1")
    }

    /// The values (kB) of the `keys` lines of /proc/PID/status, in order, or the benchmark stops.
    private func statusKilobytes(_ keys: [String]) -> [Int] {
        let fd = unsafe open("/proc/\(child.pid)/status", O_RDONLY)
        guard fd >= 0 else { fail("/proc/\(child.pid)/status: errno \(errno)") }
        defer { close(fd) }
        var text = [UInt8](repeating: 0, count: 16_384)
        let n = unsafe read(fd, &text, text.count)
        guard n > 0 else { fail("/proc/\(child.pid)/status: errno \(errno)") }
        let lines = String(decoding: text[0..<n], as: UTF8.self).split(separator: "\n")
        return keys.map { key in
            guard let line = lines.first(where: { $0.hasPrefix(key) }),
                  let value = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
                fail("/proc/\(child.pid)/status has no \(key)")
            }
            return value
        }
    }

    /// SIGTERM, and the benchmark stops unless the server exits cleanly.
    func stop() {
        let status = child.stop(signal: SIGTERM)
        if status != 0 { fail("\(child.command) exited with status \(status)") }
    }
}

extension ChildProcess {
    /// The next line of output, or nil at its end or when none starts within `timeoutMilliseconds`.
    func readLine(timeoutMilliseconds: Int32) -> String? {
        var ready = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        guard unsafe poll(&ready, 1, timeoutMilliseconds) == 1 else { return nil }
        return readLine()
    }
}
