import XCTest
import Glibc
@testable import Quiesce

/// Whether `fd` is an open descriptor of this process.
private func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

/// After its descriptor's drop is done, opens /dev/null (which takes the lowest free number, the
/// one just closed) and records it: a second close of the old number would close this one.
private struct ReopenAfterDrop: AsyncDroppable, ~Copyable {
    var descriptor: OwnedDescriptor
    let reopened: Box<Int32>
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard descriptor.pollDropReady(&cx).isReady else { return .pending }
        if reopened.value < 0 { reopened.value = open("/dev/null", O_RDONLY | O_CLOEXEC) }
        return .ready(())
    }
}

private final class Box<T> {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Owned sockets and files (§8): closed exactly once, through the ring, synchronously, or explicitly.
final class OwnedDescriptorTests: RingPipeTestCase {
    func testAsyncDropClosesThroughTheRingAndTheDeinitDoesNotCloseAgain() throws {
        let number = r
        r = -1  // owned by the descriptor now
        let reopened = Box<Int32>(-1)
        try executor.blockOn(asyncDrop(ReopenAfterDrop(descriptor: OwnedDescriptor(adopting: number), reopened: reopened)))
        defer { close(reopened.value) }
        XCTAssertEqual(reopened.value, number, "the closed number was free and reused")
        XCTAssertTrue(isOpen(reopened.value), "the released descriptor closed nothing a second time")
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testReleasedWithoutAnAsyncDropItClosesSynchronously() {
        let number = r
        r = -1
        do { _ = OwnedDescriptor(adopting: number) }
        XCTAssertFalse(isOpen(number))
    }

    func testAnExplicitCloseReturnsTheErrorAndClosesOnce() throws {
        let number = r
        r = -1
        var close = File(adopting: number).close()
        let result = try executor.blockOn(PollInPlace(close: &close))
        XCTAssertNoThrow(try result.get())
        XCTAssertFalse(isOpen(number))
        let reused = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { Glibc.close(reused) }
        XCTAssertEqual(reused, number)
        _ = consume close  // released after its close completed: must not close `reused`
        XCTAssertTrue(isOpen(reused))

        let failed = try executor.blockOn(File(adopting: 987_654).close())
        XCTAssertEqual(failed.failureValue?.errno, EBADF, "the close's error is returned, not swallowed")
    }

    func testAcceptConnectSendAndReceiveThroughOwnedSockets() throws {
        let listener = try Socket.listen(on: .loopback(port: 0))
        let address = try listener.localAddress()
        let both = try executor.blockOn(join(listener.accept(), Socket.connect(to: address)))
        let server = try both.first.get()
        let client = try both.second.get()
        XCTAssertEqual(server.peer, try Sockets.localAddress(client.raw))
        let sent = try executor.blockOn(client.sendAll(IOBuffer(string: "ping")))
        XCTAssertEqual(try sent.result.get(), 4)
        let received = try executor.blockOn(server.socket.recv(into: IOBuffer(capacity: 16)))
        XCTAssertEqual(received.buffer.string, "ping")
        try executor.blockOn(asyncDrop(server.socket))
        try executor.blockOn(client.close()).get()
        _ = consume listener
    }

    func testAFailedConnectClosesItsSocket() throws {
        let before = openDescriptorCount()
        let listener = try Sockets.listen(on: .loopback(port: 0))
        let address = try Sockets.localAddress(listener)
        close(listener)  // nothing listens there any more
        let outcome = try executor.blockOn(Socket.connect(to: address))
        switch consume outcome {
        case .success: XCTFail("connected to nothing")
        case .failure(let error): XCTAssertEqual(error.errno, ECONNREFUSED)
        }
        XCTAssertEqual(openDescriptorCount(), before)
    }

    func testDescriptorsReturnToTheBaselineAfterAThousandConnections() throws {
        let listener = try Socket.listen(on: .loopback(port: 0))
        let address = try listener.localAddress()
        let before = openDescriptorCount()
        for _ in 0..<1000 {
            let both = try executor.blockOn(join(listener.accept(), Socket.connect(to: address)))
            let server = try both.first.get()
            let client = try both.second.get()
            _ = try executor.blockOn(join(asyncDrop(server.socket), asyncDrop(client)))
        }
        XCTAssertEqual(openDescriptorCount(), before, openDescriptors().joined(separator: ", "))
        _ = consume listener
    }

    func testACancelledAcceptThatSucceededAnywayClosesTheConnection() throws {
        let listener = try Socket.listen(on: .loopback(port: 0))
        let address = try listener.localAddress()
        let before = openDescriptorCount()
        var accept = listener.accept()
        XCTAssertFalse(pollOnce(&accept, on: executor))
        try executor.driver.turn(waitNanos: 0)
        let client = try Sockets.tcp(for: address)
        XCTAssertEqual(address.withSockAddr { Glibc.connect(client, $0, $1) }, 0)
        try executor.driver.turn(waitNanos: 10_000_000)  // the accept completes in the kernel
        try executor.blockOn(asyncDrop(accept))  // never polled for its output
        close(client)
        XCTAssertEqual(openDescriptorCount(), before, "the accepted connection was closed, not leaked")
        XCTAssertTrue(executor.driver.isQuiescent)
        _ = consume listener
    }
}

/// Polls an explicit close in place (so the test can release it afterwards).
private struct PollInPlace: Future, ~Copyable {
    let close: UnsafeMutablePointer<CloseDescriptor>
    init(close: inout CloseDescriptor) { self.close = withUnsafeMutablePointer(to: &close) { $0 } }
    mutating func poll(_ cx: inout Context) -> Poll<Result<Void, IOError>> { close.pointee.poll(&cx) }
}
