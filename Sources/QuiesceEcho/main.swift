// A TCP echo server on the Quiesce executor: one task per connection, every byte through io_uring.
//
//   swift run QuiesceEcho [--port N] [--bind HOST] [--multishot-recv [--ring-buffers N] [--ring-buffer-size B]]
//
// Connections are accepted by one multishot accept (one submission, one completion per connection).
// Each connection receives into a 16 KiB buffer of its own (the composed `echo` of QuiesceEchoCore);
// with --multishot-recv it receives instead with one multishot receive from a provided-buffer ring
// shared by every connection (default 1024 buffers of 16 KiB) and sends from a pool of buffers
// shared by every connection, so an idle connection pins no buffer at all (`MultishotEcho`).
//
// Prints `listening on HOST:PORT`, then echoes until SIGINT or SIGTERM. A thread waits for the signal
// (sigwait) and tells the loop through the executor's RemoteHandle, which wakes the ring; shutdown then
// async-drops every connection (its recv or send is cancelled and awaited, its socket closed) before
// the process exits. SIGUSR1 prints one `stats ...` line (see `Stats`) and the server goes on.
import Foundation  // Thread, for the signal-waiting thread
import Quiesce
import QuiesceEchoCore
#if canImport(Glibc)
import Glibc
#endif

/// The signal that stops the server, set on the loop thread by a remote job.
final class StopRequest: @unchecked Sendable {  // touched only on the executor's thread
    var signal: Int32?
    var waker: Waker?
}

/// What the server holds, printed as one line on SIGUSR1 (the benchmark's idle-connection memory
/// figure reads it): `stats tasks=N receive_buffers_out=K receive_buffer_size=B receive_pool_bytes=P
/// send_buffers=S send_buffer_size=C`. Tasks are the live ones: the accept loop and one per
/// connection; receive
/// buffers out are the ring's buffers the kernel picked and nobody gave back yet (held by a
/// completion or a lease); the pool is the ring's memory; send buffers are those the send pool made
/// (kept or out). Without --multishot-recv the ring and pool fields are 0.
final class Stats: @unchecked Sendable {  // touched only on the executor's thread
    let ring: ProvidedBufferRing?
    let sendBuffers: IOBufferPool?

    init(ring: ProvidedBufferRing?, sendBuffers: IOBufferPool?) {
        self.ring = ring
        self.sendBuffers = sendBuffers
    }

    /// The stats line for `executor`.
    func line(_ executor: Executor) -> String {
        let out = ring.map { $0.count - $0.available } ?? 0
        return "stats tasks=\(executor.liveTaskCount)"
            + " receive_buffers_out=\(out) receive_buffer_size=\(ring?.size ?? 0) receive_pool_bytes=\((ring?.count ?? 0) * (ring?.size ?? 0))"
            + " send_buffers=\(sendBuffers?.created ?? 0) send_buffer_size=\(sendBuffers?.bufferCapacity ?? 0)"
    }
}

/// Accepts connections with one multishot accept and spawns an echo connection for each, until a
/// stop is requested; then it is ready with the signal's number. An accept error ends the multishot
/// accept: it is reported and a new one submitted (out of descriptors, the server stops instead:
/// retrying would spin). Its drop cancels the multishot accept (connections not taken are closed).
struct Server: Future, ~Copyable {
    let listener: Int32
    let stop: StopRequest
    /// The shared receive ring and send buffers (--multishot-recv), or `nil`: each connection has
    /// its own buffer.
    let ring: ProvidedBufferRing?
    let sendBuffers: IOBufferPool?
    var accepts: AcceptMultishotOp?

    mutating func poll(_ cx: inout Context) -> Poll<Int32> {
        if let signal = stop.signal { return .ready(signal) }
        stop.waker = cx.waker
        while true {
            if accepts == nil { accepts = IO.acceptMultishot(listener) }
            guard case .ready(let next) = accepts!.pollNext(&cx) else { return .pending }
            guard let result = next else { accepts = nil; continue }  // ended without an error: submit again
            switch result {
            case .success(let fd):
                var one: Int32 = 1
                _ = unsafe setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if let ring, let sendBuffers {
                    cx.executor?.spawn(MultishotEcho(Socket(adopting: fd), ring: ring, sendBuffers: sendBuffers), name: "echo").detach()
                } else {
                    cx.executor?.spawn(echo(Socket(adopting: fd)), name: "echo").detach()
                }
            case .failure(let error):
                if accepts?.isInFlight != true { accepts = nil }  // the error ended it: the next turn submits a new one
                cx.report(Diagnostic(.acceptFailed, "accept: \(error)"))
                if error.errno == EMFILE || error.errno == ENFILE { return .ready(0) }  // retrying would spin
            }
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { accepts.pollDropReady(&cx) }
}

func usage() -> Never {
    print("""
          usage: QuiesceEcho [--port N] [--bind HOST] [--multishot-recv [--ring-buffers N] [--ring-buffer-size B]]
            defaults: --port 0 picks a free port, --bind 127.0.0.1; --multishot-recv receives from one
            provided-buffer ring shared by every connection: --ring-buffers 1024 (a power of two)
            buffers of --ring-buffer-size 16384 bytes
          """)
    exit(2)
}

var port: UInt16 = 0
var host = "127.0.0.1"
var multishotRecv = false
var ringBuffers = 1024
var ringBufferSize = 16 * 1024
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--port":
        guard let text = arguments.popFirst(), let value = UInt16(text) else { usage() }
        port = value
    case "--bind":
        guard let text = arguments.popFirst() else { usage() }
        host = text
    case "--multishot-recv":
        multishotRecv = true
    case "--ring-buffers":
        guard let text = arguments.popFirst(), let value = Int(text), value > 0, value & (value - 1) == 0 else { usage() }
        ringBuffers = value
    case "--ring-buffer-size":
        guard let text = arguments.popFirst(), let value = Int(text), value > 0 else { usage() }
        ringBufferSize = value
    case "-h", "--help":
        usage()
    default:
        print("unknown argument \(flag)")
        usage()
    }
}
/// The shared receive ring's shape under --multishot-recv, or `nil`.
let ringShape: (count: Int, size: Int)? = multishotRecv ? (ringBuffers, ringBufferSize) : nil
guard let address = SocketAddress(host: host, port: port) else {
    print("--bind needs a numeric IPv4 or IPv6 address, not \(host)")
    exit(2)
}

// SIGINT, SIGTERM and SIGUSR1 are blocked in every thread and taken by one waiting thread instead.
var signals = sigset_t()
unsafe sigemptyset(&signals)
unsafe sigaddset(&signals, SIGINT)
unsafe sigaddset(&signals, SIGTERM)
unsafe sigaddset(&signals, SIGUSR1)
unsafe pthread_sigmask(SIG_BLOCK, &signals, nil)

/// Runs the server until a signal; untyped throws so the executor's and the socket's errors mix.
func serve() throws {
    let executor = try Executor(entries: 1024)
    let ring = try ringShape.map { shape throws(IOError) in try executor.driver.registerBufferRing(count: shape.count, size: shape.size) }
    let sendBuffers = ringShape.map { IOBufferPool(bufferCapacity: $0.size) }
    let stats = Stats(ring: ring, sendBuffers: sendBuffers)
    let listener = try Sockets.listen(on: address)
    let bound = try Sockets.localAddress(listener)
    let stop = StopRequest()
    let remote = try executor.remoteHandle()
    let waiter = Thread {
        var set = sigset_t()
        unsafe sigemptyset(&set)
        unsafe sigaddset(&set, SIGINT)
        unsafe sigaddset(&set, SIGTERM)
        unsafe sigaddset(&set, SIGUSR1)
        var received: Int32 = 0
        while unsafe sigwait(&set, &received) == 0 && received == SIGUSR1 {
            remote.execute { executor in
                print(stats.line(executor))
                fflush(nil)
            }
        }
        let signo = received
        remote.execute { _ in
            stop.signal = signo
            stop.waker?.wake()
        }
    }
    waiter.start()
    print("listening on \(bound)")  // kept exactly so: the benchmark reads the port from this line
    fflush(nil)
    let signo = try executor.blockOn(Server(listener: listener, stop: stop, ring: ring, sendBuffers: sendBuffers))
    let live = executor.liveTaskCount
    let report = executor.shutdown(deadline: 2_000_000_000)
    close(listener)
    print("signal \(signo): closed \(live) connection(s); shutdown \(report.isClean ? "clean" : "left \(report)")")
}

do {
    try serve()
} catch {
    print("echo server failed: \(error)")
    exit(1)
}
