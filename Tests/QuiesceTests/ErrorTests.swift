import XCTest
import Glibc
@testable import Quiesce

/// Errors as a user expects them: errno values with their text; short reads, EOF and EAGAIN handled
/// (a read that would block waits: ``WouldBlockReadTests``).
final class ErrorTests: XCTestCase {
    var executor: Executor!

    override func setUpWithError() throws { executor = try Executor(entries: 32) }

    override func tearDownWithError() throws {
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
        executor = nil
    }

    func testReadOfAClosedDescriptorIsEBADF() throws {
        let (r, w) = try Sockets.pipe()
        close(r); close(w)
        var read = IO.read(r, into: IOBuffer(capacity: 8))
        let got = try drive(&read, on: executor)
        XCTAssertEqual(errnoOf(got.result), EBADF)
        XCTAssertEqual(got.buffer.capacity, 8, "the buffer comes back with the error")
        if case .failure(let error) = got.result {
            XCTAssertEqual(error.description, "read: EBADF (Bad file descriptor)")
            XCTAssertFalse(error.isCancellation)
        }
    }

    func testSendToAClosedPeerIsEPIPENotASignal() throws {
        let (a, b) = try Sockets.socketPair()
        defer { close(a) }
        close(b)
        var send = IO.send(a, IOBuffer(string: "nobody listens"))
        let got = try drive(&send, on: executor)
        XCTAssertEqual(errnoOf(got.result), EPIPE, "MSG_NOSIGNAL turns SIGPIPE into an error")
        XCTAssertEqual(got.buffer.string, "nobody listens")
    }

    func testShortReadReturnsWhatThereIs() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        put(w, "abc")
        var read = IO.read(r, into: IOBuffer(capacity: 4096))
        let got = try drive(&read, on: executor)
        XCTAssertEqual(value(got.result), 3)
        XCTAssertEqual(got.buffer.count, 3)
        XCTAssertEqual(got.buffer.string, "abc")
    }

    func testEndOfFileIsZero() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r) }
        put(w, "last")
        close(w)
        var first = IO.read(r, into: IOBuffer(capacity: 64))
        XCTAssertEqual(value(try drive(&first, on: executor).result), 4)
        var second = IO.read(r, into: IOBuffer(capacity: 64))
        let eof = try drive(&second, on: executor)
        XCTAssertEqual(value(eof.result), 0, "end of file reads 0 bytes")
        XCTAssertEqual(eof.buffer.count, 0)
    }

    func testRecvFromAPeerThatClosedIsZero() throws {
        let (a, b) = try Sockets.socketPair()
        defer { close(a) }
        var recv = IO.recv(a, into: IOBuffer(capacity: 64))
        XCTAssertFalse(pollOnce(&recv, on: executor))
        close(b)
        XCTAssertEqual(value(try drive(&recv, on: executor).result), 0)
    }

    func testDontWaitRecvCancelledWhileWaitingForReadiness() throws {
        let (a, b) = try Sockets.socketPair()
        defer { close(a); close(b) }
        var recv = IO.recv(a, into: IOBuffer(capacity: 64), flags: Int32(MSG_DONTWAIT))
        XCTAssertFalse(pollOnce(&recv, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertFalse(pollOnce(&recv, on: executor))
        XCTAssertEqual(recv.core.retries, 1)
        let outcome = try driveCancel(&recv, on: executor)
        XCTAssertEqual(errnoOf(outcome.result), ECANCELED)
        XCTAssertEqual(outcome.buffer.capacity, 64, "the buffer comes back from the readiness wait too")
    }

    func testNonBlockingPipeReadCancelledWhileWaitingForReadiness() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        XCTAssertEqual(fcntl(r, F_SETFL, fcntl(r, F_GETFL) | O_NONBLOCK), 0)
        var read = IO.read(r, into: IOBuffer(capacity: 64))
        XCTAssertFalse(pollOnce(&read, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertFalse(pollOnce(&read, on: executor))
        XCTAssertTrue(read.isInFlight)
        try driveDrop(&read, on: executor)
        XCTAssertFalse(read.isInFlight)
    }

    func testEINTRIsRetriedNotSurfaced() throws {
        let backend = ScriptedBackend()
        let executor = Executor(backend: backend)
        var read = IO.read(5, into: IOBuffer(capacity: 8))
        XCTAssertFalse(pollOnce(&read, on: executor))
        try executor.driver.turn(waitNanos: 0)
        backend.completions = [(backend.operation(0), -EINTR)]
        try executor.driver.turn(waitNanos: 0)
        XCTAssertFalse(pollOnce(&read, on: executor), "interrupted: submitted again, still pending")
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(backend.submitted.filter { $0.request == .read(fd: 5, length: 8) }.count, 2)
        backend.completions = [(backend.operation(1), 0)]
        try executor.driver.turn(waitNanos: 0)
        var cx = Context(waker: .noop, executor: executor)
        guard case .ready(let done) = read.poll(&cx) else { return XCTFail("not done") }
        XCTAssertEqual(value(done.result), 0)
        XCTAssertEqual(read.core.retries, 1)
    }

    func testReadIntoAFullBufferIsENOBUFSNotEndOfFile() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        put(w, "data")
        var read = IO.read(r, into: IOBuffer(string: "full"))
        let got = try drive(&read, on: executor)
        XCTAssertEqual(errnoOf(got.result), ENOBUFS)
        XCTAssertEqual(got.buffer.string, "full", "the buffer comes back untouched")
        var recv = IO.recv(r, into: IOBuffer(capacity: 0))
        XCTAssertEqual(errnoOf(try drive(&recv, on: executor).result), ENOBUFS)
    }

    func testOperationPolledOutsideAnExecutorIsAnErrorNotACrash() {
        var nop = IO.nop()
        var cx = Context()
        guard case .ready(let result) = nop.poll(&cx) else { return XCTFail("should be ready at once") }
        XCTAssertEqual(errnoOf(result), ENXIO)
    }

    func testErrorTextNamesTheErrno() {
        let error = IOError(errno: ECANCELED, operation: "read")
        XCTAssertEqual(error.name, "ECANCELED")
        XCTAssertTrue(error.isCancellation)
        XCTAssertEqual(error.description, "read: ECANCELED (Operation canceled)")
        XCTAssertEqual(IOError(result: -EAGAIN, operation: "recv").name, "EAGAIN")
        XCTAssertEqual(IOError(errno: 9999, operation: "x").name, "errno 9999")
    }
}
