import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Demo 5: an accept cancelled after it succeeded: its descriptor is closed, not leaked.
func acceptRaceDemo() throws {
    Narrate.title(5, "An accept cancelled after it succeeded")
    let executor = try Executor()
    let listener = try Sockets.listen(on: .loopback(port: 0))
    defer { close(listener) }
    let address = try Sockets.localAddress(listener)
    var closedByDriver: [Int32] = []
    executor.driver.onOrphanedDescriptorClosed = { closedByDriver.append($0) }
    let before = Narrate.openDescriptorCount()

    var cx = Context(waker: .noop, executor: executor)
    var accept = IO.accept(listener)
    _ = accept.poll(&cx)
    try executor.driver.turn(waitNanos: 0)
    Narrate.say("An accept waits on \(address). A client connects; in the same turn the accept is async-dropped.")
    let client = try Sockets.tcp(for: address)
    _ = unsafe address.withSockAddr { unsafe Glibc.connect(client, $0, $1) }
    try executor.blockOn(asyncDrop(accept))
    Narrate.kernel("the accept had completed in the race: it created descriptor \(closedByDriver.first.map(String.init) ?? "none")")
    Narrate.say("the drop closed it (onOrphanedDescriptorClosed saw \(closedByDriver)), so nobody leaks it.")
    close(client)
    let after = Narrate.openDescriptorCount()
    Narrate.say("open descriptors before: \(before), after (client closed): \(after) → \(before == after ? "no leak" : "LEAK")")
    Narrate.say("driver afterwards: \(Narrate.driver(executor.driver))")
}
