import XCTest
import Glibc
@testable import Quiesce

/// WriteAll loops on short writes until every byte is out, owns its buffer, and cancels on drop.
final class WriteAllTests: XCTestCase {
    func testShortWritesAreContinuedFromWhereTheyStopped() throws {
        let backend = ScriptedBackend()
        let executor = Executor(backend: backend)
        var write = WriteAll(7, IOBuffer(string: "hello, world"))
        XCTAssertFalse(pollOnce(&write, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(backend.submitted.last?.request, .write(fd: 7, offset: .max, from: 0))
        backend.completions = [(backend.operation(0), 5)]  // a short write: 5 of 12
        try executor.driver.turn(waitNanos: 0)
        XCTAssertFalse(pollOnce(&write, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(backend.submitted.last?.request, .write(fd: 7, offset: .max, from: 5), "the rest, from byte 5")
        backend.completions = [(backend.operation(1), 7)]
        try executor.driver.turn(waitNanos: 0)
        var cx = Context(waker: .noop, executor: executor)
        guard case .ready(let done) = write.poll(&cx) else { return XCTFail("not done") }
        XCTAssertEqual(value(done.result), 12)
        XCTAssertEqual(done.buffer.string, "hello, world", "the buffer comes back whole")
        XCTAssertEqual(write.pieces, 2)
    }

    func testPositionalWritesAdvanceTheOffset() throws {
        let backend = ScriptedBackend()
        let executor = Executor(backend: backend)
        var write = WriteAll(7, IOBuffer(string: "abcdef"), offset: 100)
        pollOnce(&write, on: executor)
        try executor.driver.turn(waitNanos: 0)
        backend.completions = [(backend.operation(0), 2)]
        try executor.driver.turn(waitNanos: 0)
        pollOnce(&write, on: executor)
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(backend.submitted.last?.request, .write(fd: 7, offset: 102, from: 2))
        backend.completions = [(backend.operation(1), 4)]
        try executor.driver.turn(waitNanos: 0)
        XCTAssertTrue(pollOnce(&write, on: executor))
    }

    func testAnErrorStopsTheLoopAndReturnsTheBuffer() throws {
        let backend = ScriptedBackend()
        let executor = Executor(backend: backend)
        var write = WriteAll.send(7, IOBuffer(string: "abcdef"))
        pollOnce(&write, on: executor)
        try executor.driver.turn(waitNanos: 0)
        backend.completions = [(backend.operation(0), 3)]
        try executor.driver.turn(waitNanos: 0)
        pollOnce(&write, on: executor)
        try executor.driver.turn(waitNanos: 0)
        backend.completions = [(backend.operation(1), -EPIPE)]
        try executor.driver.turn(waitNanos: 0)
        var cx = Context(waker: .noop, executor: executor)
        guard case .ready(let done) = write.poll(&cx) else { return XCTFail("not done") }
        XCTAssertEqual(errnoOf(done.result), EPIPE)
        XCTAssertEqual(write.written, 3, "how far it got")
        XCTAssertEqual(done.buffer.string, "abcdef")
    }

    func testZeroBytesTakenIsAnErrorNotASpin() throws {
        let backend = ScriptedBackend()
        let executor = Executor(backend: backend)
        var write = WriteAll(7, IOBuffer(string: "x"))
        pollOnce(&write, on: executor)
        try executor.driver.turn(waitNanos: 0)
        backend.completions = [(backend.operation(0), 0)]
        try executor.driver.turn(waitNanos: 0)
        var cx = Context(waker: .noop, executor: executor)
        guard case .ready(let done) = write.poll(&cx) else { return XCTFail("not done") }
        XCTAssertEqual(errnoOf(done.result), EIO)
    }

    func testEmptyBufferIsDoneAtOnce() throws {
        let executor = try Executor(entries: 8)
        var write = WriteAll(1, IOBuffer(capacity: 16))
        var cx = Context(waker: .noop, executor: executor)
        guard case .ready(let done) = write.poll(&cx) else { return XCTFail("not done") }
        XCTAssertEqual(value(done.result), 0)
        XCTAssertEqual(executor.driver.liveSlots, 0, "nothing was submitted")
    }

    func testMegabytesThroughASocketWithAConcurrentReader() throws {
        let executor = try Executor(entries: 16)
        let (a, b) = try Sockets.socketPair()
        defer { close(a) }
        let size = 2 << 20
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        final class Sink: @unchecked Sendable { var bytes: [UInt8] = [] }  // read by the test after join
        let sink = Sink()
        let reader = Thread {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = Glibc.read(b, &chunk, chunk.count)
                if n <= 0 { break }
                sink.bytes.append(contentsOf: chunk[0..<n])
            }
            close(b)
        }
        reader.start()
        var send = WriteAll.send(a, IOBuffer(bytes: payload))
        let result = try drive(&send, on: executor)
        XCTAssertEqual(value(result.result), size)
        shutdown(a, Int32(SHUT_WR))
        while !reader.isFinished { usleep(1000) }
        XCTAssertEqual(sink.bytes.count, size)
        XCTAssertTrue(sink.bytes == payload, "every byte, in order")
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testAsyncDropCancelsThePieceInFlight() throws {
        let executor = try Executor(entries: 8)
        let (a, b) = try Sockets.socketPair()
        defer { close(a); close(b) }
        // Nobody reads b: the socket buffer fills and the send waits in the kernel.
        var send = WriteAll.send(a, IOBuffer(bytes: [UInt8](repeating: 7, count: 1 << 20)))
        for _ in 0..<5 {
            XCTAssertFalse(pollOnce(&send, on: executor))
            try executor.driver.turn(waitNanos: 10_000_000)
        }
        XCTAssertEqual(executor.driver.operationsInFlight, 1, "a piece is waiting for room in the socket")
        try driveDrop(&send, on: executor)
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
        var cx = Context(waker: .noop, executor: executor)
        XCTAssertTrue(send.pollDropReady(&cx).isReady, "fused")
    }
}
