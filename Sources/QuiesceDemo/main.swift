// `make demo`: narrated io_uring cancellation demos. Each prints what happened and what the kernel said.
import Quiesce
#if canImport(Glibc)
import Glibc
#endif

print("Quiesce — io_uring operations whose cancellation is an awaited async drop.")
do {
    try timeoutDemo()
    try cancelRaceDemo()
    try flushingConnectionDemo()
    try syncDropDemo()
    try acceptRaceDemo()
    try shutdownDemo()
    try multishotDemo()
    try zeroCopyDemo()
    print("\nAll eight demos done.")
} catch {
    print("demo failed: \(error)")
    exit(1)
}
