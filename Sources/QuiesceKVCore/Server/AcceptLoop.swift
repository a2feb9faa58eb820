import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// The accept loop, as a task: each accepted connection becomes a ``ConnectionTask`` (or, over the
/// client limit, a ``RefusedConnection``). It ends when the server shuts down; its async drop
/// cancels the accept in flight (a connection accepted in the race is closed by the operation).
struct AcceptLoop: Future, ~Copyable {
    let server: KVServer
    private var acceptOp: AcceptOp?
    private var backoff: Sleep?

    init(server: KVServer) { self.server = server }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while !server.isShuttingDown {
            if backoff != nil {
                guard case .ready = backoff!.poll(&cx) else { return .pending }
                backoff = nil
            }
            if acceptOp == nil { acceptOp = IO.accept(server.listenFD) }
            guard case .ready(let result) = acceptOp!.poll(&cx) else { return .pending }
            acceptOp = nil
            switch result {
            case .success(let accepted):
                guard let executor = cx.executor else { Glibc.close(accepted.fd); continue }
                server.admit(accepted, on: executor)
            case .failure(let error):
                // Out of descriptors or memory: say so and pause, rather than spin on the error.
                cx.report(Diagnostic(.dropError, "accept failed: \(error)"))
                backoff = Sleep(nanoseconds: 50_000_000)
            }
        }
        return .ready(())
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &acceptOp, &backoff)
    }
}
