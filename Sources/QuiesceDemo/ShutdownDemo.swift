import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipe once; stands for a connection's reader parked in the kernel.
struct ParkedRead: Future, ~Copyable {
    var read: ReadOp
    mutating func poll(_ cx: inout Context) -> Poll<Void> { read.poll(&cx).isReady ? .ready(()) : .pending }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { read.pollDropReady(&cx) }
}

/// A task whose async drop cannot be hurried: it waits for a ring timeout it starts when dropped.
struct StubbornDrop: Future, ~Copyable {
    let nanoseconds: UInt64
    var wait: TimeoutOp?
    var dropped = false
    mutating func poll(_ cx: inout Context) -> Poll<Void> { .pending }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if dropped { return .ready(()) }
        if wait == nil { wait = IO.timeout(nanoseconds: nanoseconds) }
        guard wait!.poll(&cx).isReady else { return .pending }
        dropped = true
        return .ready(())
    }
}

/// Demo 6: shutdown with operations in flight, within and past its deadline.
func shutdownDemo() throws {
    Narrate.title(6, "Shutdown with operations in flight")
    let pipes = try (0..<5).map { _ in try DemoPipe() }
    do {
        let executor = try Executor()
        for pipe in pipes {
            executor.spawn(ParkedRead(read: IO.read(pipe.read, into: IOBuffer(capacity: 512)))).detach()
        }
        executor.spawn(StubbornDrop(nanoseconds: 30_000_000)).detach()
        try executor.runUntilIdle()
        Narrate.say("5 reads wait on empty pipes; a 6th task needs 30 ms to finish its drop.")
        Narrate.say("before — tasks: \(executor.liveTaskCount); \(Narrate.driver(executor.driver))")
        let report = executor.shutdown(deadline: 2_000_000_000)
        Narrate.say("shutdown(deadline: 2 s) → \(report.isClean ? "clean" : "NOT clean"): \(report)")
        Narrate.say("after — tasks: \(executor.liveTaskCount); \(Narrate.driver(executor.driver))")
    }
    do {
        let executor = try Executor()
        var diagnostics: [Diagnostic] = []
        executor.diagnosticHandler = { diagnostics.append($0) }
        executor.spawn(StubbornDrop(nanoseconds: 60_000_000_000)).detach()
        try executor.runUntilIdle()
        Narrate.say("Again, with a task whose drop needs 60 s, and a 50 ms deadline:")
        let report = executor.shutdown(deadline: 50_000_000)
        Narrate.say("shutdown(deadline: 50 ms) → \(report.isClean ? "clean" : "NOT clean"): \(report)")
        for diagnostic in diagnostics { Narrate.say("reported, not crashed: \(diagnostic)") }
        Narrate.say("The ring and the orphan's memory are kept (never freed under the kernel) when the executor goes.")
    }
}
