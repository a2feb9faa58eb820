import XCTest
import Glibc
@testable import Quiesce

/// Zero-copy sends on the real ring: done at the notification, the buffer held until then.
final class ZeroCopyTests: XCTestCase {
    func testAZeroCopySendDeliversEveryByteAndHandsTheBufferBack() throws {
        let executor = try Executor(entries: 32)
        let (client, server) = try tcpPair()
        defer { close(client); close(server) }
        let payload = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var send = IO.sendZeroCopy(client, IOBuffer(bytes: payload))
        var received: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 65_536)
        var done: BufferResult? = nil
        for _ in 0..<10_000 where done == nil {
            var cx = Context(waker: .noop, executor: executor)
            if case .ready(let result) = send.poll(&cx) { done = consume result; break }
            let n = recv(server, &scratch, scratch.count, Int32(MSG_DONTWAIT))
            if n > 0 { received += scratch[0..<n] }
            try executor.driver.turn(waitNanos: 1_000_000)
        }
        guard let result = done else { return XCTFail("the send never completed") }
        let count = try result.result.get()
        let bytes = result.buffer.bytes
        XCTAssertEqual(count, payload.count)
        XCTAssertEqual(bytes, payload, "the buffer comes back whole")
        while received.count < payload.count {
            let n = recv(server, &scratch, scratch.count, 0)
            XCTAssertGreaterThan(n, 0)
            received += scratch[0..<max(n, 0)]
        }
        XCTAssertEqual(received, payload)
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testASynchronouslyDroppedZeroCopySendIsHeldUntilItsNotification() throws {
        let executor = try Executor(entries: 32)
        executor.diagnosticHandler = { _ in }
        let (client, server) = try tcpPair()
        defer { close(client); close(server) }
        var cx = Context(waker: .noop, executor: executor)
        do {
            var send = IO.sendZeroCopy(client, IOBuffer(bytes: [UInt8](repeating: 0x5A, count: 1 << 22)))
            XCTAssertFalse(send.poll(&cx).isReady)
            try executor.driver.turn(waitNanos: 0)
            _ = consume send  // the kernel still reads the 4 MiB in place
        }
        XCTAssertEqual(executor.driver.orphanCount, 1, "the driver holds the buffer until the notification")
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        for _ in 0..<100_000 where executor.driver.orphanCount > 0 {
            _ = recv(server, &scratch, scratch.count, Int32(MSG_DONTWAIT))
            try executor.driver.turn(waitNanos: 100_000)
        }
        XCTAssertEqual(executor.driver.orphanCount, 0)
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }
}
