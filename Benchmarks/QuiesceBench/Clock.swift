import CRawRing

/// Nanoseconds on the monotonic clock, the same one the C loops read.
@inline(__always)
func nowNanos() -> UInt64 { crr_now_ns() }

/// Stops the benchmark with a clear message: a benchmark that cannot run its workload has no figure.
func fail(_ message: String) -> Never {
    fatalError("QuiesceBench: \(message)")
}
