import XCTest
import Glibc
@testable import Quiesce

/// Drives a stream by hand until it yields (an element or its end), like `drive`.
func driveNext<S: Quiesce.Stream & ~Copyable>(_ stream: inout S, on executor: Executor, maxTurns: Int = 1_000,
                                              file: StaticString = #filePath, line: UInt = #line) throws -> S.Element? {
    try turnUntil("stream", on: executor, maxTurns: maxTurns, file: file, line: line) { cx -> S.Element?? in
        if case .ready(let next) = stream.pollNext(&cx) { return .some(next) }
        return nil
    }
}

/// Polls a stream once; `true` when it yielded.
func pollNextOnce<S: Quiesce.Stream & ~Copyable>(_ stream: inout S, on executor: Executor, waker: Waker = .noop) -> Bool {
    var cx = Context(waker: waker, executor: executor)
    if case .ready = stream.pollNext(&cx) { return true }
    return false
}

/// Multishot accept and multishot receive with a provided-buffer ring, on the real ring.
final class MultishotTests: XCTestCase {
    func testMultishotAcceptYieldsEveryConnectionFromOneSubmission() throws {
        let executor = try Executor(entries: 32)
        let baseline = openDescriptorCount()
        let listener = try Sockets.listen(on: .loopback(port: 0))
        let address = try Sockets.localAddress(listener)
        var accepts = IO.acceptMultishot(listener)
        XCTAssertFalse(pollNextOnce(&accepts, on: executor), "no connection yet")
        var clients: [Int32] = []
        for round in 0..<3 {
            let client = try Sockets.tcp(for: address)
            XCTAssertEqual(address.withSockAddr { Glibc.connect(client, $0, $1) }, 0)
            clients.append(client)
            guard let next = try driveNext(&accepts, on: executor) else { return XCTFail("the stream ended") }
            let fd = try XCTUnwrap(value(next), "connection \(round)")
            XCTAssertGreaterThanOrEqual(fd, 0)
            close(fd)
            XCTAssertTrue(accepts.isInFlight, "still one submission in flight after connection \(round)")
        }
        try driveDrop(&accepts, on: executor)
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
        for client in clients { close(client) }
        close(listener)
        XCTAssertEqual(openDescriptorCount(), baseline)
    }

    func testConnectionsNobodyTookAreClosedWhenTheStreamIsDropped() throws {
        let executor = try Executor(entries: 32)
        let baseline = openDescriptorCount()
        let listener = try Sockets.listen(on: .loopback(port: 0))
        let address = try Sockets.localAddress(listener)
        var accepts = IO.acceptMultishot(listener)
        XCTAssertFalse(pollNextOnce(&accepts, on: executor))
        var clients: [Int32] = []
        for _ in 0..<4 {
            let client = try Sockets.tcp(for: address)
            XCTAssertEqual(address.withSockAddr { Glibc.connect(client, $0, $1) }, 0)
            clients.append(client)
        }
        // Let the kernel post the four accepts without anyone taking them.
        for _ in 0..<10 { try executor.driver.turn(waitNanos: 0) }
        try driveDrop(&accepts, on: executor)
        XCTAssertTrue(executor.driver.isQuiescent)
        for client in clients { close(client) }
        close(listener)
        XCTAssertEqual(openDescriptorCount(), baseline, "the accepted descriptors were closed by the drop")
    }

    func testMultishotReceiveFillsProvidedBuffersAndEachLeaseGivesItsBufferBack() throws {
        let executor = try Executor(entries: 32)
        let ring = try executor.driver.registerBufferRing(count: 4, size: 64)
        XCTAssertEqual(ring.available, 4)
        let (a, b) = try Sockets.socketPair()
        defer { close(a); close(b) }
        var receives = IO.recvMultishot(a, from: ring)
        XCTAssertFalse(pollNextOnce(&receives, on: executor))
        XCTAssertEqual(ring.available, 4, "waiting for data pins no buffer")
        for word in ["one", "two", "three"] {
            put(b, word)
            guard let next = try driveNext(&receives, on: executor) else { return XCTFail("ended early") }
            let lease = try next.get()
            XCTAssertEqual(String(decoding: lease.bytes, as: UTF8.self), word)
            XCTAssertEqual(ring.available, 3, "the lease holds one buffer")
        }
        XCTAssertEqual(ring.available, 4, "every lease gave its buffer back")
        close(b)
        let end = try driveNext(&receives, on: executor)
        XCTAssertTrue(end == nil, "the peer closed: the stream ends")
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testARingThatRunsDryWaitsForABufferAndRearms() throws {
        let executor = try Executor(entries: 32)
        let ring = try executor.driver.registerBufferRing(count: 2, size: 16)
        let (a, b) = try Sockets.socketPair()
        defer { close(a); close(b) }
        var receives = IO.recvMultishot(a, from: ring)
        put(b, "x1")
        guard let first = try driveNext(&receives, on: executor) else { return XCTFail("ended early") }
        var held1: ProvidedBuffer? = try first.get()
        put(b, "x2")
        guard let second = try driveNext(&receives, on: executor) else { return XCTFail("ended early") }
        var held2: ProvidedBuffer? = try second.get()
        XCTAssertEqual(ring.available, 0)
        put(b, "x3")
        let target = CountingWakeTarget()
        for _ in 0..<20 {
            var cx = Context(waker: Waker(target), executor: executor)
            XCTAssertFalse(receives.pollNext(&cx).isReady, "no buffer: the stream waits")
            try executor.driver.turn(waitNanos: 1_000_000)
        }
        XCTAssertFalse(receives.isInFlight, "ended with ENOBUFS and not re-armed while the ring is dry: no spin")
        let wakesBefore = target.wakes
        held1 = nil
        XCTAssertGreaterThan(target.wakes, wakesBefore, "a buffer coming back wakes the stream")
        guard let next = try driveNext(&receives, on: executor) else { return XCTFail("ended early") }
        let third = String(decoding: try next.get().bytes, as: UTF8.self)
        XCTAssertEqual(third, "x3")
        held2 = nil
        XCTAssertTrue(held1 == nil && held2 == nil)
        try driveDrop(&receives, on: executor)
        XCTAssertEqual(ring.available, 2)
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testDroppedWhileDataKeepsArrivingEveryBufferGoesBack() throws {
        let executor = try Executor(entries: 32)
        let ring = try executor.driver.registerBufferRing(count: 8, size: 32)
        var pair: [Int32] = [-1, -1]  // datagrams: each message its own receive, its own buffer
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair), 0)
        let (a, b) = (pair[0], pair[1])
        defer { close(a); close(b) }
        var receives = IO.recvMultishot(a, from: ring)
        XCTAssertFalse(pollNextOnce(&receives, on: executor))
        for i in 0..<5 { put(b, "m\(i)") }
        for _ in 0..<5 { try executor.driver.turn(waitNanos: 0) }  // completions arrive, nobody takes them
        XCTAssertLessThan(ring.available, 8, "the kernel picked buffers for completions nobody took yet")
        guard let first = try driveNext(&receives, on: executor) else { return XCTFail("ended early") }
        var lease: ProvidedBuffer? = try first.get()
        XCTAssertEqual(ring.available, 3, "one lease taken, four completions not taken yet")
        put(b, "late")  // arrives while the drop cancels
        try driveDrop(&receives, on: executor)
        XCTAssertEqual(ring.available, 7, "every buffer nobody took went back; the lease still holds its own")
        lease = nil
        XCTAssertTrue(lease == nil)
        XCTAssertEqual(ring.available, 8)
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }
}
