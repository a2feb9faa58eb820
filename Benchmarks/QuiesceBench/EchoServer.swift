#if canImport(Glibc)
import Glibc
#endif
import Quiesce
import QuiesceEchoCore

/// One echo connection: recv into a 4 KiB buffer, send all of it back, again, until the peer closes.
struct EchoConnection: Future, ~Copyable {
    let fd: Int32
    var buffer: IOBuffer? = IOBuffer(capacity: 4096)
    var recvOp: RecvOp? = nil
    var sendOp: SendOp? = nil
    var sent = 0

    init(fd: Int32) {
        self.fd = fd
        var one: Int32 = 1
        _ = unsafe setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if recvOp == nil && sendOp == nil { recvOp = IO.recv(fd, into: buffer.take()!) }
            if recvOp != nil {
                switch recvOp!.poll(&cx) {
                case .pending: return .pending
                case .ready(let r):
                    guard case .success(let n) = r.result, n > 0 else { return .ready(()) }  // closed or reset
                    recvOp = nil
                    sent = 0
                    sendOp = IO.send(fd, r.buffer)
                }
            }
            switch sendOp!.poll(&cx) {
            case .pending: return .pending
            case .ready(let r):
                guard case .success(let n) = r.result else { return .ready(()) }
                sent += n
                var buffer = r.buffer
                sendOp = nil
                if sent < buffer.count {
                    sendOp = IO.send(fd, buffer, from: sent)
                } else {
                    buffer.clear()
                    self.buffer = .some(buffer)
                }
            }
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &recvOp, &sendOp)
    }
}

/// Accepts exactly `connections` connections, runs each as its own task, and finishes when all
/// have closed. The benchmark's stand-in for the QuiesceEcho example (same structure). `composed`:
/// each connection is the example's composed ``echo(_:)``; otherwise the hand-written
/// ``EchoConnection``.
struct EchoServer: Future, ~Copyable {
    let listenFD: Int32
    let composed: Bool
    var handles: HandleStore<Void>
    var acceptOp: AcceptOp? = nil

    init(listenFD: Int32, connections: Int, composed: Bool = false) {
        self.listenFD = listenFD
        self.composed = composed
        handles = HandleStore(capacity: connections)
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while handles.count < handles.capacity {
            if acceptOp == nil { acceptOp = IO.accept(listenFD) }
            switch acceptOp!.poll(&cx) {
            case .pending: return .pending
            case .ready(let result):
                guard case .success(let accepted) = result else { fail("accept: \(result)") }
                acceptOp = nil
                if composed {
                    var one: Int32 = 1
                    _ = unsafe setsockopt(accepted.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    handles.append(cx.executor!.spawn(QuiesceEchoCore.echo(Socket(adopting: accepted.fd))))
                } else {
                    handles.append(cx.executor!.spawn(EchoConnection(fd: accepted.fd)))
                }
            }
        }
        return handles.joinAll(&cx)
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { acceptOp.pollDropReady(&cx) }
}
