import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// One round of demo 2: a read is armed in the kernel, then cancelled — with data written into the
/// pipe just before the cancel (`dataFirst`) or just after the cancel completed.
struct CancelRace: Future, ~Copyable {
    let pipe: DemoPipe
    let dataFirst: Bool
    var read: ReadOp
    var step = 0

    init(pipe: DemoPipe, dataFirst: Bool) {
        self.pipe = pipe
        self.dataFirst = dataFirst
        read = IO.read(pipe.read, into: IOBuffer(capacity: 64))
    }

    /// (the read's result, the cancel's answer, what the buffer held)
    mutating func poll(_ cx: inout Context) -> Poll<(Int32, Int32?, String)> {
        switch step {
        case 0:
            // First poll submits the read; come back next turn, once the kernel holds it.
            _ = read.poll(&cx)
            step = 1
            cx.waker.wake()
            return .pending
        default:
            if step == 1 && dataFirst { pipe.put("data!") }  // the read completes inside the kernel now
            step = 2
            guard case .ready(let done) = read.cancel(&cx) else { return .pending }
            let res: Int32
            switch done.result {
            case .success(let n): res = Int32(n)
            case .failure(let error): res = -error.errno
            }
            return .ready((res, read.cancelResult, done.buffer.string))
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { read.pollDropReady(&cx) }
}

/// Demo 2: a cancel racing a completion, both outcomes.
func cancelRaceDemo() throws {
    Narrate.title(2, "A cancel racing a completion, both outcomes")
    let executor = try Executor()

    let first = try DemoPipe()
    Narrate.say("(a) The read is armed; 5 bytes are written into the pipe, and in the same turn the read is cancelled.")
    let (res1, cancel1, text1) = try executor.blockOn(CancelRace(pipe: first, dataFirst: true))
    Narrate.kernel("the read's completion said \(Narrate.result(res1)) — it completed in the race, with \"\(text1)\"")
    Narrate.kernel("the cancel request said \(Narrate.cancelAnswer(cancel1))")
    Narrate.say("→ the operation is reported as completed; its data is not lost.")

    let second = try DemoPipe()
    Narrate.say("(b) The read is armed and cancelled; the data is written only after the cancel completed.")
    let (res2, cancel2, _) = try executor.blockOn(CancelRace(pipe: second, dataFirst: false))
    second.put("late")
    Narrate.kernel("the read's completion said \(Narrate.result(res2))")
    Narrate.kernel("the cancel request said \(Narrate.cancelAnswer(cancel2))")
    var probe = [UInt8](repeating: 0, count: 16)
    let left = unsafe Glibc.read(second.read, &probe, 16)
    Narrate.say("→ nothing was consumed: the pipe still holds \(left) bytes (\"\(String(decoding: probe[0..<max(left, 0)], as: UTF8.self))\") for the next reader.")
    Narrate.say("driver afterwards: \(Narrate.driver(executor.driver))")
}
