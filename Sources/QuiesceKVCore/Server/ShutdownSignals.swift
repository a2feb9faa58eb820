import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGTERM and SIGINT into a graceful shutdown: the signals are blocked in every thread and a
/// dedicated thread waits for them with `sigwait`, then hands the request to the executor through
/// its ``RemoteHandle`` (the only thread-safe way in).
public enum ShutdownSignals {
    /// Blocks SIGTERM and SIGINT in the calling thread (and threads it creates later). Call first
    /// thing in `main`, before any other thread exists.
    public static func block() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts the waiting thread: on each signal, `server.requestShutdown()` runs on the executor.
    public static func forward(to server: KVServer, through remote: RemoteHandle) {
        let target = UncheckedServer(server: server)
        let box = Unmanaged.passRetained(WaitContext(remote: remote, target: target))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<WaitContext>.fromOpaque(raw!).takeRetainedValue()
            var set = ShutdownSignals.signalSet()
            while true {
                var signal: Int32 = 0
                guard sigwait(&set, &signal) == 0 else { continue }
                let target = context.target
                context.remote.execute { _ in target.server.requestShutdown() }
            }
        }, box.toOpaque())
        if rc != 0 { box.release() }
        else { pthread_detach(thread) }
    }

    static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }

    // The server is confined to the executor's thread; the remote job runs there.
    struct UncheckedServer: @unchecked Sendable { let server: KVServer }

    final class WaitContext {
        let remote: RemoteHandle
        let target: UncheckedServer
        init(remote: RemoteHandle, target: UncheckedServer) {
            self.remote = remote
            self.target = target
        }
    }
}
