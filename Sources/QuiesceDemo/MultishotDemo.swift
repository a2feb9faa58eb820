import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Demo 7: a multishot receive cancelled while data keeps arriving.
func multishotDemo() throws {
    Narrate.title(7, "A multishot receive, cancelled while data keeps arriving")
    let executor = try Executor()
    let ring = try executor.driver.registerBufferRing(count: 8, size: 64)
    var pair: [Int32] = [-1, -1]  // message boundaries: each send is one receive
    guard unsafe socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
        throw IOError(errno: errno, operation: "socketpair")
    }
    defer { close(pair[0]); close(pair[1]) }
    func send(_ text: String) {
        var text = text
        _ = text.withUTF8 { unsafe Glibc.send(pair[1], $0.baseAddress, $0.count, 0) }
    }
    var cx = Context(waker: .noop, executor: executor)
    var receives = IO.recvMultishot(pair[0], from: ring)
    _ = receives.pollNext(&cx)
    try executor.driver.turn(waitNanos: 0)
    Narrate.say("One receive is armed in the kernel, over a ring of \(ring.count) provided buffers of \(ring.size) bytes.")
    Narrate.say("While no data comes it holds no buffer: \(ring.available) of \(ring.count) are free to pick.")
    for n in 1...3 {
        send("message \(n)")
        var element: Result<ProvidedBuffer, IOError>? = nil
        while element == nil {
            try executor.driver.turn(waitNanos: 1_000_000_000)
            if case .ready(let next?) = receives.pollNext(&cx) { element = consume next }
        }
        switch element! {
        case .success(let lease):
            Narrate.kernel("completion with F_MORE: \"\(String(decoding: lease.bytes, as: UTF8.self))\" in buffer #\(lease.id); still armed")
        case .failure(let error):
            Narrate.kernel("completion: \(error)")
        }
    }
    Narrate.say("Each lease gave its buffer back when released: \(ring.available) of \(ring.count) free.")
    for n in 4...6 { send("message \(n)") }
    try executor.driver.turn(waitNanos: 0)
    Narrate.say("Three more messages arrive; nobody takes them yet: \(ring.available) of \(ring.count) buffers free.")
    Narrate.say("Now the stream's async drop begins, and a message is sent on every turn while it cancels.")
    var sentDuringDrop = 0
    while true {
        if receives.pollDropReady(&cx).isReady { break }
        send("late \(sentDuringDrop)")
        sentDuringDrop += 1
        try executor.driver.turn(waitNanos: 1_000_000_000)
    }
    Narrate.kernel("the cancel request said \(Narrate.cancelAnswer(receives.core.cancelResult))")
    Narrate.kernel("the final completion (no F_MORE) said \(Narrate.result(receives.core.finalResult ?? 0))")
    Narrate.say("\(sentDuringDrop) message(s) were sent during the drop. Every buffer the kernel filled and nobody")
    Narrate.say("took went back to the ring: \(ring.available) of \(ring.count) free. \(Narrate.driver(executor.driver))")
}
