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
