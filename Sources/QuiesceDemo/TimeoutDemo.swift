import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// What the read of demo 1 saw when it was dropped.
final class DropWitness {
    var result: Int32?
    var bufferCapacity = 0
    var cancelAnswer: Int32?
}

/// A read whose async drop cancels it with `cancel(&cx)` and keeps what the kernel said, so the demo
/// can print it. (A plain operation's drop does the same, silently.)
struct WitnessedRead: Future, ~Copyable {
    var read: ReadOp
    let witness: DropWitness

    mutating func poll(_ cx: inout Context) -> Poll<String> {
        guard case .ready(let done) = read.poll(&cx) else { return .pending }
        return .ready(done.buffer.string)
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if witness.result != nil { return .ready(()) }  // fused
        guard case .ready(let done) = read.cancel(&cx) else { return .pending }
        switch done.result {
        case .success(let n): witness.result = Int32(n)
        case .failure(let error): witness.result = -error.errno
        }
        witness.bufferCapacity = done.buffer.capacity
        witness.cancelAnswer = read.cancelResult
        return .ready(())
    }
}

/// Demo 1: a read on a pipe that never gets data, cancelled by a timeout and awaited.
func timeoutDemo() throws {
    Narrate.title(1, "A read that never gets data, cancelled by a timeout")
    let executor = try Executor()
    let pipe = try DemoPipe()
    let witness = DropWitness()
    Narrate.say("A read of up to 4096 bytes goes into the ring on an empty pipe; timeout(100 ms) guards it.")
    let start = executor.driver.now()
    let outcome = try executor.blockOn(
        timeout(nanoseconds: 100_000_000,
                WitnessedRead(read: IO.read(pipe.read, into: IOBuffer(capacity: 4096)), witness: witness)))
    let elapsed = (executor.driver.now() - start) / 1_000_000
    switch outcome {
    case .success(let text): Narrate.say("unexpected: the read returned \(text)")
    case .failure(let error): Narrate.say("after \(elapsed) ms the timeout said: \(error)")
    }
    Narrate.say("Before reporting it, the timeout async-dropped the read: it sent IORING_OP_ASYNC_CANCEL and waited.")
    Narrate.kernel("the read's own completion said \(witness.result.map(Narrate.result) ?? "?")")
    Narrate.kernel("the cancel request said \(Narrate.cancelAnswer(witness.cancelAnswer))")
    Narrate.say("the 4096-byte buffer came back to its owner (capacity \(witness.bufferCapacity)).")
    Narrate.say("driver afterwards: \(Narrate.driver(executor.driver))")
}
