import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Demo 8: a zero-copy send dropped synchronously while the kernel still reads its buffer.
func zeroCopyDemo() throws {
    Narrate.title(8, "A zero-copy send dropped synchronously: the buffer waits for the notification")
    let executor = try Executor()
    executor.diagnosticHandler = { Narrate.say("the library says: \($0)") }
    let listener = try Sockets.listen(on: .loopback(port: 0))
    defer { close(listener) }
    let address = try Sockets.localAddress(listener)
    let client = try Sockets.tcp(for: address)
    defer { close(client) }
    guard unsafe address.withSockAddr({ unsafe Glibc.connect(client, $0, $1) }) == 0 else {
        throw IOError(errno: errno, operation: "connect")
    }
    let server = Glibc.accept(listener, nil, nil)
    defer { close(server) }
    let size = 4 << 20
    var cx = Context(waker: .noop, executor: executor)
    do {
        var send = IO.sendZeroCopy(client, IOBuffer(bytes: [UInt8](repeating: 0x5A, count: size)))
        _ = send.poll(&cx)
        try executor.driver.turn(waitNanos: 0)
        Narrate.say("A \(size >> 20) MiB zero-copy send is in the kernel, which reads the buffer in place (no copy).")
        Narrate.say("Its owner is now dropped synchronously; the peer has not read anything yet.")
        _ = consume send
    }
    Narrate.say("right after the drop — \(Narrate.driver(executor.driver))")
    Narrate.say("The buffer is not freed: until the kernel's notification it may still be read. The peer now reads.")
    var scratch = [UInt8](repeating: 0, count: 1 << 16)
    var read = 0, completions = 0
    while executor.driver.orphanCount > 0 {
        let n = unsafe recv(server, &scratch, scratch.count, Int32(MSG_DONTWAIT))
        if n > 0 { read += n }
        completions += try executor.driver.turn(waitNanos: 1_000_000)
    }
    Narrate.kernel("\(completions) more completion(s) arrived; the last one was the notification (F_NOTIF)")
    Narrate.say("after the peer read \(read) bytes — \(Narrate.driver(executor.driver))")
    Narrate.say("Only after the notification did the driver free the buffer; the drop never had to wait for it.")
}
