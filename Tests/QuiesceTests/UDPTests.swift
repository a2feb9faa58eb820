import XCTest
import Glibc
@testable import Quiesce

/// Whether `fd` is an open descriptor of this process.
private func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

/// recvmsg and sendmsg on the real ring, through UDP sockets: datagrams with their addresses.
final class UDPTests: XCTestCase {
    var executor: Executor!

    override func setUpWithError() throws { executor = try Executor(entries: 32) }

    override func tearDownWithError() throws {
        XCTAssertTrue(executor.driver.isQuiescent, "operations left in flight")
        XCTAssertEqual(executor.driver.liveSlots, 0, "slots not released")
        executor = nil
    }

    func testADatagramArrivesWithItsSender() throws {
        let a = try UDPSocket.bind(to: .loopback(port: 0))
        let b = try UDPSocket.bind(to: .loopback(port: 0))
        let sent = try executor.blockOn(a.send(IOBuffer(string: "ping"), to: try b.localAddress()))
        XCTAssertEqual(value(sent.result), 4)
        XCTAssertEqual(sent.buffer.string, "ping", "the buffer comes back")
        let message = try executor.blockOn(b.receive(into: IOBuffer(capacity: 64)))
        XCTAssertEqual(value(message.result), 4)
        XCTAssertEqual(message.buffer.string, "ping")
        XCTAssertEqual(message.peer, try a.localAddress())
        XCTAssertFalse(message.truncated)
        try executor.blockOn(asyncDrop(a))
        try executor.blockOn(asyncDrop(b))
    }

    func testADatagramLongerThanTheRoomIsCutAndSaysSo() throws {
        let a = try UDPSocket.bind(to: .loopback(port: 0))
        let b = try UDPSocket.bind(to: .loopback(port: 0))
        var buffer = IOBuffer(capacity: 6)
        buffer.append(contentsOf: Array("> ".utf8))
        _ = try executor.blockOn(a.send(IOBuffer(string: "0123456789"), to: try b.localAddress()))
        let message = try executor.blockOn(b.receive(into: buffer))
        XCTAssertEqual(value(message.result), 4)
        XCTAssertTrue(message.truncated)
        XCTAssertEqual(message.buffer.string, "> 0123", "received behind the valid bytes")
        try executor.blockOn(asyncDrop(a))
        try executor.blockOn(asyncDrop(b))
    }

    func testSendingFromAnIndexSendsTheRest() throws {
        let a = try UDPSocket.bind(to: .loopback(port: 0))
        let b = try UDPSocket.bind(to: .loopback(port: 0))
        _ = try executor.blockOn(a.send(IOBuffer(string: "skip-kept"), to: try b.localAddress(), from: 5))
        XCTAssertEqual(try executor.blockOn(b.receive(into: IOBuffer(capacity: 16))).buffer.string, "kept")
        try executor.blockOn(asyncDrop(a))
        try executor.blockOn(asyncDrop(b))
    }

    func testAReceiveWaitingForADatagramIsCancelledByItsAsyncDropAndAwaited() throws {
        let socket = try UDPSocket.bind(to: .loopback(port: 0))
        var receive = socket.receive(into: IOBuffer(capacity: 64))
        weak let memory = receive.kind.memory
        XCTAssertFalse(pollOnce(&receive, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertTrue(receive.isInFlight, "no datagram: the kernel holds the receive")
        try driveDrop(&receive, on: executor)
        XCTAssertTrue(executor.driver.isQuiescent, "the drop is done only when the kernel is")
        XCTAssertEqual(executor.driver.liveSlots, 0)
        _ = consume receive
        XCTAssertNil(memory, "the message memory is released with the operation")
        try executor.blockOn(asyncDrop(socket))
    }

    func testACancelledReceiveHandsItsBufferBack() throws {
        let socket = try UDPSocket.bind(to: .loopback(port: 0))
        var buffer = IOBuffer(capacity: 32)
        buffer.append(contentsOf: Array("kept".utf8))
        var receive = socket.receive(into: buffer)
        XCTAssertFalse(pollOnce(&receive, on: executor))
        try executor.driver.turn(waitNanos: 0)
        let outcome = try cancelAndAwait(&receive, on: executor)
        XCTAssertEqual(outcome.result.failureValue?.errno, ECANCELED)
        XCTAssertNil(outcome.peer)
        XCTAssertEqual(outcome.buffer.string, "kept")
        XCTAssertEqual(outcome.buffer.capacity, 32)
        try executor.blockOn(asyncDrop(socket))
    }

    func testAReceiveDroppedSynchronouslyKeepsItsMessageMemoryUntilTheKernelIsDone() throws {
        let a = try UDPSocket.bind(to: .loopback(port: 0))
        let b = try UDPSocket.bind(to: .loopback(port: 0))
        var receive = b.receive(into: IOBuffer(capacity: 64))
        weak let memory = receive.kind.memory
        XCTAssertFalse(pollOnce(&receive, on: executor))
        try executor.driver.turn(waitNanos: 0)
        executor.diagnosticHandler = { _ in }  // the orphan is reported in debug builds: expected here
        _ = consume receive
        XCTAssertNotNil(memory, "the kernel may still write the sender's address there")
        _ = try executor.blockOn(a.send(IOBuffer(string: "late"), to: try b.localAddress()))
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        XCTAssertNil(memory)
        try executor.blockOn(asyncDrop(a))
        try executor.blockOn(asyncDrop(b))
    }

    func testErrorsAreReadable() throws {
        var receive = IO.recvmsg(987_654, into: IOBuffer(capacity: 8))
        let got = try drive(&receive, on: executor)
        XCTAssertEqual(got.result.failureValue?.description, "recvmsg: EBADF (Bad file descriptor)")
        XCTAssertEqual(got.buffer.capacity, 8)

        var send = IO.sendmsg(987_654, IOBuffer(string: "x"), to: .loopback(port: 9))
        XCTAssertEqual(try drive(&send, on: executor).result.failureValue?.description, "sendmsg: EBADF (Bad file descriptor)")

        let socket = try UDPSocket.bind(to: .loopback(port: 0))
        var full = IOBuffer(capacity: 1)
        full.append(contentsOf: [1])
        let refused = try executor.blockOn(socket.receive(into: full))
        XCTAssertEqual(refused.result.failureValue?.errno, ENOBUFS)
        var unaddressed = IO.sendmsg(socket.raw, IOBuffer(string: "x"))
        XCTAssertEqual(try drive(&unaddressed, on: executor).result.failureValue?.errno, EDESTADDRREQ)
        try executor.blockOn(asyncDrop(socket))
    }

    func testMessagesOnAConnectedStreamSocketHaveNoSender() throws {
        let (a, b) = try Sockets.socketPair()
        defer { close(a); close(b) }
        var send = IO.sendmsg(a, IOBuffer(string: "stream"))
        XCTAssertEqual(value(try drive(&send, on: executor).result), 6)
        var receive = IO.recvmsg(b, into: IOBuffer(capacity: 16))
        let got = try drive(&receive, on: executor)
        XCTAssertEqual(got.buffer.string, "stream")
        XCTAssertNil(got.peer, "a connected stream socket names no sender")
    }

    func testTheSocketClosesOnceThroughTheRingOrSynchronously() throws {
        let dropped = try UDPSocket.bind(to: .loopback(port: 0))
        let number = dropped.raw
        try executor.blockOn(asyncDrop(dropped))
        XCTAssertFalse(isOpen(number), "closed through the ring by the async drop")

        let released = try UDPSocket.bind(to: .loopback(port: 0))
        let other = released.raw
        _ = consume released
        XCTAssertFalse(isOpen(other), "closed by the deinit when no async drop ran")

        let descriptors = openDescriptorCount()
        do {
            _ = try UDPSocket.bind(to: SocketAddress(host: "192.0.2.1", port: 9)!)
            XCTFail("bound to an address this host does not have")
        } catch {
            XCTAssertEqual(error.errno, EADDRNOTAVAIL)
            XCTAssertEqual(error.description, "bind 192.0.2.1:9: EADDRNOTAVAIL (Cannot assign requested address)")
        }
        XCTAssertEqual(openDescriptorCount(), descriptors, "the socket of a failed bind is closed")
    }
}
