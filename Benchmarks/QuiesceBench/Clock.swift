import CRawRing
import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds on the monotonic clock, the same one the C loops read.
@inline(__always)
func nowNanos() -> UInt64 { crr_now_ns() }

/// CPU time this thread has used so far (user and system), in nanoseconds.
func threadCPUNanos() -> UInt64 {
    var ts = timespec()
    _ = unsafe clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time (user and system) of the child processes reaped so far, in nanoseconds.
func childrenCPUNanos() -> UInt64 {
    var usage = rusage()
    _ = unsafe getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    let seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec, micros = usage.ru_utime.tv_usec + usage.ru_stime.tv_usec
    return UInt64(seconds) * 1_000_000_000 + UInt64(micros) * 1_000
}

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

/// The executable called `name` built next to this one (a product of the same package), or nil
/// when it is not there.
func siblingExecutable(_ name: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = unsafe readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    let me = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = me.lastIndex(of: "/") else { return nil }
    let path = String(me[..<slash]) + "/" + name
    return unsafe access(path, X_OK) == 0 ? path : nil
}
