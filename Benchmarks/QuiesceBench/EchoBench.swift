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

    static func quiesce(_ config: Config, connections: Int, messages: Int) -> EchoResult {
        run(connections: connections, messages: messages) { listenFD in
            let executor = try! Executor(entries: config.entries)
            try! executor.blockOn(EchoServer(listenFD: listenFD, connections: connections))
        }
    }

    static func raw(_ config: Config, connections: Int, messages: Int) -> EchoResult {
        run(connections: connections, messages: messages) { listenFD in
            let rc = crr_echo_server(config.entries, listenFD, UInt32(connections), 4096)
            if rc < 0 { fail("raw echo server: errno \(-rc)") }
        }
    }

    private static func run(connections: Int, messages: Int, server: (Int32) -> Void) -> EchoResult {
        let listenFD = try! Sockets.listen(on: SocketAddress.loopback(port: 0))
        defer { close(listenFD) }
        let port = try! Sockets.localAddress(listenFD).port
        guard let generator = crr_loadgen_start(port, UInt32(connections), UInt32(messages), size) else {
            fail("cannot start the load generator thread")
        }
        server(listenFD)
        var elapsed: Int64 = 0
        var echoed: UInt64 = 0
        var latencies: UnsafePointer<UInt64>? = nil
        let rc = crr_loadgen_join(generator, &elapsed, &echoed, &latencies)
        defer { crr_loadgen_free(generator) }
        if rc < 0 { fail("load generator: errno \(-rc)") }
        let samples = UnsafeMutablePointer(mutating: latencies!)
        return EchoResult(messagesPerSecond: Double(echoed) / (Double(elapsed) / 1e9),
                          latency: Percentiles(samples, count: Int(echoed)))
    }
}
