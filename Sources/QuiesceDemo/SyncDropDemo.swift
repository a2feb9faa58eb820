import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Demo 4: a read dropped synchronously while the kernel holds its buffer.
func syncDropDemo() throws {
    Narrate.title(4, "A synchronous drop: the buffer waits in the orphan table")
    let executor = try Executor()
    // Debug builds report an operation released while in flight (usually a missing glue line).
    executor.diagnosticHandler = { Narrate.say("the library says: \($0)") }
    let pipe = try DemoPipe()
    var cx = Context(waker: .noop, executor: executor)
    do {
        var read = IO.read(pipe.read, into: IOBuffer(capacity: 4096))
        _ = read.poll(&cx)                          // submitted …
        try executor.driver.turn(waitNanos: 0)      // … and now in the kernel, writing into our buffer
        Narrate.say("A 4096-byte read is in the kernel. Its owner is now dropped synchronously (no pollDropReady).")
        _ = consume read                            // deinit runs here; the kernel still holds the memory
    }
    Narrate.say("right after the drop — \(Narrate.driver(executor.driver))")
    Narrate.say("The buffer was not freed: the driver keeps it and has sent a cancel. Here the drop is on")
    Narrate.say("purpose; in a service it usually means a pollDropReady forgot a field, hence the report.")
    pipe.put("too late")                            // the kernel may still write into the orphan's buffer
    var turns = 0
    while executor.driver.orphanCount > 0 {
        let arrived = try executor.driver.turn(waitNanos: 1_000_000_000)
        turns += 1
        Narrate.kernel("\(arrived) completion(s) arrived")
    }
    Narrate.say("after \(turns) turn(s) — \(Narrate.driver(executor.driver))")
    Narrate.say("Only now, with the kernel done, was the buffer freed. Memory safety never depended on the drop.")
}
