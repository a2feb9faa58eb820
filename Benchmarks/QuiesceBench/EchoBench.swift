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

/// 6. TCP echo, 64-byte messages, closed loop (one message in flight per connection), 1 and 50
/// connections: the C load generator on its own thread against a Quiesce echo server on the
/// executor (this thread) or a raw liburing echo server (this thread).
enum EchoBench {
    static let size: UInt32 = 64

    static func quiesce(_ config: Config, connections: Int, messages: Int, composed: Bool = false) -> EchoResult {
        run(connections: connections, messages: messages) { listenFD in
            let executor = makeExecutor(entries: config.entries)
            runToEnd(executor, EchoServer(listenFD: listenFD, connections: connections, composed: composed))
        }
    }

    /// Heap allocations per echoed message in steady state: two in-process runs that differ only in
    /// their message count, so what a connection costs once (accept, task, buffer) cancels out.
    static func allocationsPerMessage(_ config: Config, composed: Bool) -> Double {
        let connections = 50
        let few = Swift.max(1, config.echoMessagesPerConnection50 / 4), many = config.echoMessagesPerConnection50
        func counted(_ messages: Int) -> UInt64 {
            crr_alloc_counting(1)
            let before = crr_alloc_count()
            _ = quiesce(config, connections: connections, messages: messages, composed: composed)
            let after = crr_alloc_count()
            crr_alloc_counting(0)
            return after - before
        }
        _ = counted(few)  // warm up (runtime metadata, pools)
        let a = counted(few), b = counted(many)
        return (Double(b) - Double(a)) / Double((many - few) * connections)
    }

    static func raw(_ config: Config, connections: Int, messages: Int) -> EchoResult {
        run(connections: connections, messages: messages) { listenFD in
            let rc = crr_echo_server(config.entries, listenFD, UInt32(connections), 4096)
            if rc < 0 { fail("raw echo server: errno \(-rc)") }
        }
    }

    /// The QuiesceEcho example executable, run as a child process (its own executor, its own ring).
    static func example(_ path: String, connections: Int, messages: Int) -> EchoResult {
        var port: UInt16 = 0
        var output: Int32 = -1
        let pid = unsafe crr_server_start(path, &port, &output)
        if pid < 0 { fail("cannot start \(path): errno \(-pid)") }
        let result = load(port: port, connections: connections, messages: messages) {}
        let status = crr_server_stop(pid, output)
        if status != 0 { fail("\(path) exited with status \(status)") }
        return result
    }

    /// Where the QuiesceEcho example was built: next to this executable. nil when it is not there.
    static func examplePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = unsafe readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let me = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = me.lastIndex(of: "/") else { return nil }
        let path = String(me[..<slash]) + "/QuiesceEcho"
        return unsafe access(path, X_OK) == 0 ? path : nil
    }

    private static func run(connections: Int, messages: Int, server: (Int32) -> Void) -> EchoResult {
        let listenFD: Int32
        let port: UInt16
        do {
            listenFD = try Sockets.listen(on: SocketAddress.loopback(port: 0))
            port = try Sockets.localAddress(listenFD).port
        } catch { fail("listening socket: \(error)") }
        defer { close(listenFD) }
        return load(port: port, connections: connections, messages: messages) { server(listenFD) }
    }

    /// Runs the load generator against `port` while `serve` runs on this thread.
    private static func load(port: UInt16, connections: Int, messages: Int, serve: () -> Void) -> EchoResult {
        // SAFETY: after the join, the generator's `latencies` holds `echoed` samples, read (and
        // sorted in place) by `Percentiles` before the deferred `crr_loadgen_free` releases them.
        guard let generator = unsafe crr_loadgen_start(port, UInt32(connections), UInt32(messages), size) else {
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
