import XCTest
import Glibc
@testable import Quiesce

/// Whether `fd` is an open descriptor of this process.
private func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

/// recvmsg and sendmsg on the real ring, through UDP sockets: datagrams with their addresses.
final class UDPTests: RingTestCase {
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
        let next = socket.receive(into: IOBuffer(capacity: 64))
        XCTAssertTrue(next.kind.memory === memory, "the socket lends the message memory again once the operation is gone")
        _ = consume next
        try executor.blockOn(asyncDrop(socket))
    }

    func testACancelledReceiveHandsItsBufferBack() throws {
        let socket = try UDPSocket.bind(to: .loopback(port: 0))
        var buffer = IOBuffer(capacity: 32)
        buffer.append(contentsOf: Array("kept".utf8))
        var receive = socket.receive(into: buffer)
        XCTAssertFalse(pollOnce(&receive, on: executor))
        try executor.driver.turn(waitNanos: 0)
        let outcome = try driveCancel(&receive, on: executor)
        XCTAssertEqual(outcome.result.failureValue?.errno, ECANCELED)
        XCTAssertNil(outcome.peer)
        XCTAssertEqual(outcome.buffer.string, "kept")
        XCTAssertEqual(outcome.buffer.capacity, 32)
        try executor.blockOn(asyncDrop(socket))
    }

    func testAReceiveDroppedSynchronouslyKeepsItsMessageMemoryUntilTheKernelIsDone() throws {
        let a = try UDPSocket.bind(to: .loopback(port: 0))
        let b = try UDPSocket.bind(to: .loopback(port: 0))
        var receive = IO.recvmsg(b.raw, into: IOBuffer(capacity: 64))  // its own memory: only the slot may keep it
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

    func testASocketLendsItsMessageMemoryAgainOnlyWhenNoOperationOrSlotHoldsIt() throws {
        let a = try UDPSocket.bind(to: .loopback(port: 0))
        let b = try UDPSocket.bind(to: .loopback(port: 0))
        var orphan = b.receive(into: IOBuffer(capacity: 64))
        weak let first = orphan.kind.memory  // weak: a reference here would keep it from being lent again
        let waiting = b.receive(into: IOBuffer(capacity: 64))
        weak let second = waiting.kind.memory
        XCTAssertFalse(second === first, "two receives alive at once get different memory")
        XCTAssertFalse(pollOnce(&orphan, on: executor))
        try executor.driver.turn(waitNanos: 0)
        executor.diagnosticHandler = { _ in }  // the orphan is reported in debug builds: expected here
        _ = consume orphan
        _ = consume waiting
        let later = b.receive(into: IOBuffer(capacity: 64))
        XCTAssertFalse(later.kind.memory === first, "the kernel may still write the sender's address into the orphan's memory")
        XCTAssertTrue(later.kind.memory === second, "a memory no operation holds is lent again")
        _ = try executor.blockOn(a.send(IOBuffer(string: "late"), to: try b.localAddress()))
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        _ = consume later
        let third = b.receive(into: IOBuffer(capacity: 64)), fourth = b.receive(into: IOBuffer(capacity: 64))
        XCTAssertTrue(third.kind.memory === first || fourth.kind.memory === first, "the orphan's memory is lent again once the kernel is done")
        XCTAssertTrue(third.kind.memory === second || fourth.kind.memory === second)
        _ = consume third
        _ = consume fourth
        try executor.blockOn(asyncDrop(a))
        try executor.blockOn(asyncDrop(b))
    }

    func testReceivesBeyondThePoolsCapacityGetMemoryOfTheirOwn() throws {
        let socket = try UDPSocket.bind(to: .loopback(port: 0))
        var receives = DropArray<RecvMsgOp>()
        for _ in 0..<(MessageMemory.Pool.capacity + 2) { receives.append(socket.receive(into: IOBuffer(capacity: 8))) }
        var memories = Set<ObjectIdentifier>()
        for i in receives.indices { memories.insert(ObjectIdentifier(receives[i].kind.memory)) }
        XCTAssertEqual(memories.count, MessageMemory.Pool.capacity + 2, "every receive alive at once has memory no other has")
        _ = consume receives
        try executor.blockOn(asyncDrop(socket))
    }

    func testReceivesThroughReusedMemoryReadEachSendersAddressAndTruncation() throws {
        let a = try UDPSocket.bind(to: .loopback(port: 0))
        let c = try UDPSocket.bind(to: .loopback(port: 0))
        let b = try UDPSocket.bind(to: .loopback(port: 0))
        var memories: [ObjectIdentifier] = []
        _ = try executor.blockOn(a.send(IOBuffer(string: "from a, long"), to: try b.localAddress()))
        let cutReceive = b.receive(into: IOBuffer(capacity: 6))
        memories.append(ObjectIdentifier(cutReceive.kind.memory))
        let cut = try executor.blockOn(cutReceive)
        XCTAssertEqual(cut.buffer.string, "from a")
        XCTAssertTrue(cut.truncated)
        XCTAssertEqual(cut.peer, try a.localAddress())
        _ = try executor.blockOn(c.send(IOBuffer(string: "from c"), to: try b.localAddress()))
        let wholeReceive = b.receive(into: IOBuffer(capacity: 64))
        memories.append(ObjectIdentifier(wholeReceive.kind.memory))
        let whole = try executor.blockOn(wholeReceive)
        XCTAssertEqual(whole.buffer.string, "from c")
        XCTAssertFalse(whole.truncated, "the last receive's truncation does not linger in the reused memory")
        XCTAssertEqual(whole.peer, try c.localAddress(), "the sender is the one the kernel wrote this time")
        _ = try executor.blockOn(a.send(IOBuffer(string: "again"), to: try b.localAddress()))
        let againReceive = b.receive(into: IOBuffer(capacity: 64))
        memories.append(ObjectIdentifier(againReceive.kind.memory))
        let again = try executor.blockOn(againReceive)
        XCTAssertEqual(again.peer, try a.localAddress())
        XCTAssertEqual(Set(memories).count, 1, "every receive went through the same message memory")
        try executor.blockOn(asyncDrop(a))
        try executor.blockOn(asyncDrop(b))
        try executor.blockOn(asyncDrop(c))
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
