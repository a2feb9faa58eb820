// A TCP echo server on the Quiesce executor: one task per connection, every byte through io_uring.
//
//   swift run QuiesceEcho [--port N] [--bind HOST]
//
// Prints `listening on HOST:PORT`, then echoes until SIGINT or SIGTERM. A thread waits for the signal
// (sigwait) and tells the loop through the executor's RemoteHandle, which wakes the ring; shutdown then
// async-drops every connection (its recv or send is cancelled and awaited, its socket closed) before
// the process exits.
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

/// Accepts connections and spawns an ``EchoConnection`` for each, until a stop is requested; then it
/// is ready with the signal's number. Its drop cancels the pending accept.
struct Server: Future, ~Copyable {
    let listener: Int32
    let stop: StopRequest
    var accept: AcceptOp?

    mutating func poll(_ cx: inout Context) -> Poll<Int32> {
        if let signal = stop.signal { return .ready(signal) }
        stop.waker = cx.waker
        while true {
            if accept == nil { accept = IO.accept(listener) }
            guard case .ready(let result) = accept!.poll(&cx) else { return .pending }
            accept = nil
            switch result {
            case .success(let connection):
                var one: Int32 = 1
                _ = unsafe setsockopt(connection.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                cx.executor?.spawn(echo(Socket(adopting: connection.fd)), name: "echo").detach()
            case .failure(let error):
                cx.report(Diagnostic(.acceptFailed, "accept: \(error)"))
                if error.errno == EMFILE || error.errno == ENFILE { return .ready(0) }  // retrying would spin
            }
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { accept.pollDropReady(&cx) }
}

func usage() -> Never {
    print("usage: QuiesceEcho [--port N] [--bind HOST]   (defaults: --port 0 picks a free port, --bind 127.0.0.1)")
    exit(2)
}

var port: UInt16 = 0
var host = "127.0.0.1"
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--port":
        guard let text = arguments.popFirst(), let value = UInt16(text) else { usage() }
        port = value
    case "--bind":
        guard let text = arguments.popFirst() else { usage() }
        host = text
    case "-h", "--help":
        usage()
    default:
        print("unknown argument \(flag)")
        usage()
    }
}
guard let address = SocketAddress(host: host, port: port) else {
    print("--bind needs a numeric IPv4 or IPv6 address, not \(host)")
    exit(2)
}

// SIGINT and SIGTERM are blocked in every thread and taken by one waiting thread instead.
var signals = sigset_t()
unsafe sigemptyset(&signals)
unsafe sigaddset(&signals, SIGINT)
unsafe sigaddset(&signals, SIGTERM)
unsafe pthread_sigmask(SIG_BLOCK, &signals, nil)

/// Runs the server until a signal; untyped throws so the executor's and the socket's errors mix.
func serve() throws {
    let executor = try Executor(entries: 1024)
    let listener = try Sockets.listen(on: address)
    let bound = try Sockets.localAddress(listener)
    let stop = StopRequest()
    let remote = try executor.remoteHandle()
    let waiter = Thread {
        var set = sigset_t()
        unsafe sigemptyset(&set)
        unsafe sigaddset(&set, SIGINT)
        unsafe sigaddset(&set, SIGTERM)
        var received: Int32 = 0
        unsafe sigwait(&set, &received)
        let signo = received
        remote.execute { _ in
            stop.signal = signo
            stop.waker?.wake()
        }
    }
    waiter.start()
    print("listening on \(bound)")
    fflush(nil)
    let signo = try executor.blockOn(Server(listener: listener, stop: stop))
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
