import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// The accept loop, as a task: each accepted connection becomes a ``ConnectionTask`` (or, over the
/// client limit, a ``ClientConnection`` whose drop flushes the refusal and closes). It accepts with
/// one multishot accept (``IO/acceptMultishot(_:flags:)``): one submission yields every connection
/// until it fails. It ends when the server shuts down; its async drop cancels the stream and waits
/// for its final completion (connections accepted in the race, or not taken yet, are closed by the
/// stream).
///
/// A multishot accept that fails ends with the error; the stream is re-created for the next attempt
/// (after the pause described below, if the error calls for one).
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
    private var accepts: AcceptMultishotOp?
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
            let result: Result<Int32, IOError>
            if accepts == nil, let injected = server.acceptErrorInjection?() {
                result = .failure(IOError(errno: injected, operation: "accept"))
            } else {
                if accepts == nil { accepts = IO.acceptMultishot(server.listenFD) }
                guard case .ready(let next) = accepts!.pollNext(&cx) else { return .pending }
                guard let next else {  // ended without an error (not expected): submit a new one
                    accepts = nil
                    continue
                }
                // An error ends the stream (then it holds nothing in flight): the next attempt
                // submits a new one.
                if case .failure = next, accepts?.isInFlight != true { accepts = nil }
                result = next
            }
            switch result {
            case .success(let fd):
                _ = failures.succeed()
                guard let executor = cx.executor else { Glibc.close(fd); continue }
                server.admit(fd, on: executor)
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
        DropGlue.join(&cx, &accepts, &backoff)
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
