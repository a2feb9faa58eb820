#if canImport(Glibc)
import Glibc
#endif
import Quiesce
import QuiesceEchoCore

/// Accepts exactly `connections` connections with one multishot accept and serves each with
/// ``MultishotEcho`` (one multishot receive from `ring`, sends from `sendBuffers`), each as its own
/// task; finishes when all have closed. The in-process stand-in for `QuiesceEcho --multishot-recv`
/// (same connection, same accept), for counting allocations. The multishot accept is cancelled and
/// awaited once the last connection is in, so the ring holds nothing of it when the server is done.
///
/// Each accepted connection adds one send buffer to the shared pool: a connection has at most one
/// send out, so the pool never makes one while messages flow. Left to grow on demand, the pool
/// would make as many as happened to be out at once (40 to 50 of 50 connections, from run to run),
/// a per-run cost that differs between the two runs the steady-state allocation count subtracts,
/// and that reads as a fraction of an allocation per message.
struct MultishotEchoServer: Future, ~Copyable {
    let listenFD: Int32
    let ring: ProvidedBufferRing
    let sendBuffers: IOBufferPool
    var handles: HandleStore<Void>
    var accepts: AcceptMultishotOp? = nil

    init(listenFD: Int32, connections: Int, ring: ProvidedBufferRing, sendBuffers: IOBufferPool) {
        self.listenFD = listenFD
        self.ring = ring
        self.sendBuffers = sendBuffers
        handles = HandleStore(capacity: connections)
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while handles.count < handles.capacity {
            if accepts == nil { accepts = IO.acceptMultishot(listenFD) }
            guard case .ready(let next) = accepts!.pollNext(&cx) else { return .pending }
            guard let next else { accepts = nil; continue }  // ended without an error: submit again
            guard case .success(let fd) = next else { fail("accept: \(next)") }
            var one: Int32 = 1
            _ = unsafe setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            sendBuffers.give(IOBuffer(capacity: sendBuffers.bufferCapacity))
            handles.append(cx.executor!.spawn(MultishotEcho(Socket(adopting: fd), ring: ring, sendBuffers: sendBuffers)))
        }
        guard accepts.pollDropReady(&cx).isReady else { return .pending }
        accepts = nil
        return handles.joinAll(&cx)
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { accepts.pollDropReady(&cx) }
}
