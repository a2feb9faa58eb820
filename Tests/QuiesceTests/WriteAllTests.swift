import XCTest
import Glibc
@testable import Quiesce

/// WriteAll: an empty buffer, megabytes through a socket, and a drop that cancels the piece in flight
/// (short writes, offsets and errors are scripts of ``WriteAllScriptTests``).
final class WriteAllTests: XCTestCase {
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
