import XCTest
import Glibc
@testable import Quiesce

/// Every operation through the real ring, with the kernel's results checked.
final class UringOperationTests: RingTestCase {
    override class var entries: UInt32 { 64 }

    func testNop() throws {
        var op = IO.nop()
        XCTAssertNotNil(value(try drive(&op, on: executor)))
    }

    func testReadAndWriteOnAPipe() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var write = IO.write(w, IOBuffer(string: "ring"))
        let written = try drive(&write, on: executor)
        XCTAssertEqual(value(written.result), 4)
        XCTAssertEqual(written.buffer.string, "ring", "the buffer comes back intact")

        var read = IO.read(r, into: IOBuffer(capacity: 16))
        let got = try drive(&read, on: executor)
        XCTAssertEqual(value(got.result), 4)
        XCTAssertEqual(got.buffer.string, "ring")
    }

    func testWriteFromAnIndexSendsOnlyTheRest() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var write = IO.write(w, IOBuffer(string: "skip-kept"), from: 5)
        XCTAssertEqual(value(try drive(&write, on: executor).result), 4)
        var read = IO.read(r, into: IOBuffer(capacity: 16))
        XCTAssertEqual(try drive(&read, on: executor).buffer.string, "kept")
    }

    func testReadAppendsBehindValidBytes() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        put(w, "def")
        var buffer = IOBuffer(capacity: 8)
        buffer.append(contentsOf: Array("abc".utf8))
        var read = IO.read(r, into: buffer)
        let got = try drive(&read, on: executor)
        XCTAssertEqual(value(got.result), 3)
        XCTAssertEqual(got.buffer.string, "abcdef")
    }

    func testRecvAndSendOnASocketPair() throws {
        let (a, b) = try Sockets.socketPair()
        defer { close(a); close(b) }
        var send = IO.send(a, IOBuffer(string: "over the socket"))
        XCTAssertEqual(value(try drive(&send, on: executor).result), 15)
        var recv = IO.recv(b, into: IOBuffer(capacity: 64))
        let got = try drive(&recv, on: executor)
        XCTAssertEqual(value(got.result), 15)
        XCTAssertEqual(got.buffer.string, "over the socket")
    }

    func testAcceptAndConnectOverLoopback() throws {
        let listener = try Sockets.listen(on: .loopback(port: 0))
        defer { close(listener) }
        let address = try Sockets.localAddress(listener)
        let client = try Sockets.tcp(for: address)
        defer { close(client) }

        var accept = IO.accept(listener)
        XCTAssertFalse(pollOnce(&accept, on: executor), "nobody connected yet")
        var connect = IO.connect(client, to: address)
        XCTAssertNotNil(value(try drive(&connect, on: executor)))
        guard let accepted = value(try drive(&accept, on: executor)) else { return }
        defer { close(accepted.fd) }
        XCTAssertGreaterThanOrEqual(accepted.fd, 0)
        XCTAssertEqual(accepted.peer, try Sockets.localAddress(client), "the peer address is the client's")
        XCTAssertEqual(fcntl(accepted.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
    }

    func testConnectRefused() throws {
        // Bind a port, then close it: nothing listens there any more.
        let listener = try Sockets.listen(on: .loopback(port: 0))
        let address = try Sockets.localAddress(listener)
        close(listener)
        let client = try Sockets.tcp(for: address)
        defer { close(client) }
        var connect = IO.connect(client, to: address)
        XCTAssertEqual(errnoOf(try drive(&connect, on: executor)), ECONNREFUSED)
    }

    func testOpenWriteFsyncReadClose() throws {
        let path = "/tmp/quiesce-open-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        var open = IO.open(path, flags: O_CREAT | O_RDWR | O_TRUNC, mode: 0o600)
        guard let fd = value(try drive(&open, on: executor)) else { return }
        XCTAssertEqual(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "O_CLOEXEC is added")

        var write = IO.write(fd, IOBuffer(string: "persisted"), offset: 0)
        XCTAssertEqual(value(try drive(&write, on: executor).result), 9)
        var fsync = IO.fsync(fd)
        XCTAssertNotNil(value(try drive(&fsync, on: executor)))
        var datasync = IO.fsync(fd, dataOnly: true)
        XCTAssertNotNil(value(try drive(&datasync, on: executor)))
        var read = IO.read(fd, into: IOBuffer(capacity: 32), offset: 2)
        XCTAssertEqual(try drive(&read, on: executor).buffer.string, "rsisted", "positional read at offset 2")

        var closeOp = IO.close(fd)
        XCTAssertNotNil(value(try drive(&closeOp, on: executor)))
        XCTAssertEqual(fcntl(fd, F_GETFD), -1, "the descriptor is closed")
        XCTAssertEqual(errno, EBADF)
    }

    /// A data-sync write (RWF_DSYNC) appends its bytes and completes with their count; a flag the
    /// kernel does not know is refused with EOPNOTSUPP, so the flags are what the entry carries.
    func testADataSyncWriteAppendsAndItsFlagsReachTheKernel() throws {
        let path = "/tmp/quiesce-dsync-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        let fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        put(fd, "head:")
        var write = IO.write(fd, IOBuffer(string: "skip-durable"), from: 5, flags: .dataSync)
        XCTAssertEqual(value(try drive(&write, on: executor).result), 7)
        var read = IO.read(fd, into: IOBuffer(capacity: 32), offset: 0)
        XCTAssertEqual(try drive(&read, on: executor).buffer.string, "head:durable")

        var unknown = IO.write(fd, IOBuffer(string: "x"), flags: IO.WriteFlags(rawValue: 0x4000_0000))
        XCTAssertEqual(errnoOf(try drive(&unknown, on: executor).result), EOPNOTSUPP)
        var status = stat()
        XCTAssertEqual(fstat(fd, &status), 0)
        XCTAssertEqual(status.st_size, 12, "the refused write wrote nothing")
    }

    func testOpenOfAMissingFileIsENOENT() throws {
        var open = IO.open("/nonexistent/quiesce/file", flags: O_RDONLY)
        let result = try drive(&open, on: executor)
        XCTAssertEqual(errnoOf(result), ENOENT)
        if case .failure(let error) = result {
            XCTAssertEqual(error.operation, "openat")
            XCTAssertTrue(error.description.contains("ENOENT"), error.description)
        }
    }

    func testTimeoutExpiresAsSuccess() throws {
        let start = executor.driver.now()
        var timeout = IO.timeout(nanoseconds: 5_000_000)
        XCTAssertNotNil(value(try drive(&timeout, on: executor)), "expiry (-ETIME) is the timeout's success")
        XCTAssertGreaterThanOrEqual(executor.driver.now() - start, 5_000_000, "not before its duration")
    }

    func testPollReportsReadiness() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var poll = IO.poll(r, events: UInt32(POLLIN))
        XCTAssertFalse(pollOnce(&poll, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertTrue(poll.isInFlight, "nothing to read yet")
        put(w, "x")
        let events = value(try drive(&poll, on: executor))
        XCTAssertEqual(events.map { $0 & Int32(POLLIN) }, Int32(POLLIN))
    }

    func testCancelByDescriptorEndsEveryOperationOnIt() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var first = IO.read(r, into: IOBuffer(capacity: 8))
        var second = IO.poll(r, events: UInt32(POLLIN))
        pollOnce(&first, on: executor)
        pollOnce(&second, on: executor)
        try executor.driver.turn(waitNanos: 0)

        var cancel = IO.cancel(fd: r)
        XCTAssertEqual(value(try drive(&cancel, on: executor)), 2, "both operations on the fd were found")
        let read = try drive(&first, on: executor)
        XCTAssertEqual(errnoOf(read.result), ECANCELED)
        XCTAssertEqual(read.buffer.capacity, 8, "the buffer comes back")
        XCTAssertEqual(errnoOf(try drive(&second, on: executor)), ECANCELED)
    }

    func testCancelByDescriptorWithNothingInFlightFindsNone() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        var cancel = IO.cancel(fd: r)
        XCTAssertEqual(value(try drive(&cancel, on: executor)), 0, "CANCEL_ALL counts what it found: none")
    }

    func testBlockOnAnOperation() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        put(w, "through blockOn")
        let got = try executor.blockOn(IO.read(r, into: IOBuffer(capacity: 64)))
        XCTAssertEqual(got.buffer.string, "through blockOn")
    }
}
