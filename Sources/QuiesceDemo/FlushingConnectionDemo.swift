import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// What the connection's drop did, for the narration.
final class FlushLog {
    var lines: [String] = []
}

/// A flush-on-drop connection wrapper, done with an awaited async drop instead of spawn-from-drop:
/// `write` only buffers; the drop flushes the buffered bytes to the socket, then closes it, and is
/// ready only when both are done — nothing is left in flight, nothing unflushed.
struct BufferedConnection: AsyncDroppable, ~Copyable {
    let fd: Int32
    var pending: IOBuffer?
    var flush: WriteAll?
    var close: CloseOp?
    var dropped = false
    /// Bytes buffered by `write` and not yet sent.
    private(set) var buffered = 0
    let log: FlushLog

    init(fd: Int32, log: FlushLog) {
        self.fd = fd
        self.pending = IOBuffer(capacity: 4096)
        self.log = log
    }

    /// Buffers `text`; nothing is sent until the connection is dropped (or a real `flush`).
    mutating func write(_ text: String) { buffered += pending!.append(contentsOf: Array(text.utf8)) }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if dropped { return .ready(()) }  // fused
        if flush == nil && close == nil {
            log.lines.append("drop began: flushing \(buffered) buffered bytes")
            flush = WriteAll.send(fd, pending.take()!)
        }
        if flush != nil {
            guard case .ready(let sent) = flush!.poll(&cx) else { return .pending }
            log.lines.append("flush: \(Narrate.outcome(sent.result)) in \(flush?.pieces ?? 0) send(s)")
            flush = nil
            close = IO.close(fd)
        }
        guard case .ready(let closed) = close!.poll(&cx) else { return .pending }
        log.lines.append("close: \(Narrate.outcome(closed))")
        dropped = true
        return .ready(())
    }
}

/// The client: writes three lines into its connection's buffer, then finishes. Its connection is
/// async-dropped with it.
struct Client: Future, ~Copyable {
    var connection: BufferedConnection

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        connection.write("GET /hello\n")
        connection.write("X-Note: buffered, not yet sent\n")
        connection.write("BYE\n")
        connection.log.lines.append("client wrote 3 lines into its buffer (\(connection.buffered) bytes, none sent) and finished")
        return .ready(())
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { connection.pollDropReady(&cx) }
}

/// The peer: receives until the other side closes, then returns everything it got.
struct Peer: Future, ~Copyable {
    let fd: Int32
    var received: [UInt8] = []
    var recv: RecvOp?

    mutating func poll(_ cx: inout Context) -> Poll<String> {
        while true {
            if recv == nil { recv = IO.recv(fd, into: IOBuffer(capacity: 1024)) }
            guard case .ready(let got) = recv!.poll(&cx) else { return .pending }
            recv = nil
            guard case .success(let n) = got.result, n > 0 else {
                return .ready(String(decoding: received, as: UTF8.self))
            }
            received += got.buffer.bytes
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { recv.pollDropReady(&cx) }
}

/// Demo 3: the connection wrapper whose async drop flushes to a socket peer, then closes.
func flushingConnectionDemo() throws {
    Narrate.title(3, "A connection wrapper that flushes on async drop")
    let executor = try Executor()
    let (mine, peerEnd) = try Sockets.socketPair()
    defer { close(peerEnd) }
    let log = FlushLog()
    Narrate.say("In the seed tutorial, Rust's Drop cannot await, so the wrapper spawns its flush and hopes.")
    Narrate.say("Here the wrapper's pollDropReady flushes and closes, and the task ends only after both.")
    let client = executor.spawn(Client(connection: BufferedConnection(fd: mine, log: log)), name: "client")
    let peer = executor.spawn(Peer(fd: peerEnd), name: "peer")
    _ = try executor.blockOn(client)
    for line in log.lines { Narrate.say(line) }
    switch try executor.blockOn(peer) {
    case .success(let text):
        Narrate.say("the peer read until end-of-stream (the close) and received \(text.utf8.count) bytes:")
        for line in text.split(separator: "\n") { print("      │ \(line)") }
    case .failure(let cancelled):
        Narrate.say("the peer was \(cancelled)")
    }
    Narrate.say("driver afterwards: \(Narrate.driver(executor.driver))")
}
