import CRawRing
import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds on the monotonic clock, the same one the C loops read.
@inline(__always)
func nowNanos() -> UInt64 { crr_now_ns() }

/// Stops the benchmark with a clear message: a benchmark that cannot run its workload has no figure.
func fail(_ message: String) -> Never {
    let line = "QuiesceBench: \(message)\n"
    _ = unsafe write(2, line, line.utf8.count)
    exit(1)
}

/// An io_uring executor, or a clear message and exit (io_uring disabled, seccomp, memlock…).
func makeExecutor(entries: UInt32) -> Executor {
    do { return try Executor(entries: entries) } catch { fail("cannot set up io_uring: \(error)") }
}

/// Runs `future` to completion on `executor`, or stops with the executor's error.
func runToEnd<F: Future & ~Copyable>(_ executor: Executor, _ future: consuming F) -> F.Output {
    do { return try executor.blockOn(future) } catch { fail("executor: \(error)") }
}

/// A pipe, or a clear message and exit.
func makePipe() -> (read: Int32, write: Int32) {
    do { return try Sockets.pipe() } catch { fail("pipe: \(error)") }
}
