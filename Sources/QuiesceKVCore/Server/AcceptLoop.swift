import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// The accept loop, as a task: each accepted connection becomes a ``ConnectionTask`` (or, over the
/// client limit, a ``ClientConnection`` whose drop flushes the refusal and closes). It ends when the server shuts down; its async drop
/// cancels the accept in flight (a connection accepted in the race is closed by the operation).
///
/// An accept that fails for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) or for
/// an unknown reason pauses the loop before the next attempt: a pause that doubles with each failure
/// in a row, from ``ServerConfig/acceptRetryDelay`` up to ``ServerConfig/acceptRetryMaxDelay``
/// (see ``FailureStreak``), so the loop never spins on an error that persists. Such failures are
/// reported as ``Diagnostic/Kind/acceptFailed`` at a bounded rate (the 1st, 10th and 100th of a
/// streak, then every 1000th). A network error the kernel hands over for one pending connection
/// (ECONNABORTED and the like, see accept(2)) concerns only that connection: the next accept follows
/// at once.
struct AcceptLoop: Future, ~Copyable {
    let server: KVServer
    private var acceptOp: AcceptOp?
    private var backoff: Sleep?
    private var failures: FailureStreak

    init(server: KVServer) {
        self.server = server
        failures = FailureStreak(firstDelay: server.config.acceptRetryDelay, maxDelay: server.config.acceptRetryMaxDelay)
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while !server.isShuttingDown {
            if backoff != nil {
                guard case .ready = backoff!.poll(&cx) else { return .pending }
                backoff = nil
            }
            let result: Result<Accepted, IOError>
            if acceptOp == nil, let injected = server.acceptErrorInjection?() {
                result = .failure(IOError(errno: injected, operation: "accept"))
            } else {
                if acceptOp == nil { acceptOp = IO.accept(server.listenFD) }
                guard case .ready(let accepted) = acceptOp!.poll(&cx) else { return .pending }
                acceptOp = nil
                result = accepted
            }
            switch result {
            case .success(let accepted):
                _ = failures.succeed()
                guard let executor = cx.executor else { Glibc.close(accepted.fd); continue }
                server.admit(accepted, on: executor)
            case .failure(let error) where Self.concernsOneConnection(error.errno):
                continue
            case .failure(let error):
                let (delay, report) = failures.fail()
                if report {
                    let pause = delay >= 1_000_000 ? "\(delay / 1_000_000) ms" : "\(delay / 1_000) µs"
                    cx.report(Diagnostic(.acceptFailed, "\(error): failure \(failures.count) in a row, next attempt "
                                         + "in \(pause) (reported at the 1st, 10th, 100th and every 1000th in a row)"))
                }
                backoff = Sleep(nanoseconds: delay)
                server.noteAcceptPause()
            }
        }
        return .ready(())
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.join(&cx, &acceptOp, &backoff)
    }

    // Errors accept(2) passes on for one pending connection (the next one may be fine).
    static func concernsOneConnection(_ errno: Int32) -> Bool {
        switch errno {
        case ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH,
             EOPNOTSUPP, ENETUNREACH, EINTR:
            return true
        default:
            return false
        }
    }
}
